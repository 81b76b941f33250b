// Package kinds is the registry of record kinds: the one place that says
// what each kind of AWS object archiver keeps is, where it comes from, how
// its records are filed and observed, what the index and the tables show of
// it, and which saved AWS CLI output holds it.
//
// Everything that differs between kinds is declared here, in registry.go;
// sync, import, the index, output writers, DDL, statistics and help iterate
// over the registry instead of naming kinds. Adding a kind is adding an
// entry (with a new Code), the call that fetches it, and a schema step that
// creates its bucket.
package kinds

import (
	"fmt"
	"slices"
	"strings"

	"github.com/archiver-dev/archiver/internal/awsid"
)

// Kind names the AWS object type of a record, such as "drs.job".
type Kind string

// Class says how the records of a kind are kept.
type Class int

const (
	// Latest kinds keep one record per object: its latest state, updated in
	// place (DRS jobs), or its only one (recovery snapshots never change).
	Latest Class = iota
	// LogItem kinds are the items of a parent's log, kept by their position
	// in it (DRS job log items).
	LogItem
	// Observation kinds keep a new record each time the object's state
	// changes (see State).
	Observation
)

// Sweep says when records of a kind that AWS no longer lists are marked
// deleted upstream.
type Sweep int

const (
	// NoSweep: never (the kind has no complete listing to judge by).
	NoSweep Sweep = iota
	// SweepListing: after a complete listing of the kind in one region and
	// account, its records that listing did not hold.
	SweepListing
	// SweepParent: after a complete listing of one parent (a Snowball
	// cluster's jobs), the parent's records that listing did not hold.
	SweepParent
)

// Parent says which header field holds the parent an object was listed
// under, when the object does not name it itself.
type Parent int

const (
	// NoParent: the object is listed on its own.
	NoParent Parent = iota
	// ParentJob: the object is an item of a job's log (header JobID).
	ParentJob
	// ParentCluster: the object is listed per Snowball cluster (header
	// ClusterID).
	ParentCluster
)

// Spec is everything that differs between kinds.
type Spec struct {
	// Kind is the kind's name, as users type it and exports write it.
	Kind Kind
	// Code is stored in every record header: it is never changed or reused.
	Code byte
	// Short is the name a table's KIND column shows ("job").
	Short string
	// Noun and Plural name one and several objects in messages ("DRS job").
	Noun, Plural string
	// Source is the sync source that reads the kind ("drs", "snowball",
	// "sms").
	Source string
	// Operation is the API call that lists the objects, such as
	// "DescribeJobs", and PerParent what it is called for ("" when it lists
	// a region and account at once).
	Operation, PerParent string
	// Parent says which header field keeps the parent the object was
	// listed under.
	Parent Parent
	// ListMember is the member of an answer that holds the objects
	// ("items"); "" when the answer is the object itself.
	ListMember string
	// IDMember is the member holding an object's own ID; ParentMember the
	// member naming the parent it belongs to, where the object names it.
	IDMember, ParentMember string
	// TimeMember is the member giving a record its time ("" for the capture
	// time): ISO 8601 text or epoch seconds, read leniently.
	TimeMember string
	// ARNMember is the member holding the object's ARN, whose region and
	// account then file the record; "" when the object names neither.
	ARNMember string
	// Class says how records are kept.
	Class Class
	// State says which members make a new observation (Observation kinds),
	// and how imported objects compare with archived ones (every kind).
	State State
	// Sweep says when records are marked deleted upstream.
	Sweep Sweep
	// Index says what the full-text index takes of an object beyond what
	// it takes of every one.
	Index IndexRule
	// Summary picks what a table row and a CSV line show of an object whose
	// own ID (the record's) is id.
	Summary func(id string, data []byte) Summary
	// CLI is the AWS CLI command whose saved output import reads, such as
	// "aws drs describe-jobs".
	CLI string
	// IDForm is the shape of the objects' own IDs, which --id takes (nil
	// for objects without one); JobForm says --job-id takes them too (the
	// kind's objects are jobs). ParentForm is the shape of the parent's ID
	// (a Snowball cluster), which --id takes for every object listed under
	// it.
	IDForm, ParentForm *IDForm
	JobForm            bool
	// Marks are members only this kind's objects have among those sharing
	// its ListMember, in the order import tries kinds (see Detect).
	Marks []string
	// Progress is the noun a sync's progress line counts the kind's
	// objects by ("log item"); "" leaves them out.
	Progress string
	// StoreAlone, for a kind whose records are stored in blocks (log
	// items, see package archive), picks by their data the records stored
	// each on its own instead: those searches find one at a time, since a
	// block is read whole to read any record in it. Nil: none.
	StoreAlone func(data []byte) bool
}

// IDForm is a shape of AWS ID, as users give IDs to --id and --job-id.
type IDForm struct {
	// Name says what an ID of the form names, with its look: "source
	// server (s-…)".
	Name string
	// Matches reports whether a trimmed string has the form.
	Matches func(s string) bool
}

// The forms of the IDs of the kinds' objects. The forms do not overlap: an
// ID has at most one.
var (
	FormDRSJob           = &IDForm{"DRS job (drsjob-…)", awsid.IsJobID}
	FormSourceServer     = &IDForm{"source server (s-…)", awsid.IsSourceServerID}
	FormStagingAccount   = &IDForm{"staging account (12 digits)", awsid.IsAccount}
	FormRecoverySnapshot = &IDForm{"recovery snapshot (pit-…)", awsid.IsRecoverySnapshotID}
	FormRecoveryInstance = &IDForm{"recovery instance (i-…)", awsid.IsInstanceID}
	FormSourceNetwork    = &IDForm{"source network (sn-…)", awsid.IsSourceNetworkID}
	FormSnowballJob      = &IDForm{"Snowball job (JID…)", awsid.IsSnowballJobID}
	FormSnowballCluster  = &IDForm{"Snowball cluster (CID…)", awsid.IsClusterID}
	FormSMSJob           = &IDForm{"SMS replication job (sms-job-…)", awsid.IsSMSJobID}
)

// Forms returns every ID form, once each, jobs first, then in registry
// order: those --id takes (only the job forms when jobs is true).
func Forms(jobs bool) []*IDForm {
	var out []*IDForm
	add := func(f *IDForm) {
		if f != nil && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	for _, s := range registry {
		if s.JobForm {
			add(s.IDForm)
		}
	}
	if !jobs {
		for _, s := range registry {
			add(s.IDForm)
			add(s.ParentForm)
		}
	}
	return out
}

// Summary is what a table row or CSV line shows of an object besides its
// header: the job and source server it names, what state it is in, and a
// message. Empty strings leave a cell empty.
type Summary struct {
	ID, Job, Server string
	// Servers lists every source server the object names, space-separated
	// (CSV); Server is the first, with a count of the others (table).
	Servers       string
	What, Message string
}

// byKind and byCode index the registry.
var (
	byKind = map[Kind]*Spec{}
	byCode = map[byte]*Spec{}
)

func init() {
	for _, s := range registry {
		if _, dup := byKind[s.Kind]; dup {
			panic("kinds: " + string(s.Kind) + " declared twice")
		}
		if _, dup := byCode[s.Code]; dup {
			panic(fmt.Sprintf("kinds: code %d declared twice", s.Code))
		}
		byKind[s.Kind], byCode[s.Code] = s, s
	}
}

// All returns every kind's Spec, in the order exports present kinds.
func All() []*Spec { return registry }

// Names returns every kind, in the order exports present them.
func Names() []Kind {
	out := make([]Kind, len(registry))
	for i, s := range registry {
		out[i] = s.Kind
	}
	return out
}

// Of returns the Spec of kind, or nil for a kind the registry does not hold.
func Of(kind Kind) *Spec { return byKind[kind] }

// ByCode returns the Spec whose stored code is code, or nil.
func ByCode(code byte) *Spec { return byCode[code] }

// Parse validates a kind name given by a user.
func Parse(s string) (Kind, error) {
	if sp := byKind[Kind(s)]; sp != nil {
		return sp.Kind, nil
	}
	return "", fmt.Errorf("unknown kind %q (want one of %s)", s, NameList())
}

// NameList returns every kind's name, comma-separated, for messages and help.
func NameList() string {
	names := make([]string, len(registry))
	for i, s := range registry {
		names[i] = string(s.Kind)
	}
	return strings.Join(names, ", ")
}

// OfSource returns the kinds the sync source src reads, in registry order.
func OfSource(src string) []*Spec {
	var out []*Spec
	for _, s := range registry {
		if s.Source == src {
			out = append(out, s)
		}
	}
	return out
}

// Sources returns every sync source, in registry order.
func Sources() []string {
	var out []string
	for _, s := range registry {
		if !slices.Contains(out, s.Source) {
			out = append(out, s.Source)
		}
	}
	return out
}

// NeedsWhere reports whether saved AWS CLI output of the kind needs the
// region and account said (import's --region and --account): its objects
// carry no ARN, and are not the log of a job the archive knows.
func (s *Spec) NeedsWhere() bool { return s.ARNMember == "" && s.Parent != ParentJob }

// ParentIn returns the parent an object was listed under, of the header
// fields that may keep it (a record's JobID and ClusterID): "" for kinds
// listed on their own.
func (s *Spec) ParentIn(jobID, clusterID string) string {
	switch s.Parent {
	case ParentJob:
		return jobID
	case ParentCluster:
		return clusterID
	}
	return ""
}

// OwnsLog reports whether kind's objects own logs of items (DRS jobs):
// their own ID is the job their log items name.
func OwnsLog(kind Kind) bool {
	s := byKind[kind]
	return s != nil && s.Index.OwnJob
}

// IsLogItem reports whether kind's objects are the items of a log.
func IsLogItem(kind Kind) bool {
	s := byKind[kind]
	return s != nil && s.Class == LogItem
}

// Columns returns the members the kind's record objects carry beside
// their data, in the order an export writes them (query/object.go): the
// columns of a table over its exported lines. A log item has no ID of its
// own but its job's; an observation its capture time; a kind a complete
// listing sweeps, the time it was marked deleted upstream; an imported
// record the file it came from ("imported", an object of file and sha256).
// Region, the partition of the S3 layout, is not among them.
func (s *Spec) Columns() []string {
	cols := []string{"kind"}
	if s.IDMember != "" {
		cols = append(cols, "id")
	}
	switch s.Parent {
	case ParentJob:
		cols = append(cols, "jobID")
	case ParentCluster:
		cols = append(cols, "clusterID")
	}
	if s.Observed() {
		cols = append(cols, "capturedAt")
	}
	cols = append(cols, "account", "firstSeen", "lastSeen")
	if s.Sweep != NoSweep {
		cols = append(cols, "deletedUpstreamAt")
	}
	return append(cols, "imported", "data")
}

// Observed reports whether records of the kind are observations: each
// carries the time it was captured.
func (s *Spec) Observed() bool { return s.Class == Observation }

// String returns the kind's name.
func (s *Spec) String() string { return string(s.Kind) }
