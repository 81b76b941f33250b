// Package index keeps the bleve full-text index beside the archive: log
// item events and raw errors, source-server replication errors, job and
// launch statuses and other human-readable messages as text; job, server
// and instance IDs and enums (event, status, type, initiatedBy, replication
// state) as keywords; and the stretches of time each record lies in.
//
// The index is derived data. It never reads the network; it follows the
// archive's change log, and records in each batch the change-log position
// it reflects, so that after a crash between an archive commit and an index
// batch the next update catches up from the archive. Rebuild writes a new
// index beside the old one and switches to it atomically; an update
// (SyncWith) that finds the index's files damaged rebuilds it so, and
// RemoveLeftovers removes the directories of rebuilds that were killed.
//
// Index is the only package that knows bleve. It declares the fields once
// (Fields: their names and whether they hold keywords or text), builds
// queries (Keyword, Words, Phrase, Regexp, Fuzzy, And, Or, Not) and answers
// them with record references (Search). It also says how far it is behind
// an archive snapshot (Lag: the records changed after its position), and
// SearchSnapshot answers a query as of a snapshot, including the records
// the index has not reached. Collect copies those records out of the
// snapshot, so that the caller can release it before Pending.Search
// matches them: one by one for a query of keyword fields, words, phrases
// and regexps, through an index in memory for other (fuzzy) queries.
// CollectFirst leaves the index's hits to a Stream, which finds them
// oldest first, a stretch of time at a time (see order.go), for a caller
// that wants a page of them or those of a range of time.
package index
