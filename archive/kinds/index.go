package kinds

// IndexRule is what the full-text index takes of a kind's objects beyond
// what it takes of every object (IDs, events, statuses and text members
// wherever they stand).
type IndexRule struct {
	// OwnJob: the object's own ID is the job --job-id finds it by (a DRS
	// job, whose log items name it too).
	OwnJob bool
	// IDIsServer: the object's own ID is a source-server ID.
	IDIsServer bool
	// IDIsText: the object's own ID is searchable as text.
	IDIsText bool
	// JobIsText: a jobID member names a job the object is no part of (the
	// job that launched a recovery instance): it is text, so that --job-id
	// keeps meaning a job and its log items.
	JobIsText bool
	// StatusMembers are more members whose values are statuses (status:).
	StatusMembers []string
	// Text returns more text for the object, in words (nil for none).
	Text func(obj map[string]any) []string
}
