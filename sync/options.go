package sync

import (
	"fmt"
	"io"
	"slices"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/buildinfo"
)

// Source names an AWS service whose history sync can archive.
type Source string

// The sources sync knows.
const (
	SourceDRS      Source = "drs"
	SourceSnowball Source = "snowball"
	SourceSMS      Source = "sms"
)

// ParseSources reads a comma-separated --source value.
func ParseSources(s string) ([]Source, error) {
	var out []Source
	seen := map[Source]bool{}
	for _, part := range strings.Split(s, ",") {
		p := Source(strings.ToLower(strings.TrimSpace(part)))
		switch p {
		case SourceDRS, SourceSnowball, SourceSMS:
		case "":
			continue
		default:
			return nil, fmt.Errorf("unknown source %q (want drs, snowball or sms)", part)
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no source given (want drs, snowball or sms)")
	}
	return out, nil
}

// Options configure one sync run.
type Options struct {
	// Debug, when set, receives a line per AWS call and the SDK's log of
	// each request, response and retry, credentials redacted (--debug).
	Debug io.Writer
	// Checkpoint says how the archive's transparency log is checkpointed
	// once the run's writes are committed: signed, and copied to a witness
	// directory, when set.
	Checkpoint archive.CheckpointOptions
	// ArchiveDir is the archive directory.
	ArchiveDir string
	// Sources to read; default DRS.
	Sources []Source
	// Regions are read side by side with the accounts (see
	// TargetConcurrency); none means the SDK's region chain (AWS_REGION,
	// the profile's region). AllRegions stands for every region of the
	// partition where DRS is offered.
	Regions []string
	// Profiles are shared-config profiles, one account each, every one read
	// in every region; none means the SDK's default credential chain.
	Profiles []string
	// OrgRole, if set, makes the accounts read those AWS Organizations
	// lists (to the credentials of the first profile, or the default
	// chain: the management account or a delegated administrator), each
	// read with the credentials of its role of this name, assumed with STS
	// AssumeRole (session name RoleSessionName).
	OrgRole string
	// OrgExternalID is the external ID passed to AssumeRole, if set.
	OrgExternalID string
	// OrgUnit, if set, lists only the accounts directly in this
	// organizational unit ("ou-...", or a root "r-...").
	OrgUnit string
	// OrgIncludeAccounts, if not empty, keeps only these of the listed
	// accounts; OrgExcludeAccounts leaves these out.
	OrgIncludeAccounts, OrgExcludeAccounts []string
	// TargetConcurrency is how many targets (account and region) are read
	// at once; default 8. A target that fails is reported and the others
	// go on.
	TargetConcurrency int
	// Credentials, if set, replaces the SDK's credential chain for every
	// profile (the demo and tests use static keys against the emulator).
	Credentials aws.CredentialsProvider
	// EndpointURL overrides the endpoint of every service (AWS_ENDPOINT_URL
	// and AWS_ENDPOINT_URL_<SERVICE> are honoured without it).
	EndpointURL string
	// SnowballClusters limits Snowball to these clusters; none means every
	// cluster ListClusters returns.
	SnowballClusters []string
	// PageSize is the maxResults of each call; default 1000.
	PageSize int32
	// Concurrency is how many job logs are read at once; default 4.
	Concurrency int
	// MaxAttempts bounds the tries of one call, throttling included; default 12.
	MaxAttempts int
	// MaxBackoff caps the wait between tries; default 20s.
	MaxBackoff time.Duration
	// CommitInterval is the longest a fetched page waits before it is
	// committed; pages fetched within it are committed together. Default 50ms.
	CommitInterval time.Duration
	// NoIndex leaves the full-text index alone; the next sync (or
	// 'archiver reindex') brings it up to date.
	NoIndex bool
	// IndexAtEnd builds the full-text index only after the last commit,
	// rather than in steps between commits while the sync fetches.
	IndexAtEnd bool
	// LockTimeout bounds each wait for the archive's file lock; default 10m.
	LockTimeout time.Duration
	// Waiting is told, in a sentence, whenever sync has to wait for something
	// other than the network (the file lock, mostly).
	Waiting func(msg string)
	// Notice, if set, is told, in a sentence, what sync does beyond the
	// sync itself: a damaged full-text index rebuilt, index directories a
	// stopped run left behind removed. Unset, Waiting is told instead.
	Notice func(msg string)
	// MetricsFile, if set, is where each run, good or failed, leaves its
	// metrics for node_exporter's textfile collector (see writeMetrics).
	MetricsFile string
	// Now returns the time of observation; default time.Now.
	Now func() time.Time
	// Retrying, if set, is told in one line when API calls fail and are
	// tried again: which call, why, where, and which attempt comes next
	// (one line for a burst of failures).
	Retrying func(msg string)
	// Build, when not nil, is recorded in every sync run record as the
	// archiver build that ran it.
	Build *buildinfo.Info
}

func (o *Options) withDefaults() Options {
	c := *o
	if len(c.Sources) == 0 {
		c.Sources = []Source{SourceDRS}
	}
	if c.PageSize <= 0 {
		c.PageSize = 1000
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.TargetConcurrency <= 0 {
		c.TargetConcurrency = DefaultTargetConcurrency
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 12
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 20 * time.Second
	}
	if c.LockTimeout <= 0 {
		c.LockTimeout = 10 * time.Minute
	}
	if c.CommitInterval <= 0 {
		c.CommitInterval = defaultCommitInterval
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Waiting == nil {
		c.Waiting = func(string) {}
	}
	return c
}

// Stats counts what a sync saw and wrote. Fields are updated atomically while
// the sync runs, so a progress display may read them at any time.
type Stats struct {
	// Calls is the number of API pages fetched.
	Calls atomic.Int64
	// JobLogs counts job logs read; JobLogsPending those still to read;
	// LogItemsRemoved the log items AWS no longer lists.
	JobLogs, JobLogsPending, LogItemsRemoved atomic.Int64
	// read, addedN and updated count, by kind's stored code, the objects
	// listed and the records added and replaced (see Read, Added, Updated).
	read, addedN, updated [maxKindCodes]atomic.Int64
	// Indexed counts full-text index documents written or removed.
	Indexed atomic.Int64
	// Commits counts committed transactions; PagesCommitted the API pages
	// they held (a transaction holds one or more whole pages).
	Commits, PagesCommitted atomic.Int64
	// JobListings is the number of DRS job listings the run makes (one per
	// target), set once the targets are known; JobListingsDone counts those
	// complete. Once they are equal, JobLogsPending grows no more.
	JobListings, JobListingsDone atomic.Int64
	// Started is when the sync began.
	Started time.Time
	// Sources and Targets are what the sync reads: its sources, and the
	// regions and accounts ("us-east-1, account 123456789012") it reads
	// them in. Set before the first call.
	Sources []Source
	Targets []string

	// added counts the records the run's commits added, by kind, region and
	// account. Only the committer writes it; it is read when the run ends.
	added map[addedKey]int64

	// TargetsDone counts the targets whose read ended, TargetsFailed those
	// of them that failed, and TargetsUninitialised those where DRS is not
	// initialised. TargetTime adds up the time each target's read took,
	// in nanoseconds: beside the run's wall time, it shows how much the
	// targets overlapped.
	TargetsDone, TargetsFailed, TargetsUninitialised, TargetTime atomic.Int64

	// DeletedUpstream counts the objects the run marked deleted upstream.
	DeletedUpstream atomic.Int64
	// byTargetMu guards updatedAt and marked, the records replaced and the
	// objects marked deleted upstream by kind, region and account, and
	// notInit, the targets where DRS is not initialised.
	byTargetMu        gosync.Mutex
	updatedAt, marked map[addedKey]int64
	notInit           map[[2]string]bool
	targetRefs        [][2]string

	// readMu guards readAt, the objects listed by kind, region and account.
	readMu gosync.Mutex
	readAt map[addedKey]int64
}

// DefaultTargetConcurrency is how many targets are read at once unless
// Options.TargetConcurrency says otherwise.
const DefaultTargetConcurrency = 8

// addReadAt counts n more objects of kind listed in region and account.
func (s *Stats) addReadAt(kind archive.Kind, region, account string, n int64) {
	s.AddRead(kind, n)
	s.readMu.Lock()
	defer s.readMu.Unlock()
	if s.readAt == nil {
		s.readAt = map[addedKey]int64{}
	}
	s.readAt[addedKey{kind, region, account}] += n
}

// readIn returns the objects listed in region and account, by kind.
func (s *Stats) readIn(region, account string) map[archive.Kind]int64 {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	out := map[archive.Kind]int64{}
	for k, n := range s.readAt {
		if k.region == region && k.account == account {
			out[k.kind] += n
		}
	}
	return out
}

// Summary renders the counts as one line, for cron mail and logs: for
// each kind the sources read, the objects listed and the records added
// (and replaced, for kinds kept as their latest state).
func (s *Stats) Summary(d time.Duration) string {
	var parts []string
	for _, spec := range kinds.All() {
		if len(s.Sources) == 0 && spec.Source != kinds.SourceDRS || len(s.Sources) > 0 && !slices.Contains(s.Sources, Source(spec.Source)) {
			continue
		}
		part := fmt.Sprintf("%s (%d new", count(s.Read(spec.Kind), spec.Noun), s.Added(spec.Kind))
		switch {
		case spec.Class == kinds.Latest:
			part += fmt.Sprintf(", %d updated", s.Updated(spec.Kind))
		case spec.Class == kinds.LogItem:
			part += " from " + count(s.JobLogs.Load(), "job log")
		}
		parts = append(parts, part+")")
	}
	where := ""
	if len(s.Targets) > 1 {
		where = fmt.Sprintf(" in %d regions and accounts", len(s.Targets))
		if n := s.TargetsFailed.Load(); n > 0 {
			where += fmt.Sprintf(" (%d failed)", n)
		}
		if n := s.TargetsUninitialised.Load(); n > 0 {
			where += fmt.Sprintf(" (%s with DRS not initialised)", count(n, "target"))
		}
	} else if s.TargetsUninitialised.Load() > 0 {
		where = " (DRS not initialised)"
	}
	if n := s.DeletedUpstream.Load(); n > 0 {
		where += fmt.Sprintf(", %d deleted upstream", n)
	}
	return fmt.Sprintf("%s%s; %s in %s, %s indexed, %s", strings.Join(parts, ", "), where,
		count(s.PagesCommitted.Load(), "page"), count(s.Commits.Load(), "commit"), count(s.Indexed.Load(), "record"),
		d.Round(time.Millisecond))
}

// maxKindCodes bounds the stored codes of kinds Stats counts.
const maxKindCodes = 64

// counter returns the counter of kind in counters (one per stored code).
func (s *Stats) counter(counters []atomic.Int64, kind archive.Kind) *atomic.Int64 {
	if spec := kinds.Of(kind); spec != nil && int(spec.Code) < len(counters) {
		return &counters[spec.Code]
	}
	return new(atomic.Int64) // a kind no registry entry declares counts for nothing
}

// Read returns how many objects of kind the sync listed (pages read again
// after a listing restarted count once).
func (s *Stats) Read(kind archive.Kind) int64 { return s.counter(s.read[:], kind).Load() }

// Added returns how many records of kind the sync added.
func (s *Stats) Added(kind archive.Kind) int64 { return s.counter(s.addedN[:], kind).Load() }

// Updated returns how many records of kind the sync replaced with a newer
// state (kinds kept as their latest state, and log items).
func (s *Stats) Updated(kind archive.Kind) int64 { return s.counter(s.updated[:], kind).Load() }

// AddRead counts n more objects of kind listed.
func (s *Stats) AddRead(kind archive.Kind, n int64) { s.counter(s.read[:], kind).Add(n) }

// TotalAdded returns how many records of every kind the sync added.
func (s *Stats) TotalAdded() int64 {
	var n int64
	for _, k := range kinds.Names() {
		n += s.Added(k)
	}
	return n
}

// count renders n with noun, in the plural unless n is 1.
func count(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// notice returns the function that tells o.Notice, or o.Waiting when that
// is unset, or nothing.
func (o Options) notice() func(string) {
	switch {
	case o.Notice != nil:
		return o.Notice
	case o.Waiting != nil:
		return o.Waiting
	}
	return func(string) {}
}

func oneLineErr(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }
