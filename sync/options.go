package sync

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

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
	// ArchiveDir is the archive directory.
	ArchiveDir string
	// Sources to read; default DRS.
	Sources []Source
	// Regions are read one after the other; none means the SDK's region
	// chain (AWS_REGION, the profile's region).
	Regions []string
	// Profiles are shared-config profiles, one account each, every one read
	// in every region; none means the SDK's default credential chain.
	Profiles []string
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
	// Jobs counts jobs listed; JobsAdded and JobsUpdated what changed.
	Jobs, JobsAdded, JobsUpdated atomic.Int64
	// JobLogs counts job logs read; LogItems items fetched; LogItemsAdded new ones.
	JobLogs, JobLogsPending, LogItems, LogItemsAdded, LogItemsUpdated, LogItemsRemoved atomic.Int64
	// Servers counts source servers listed; Snapshots new snapshots kept.
	Servers, Snapshots atomic.Int64
	// StagingAccounts, SnowballJobs and SMSJobs count the entries listed;
	// Observations the new records kept for them (new, or changed state),
	// and for DRS recovery snapshots and recovery instances.
	StagingAccounts, SnowballJobs, SMSJobs, Observations atomic.Int64
	// RecoverySnapshots and RecoveryInstances count the DRS recovery
	// snapshots and recovery instances listed.
	RecoverySnapshots, RecoveryInstances atomic.Int64
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
}

// Summary renders the counts as one line, for cron mail and logs.
func (s *Stats) Summary(d time.Duration) string {
	var parts []string
	if len(s.Sources) == 0 || slices.Contains(s.Sources, SourceDRS) {
		parts = append(parts, fmt.Sprintf("%s (%d new, %d updated), %s read (%d new) from %s, %s (%s), %s, %s, %s",
			count(s.Jobs.Load(), "job"), s.JobsAdded.Load(), s.JobsUpdated.Load(),
			count(s.LogItems.Load(), "log item"), s.LogItemsAdded.Load(), count(s.JobLogs.Load(), "job log"),
			count(s.Servers.Load(), "source server"), count(s.Snapshots.Load(), "new snapshot"),
			count(s.StagingAccounts.Load(), "staging account"),
			count(s.RecoverySnapshots.Load(), "recovery snapshot"), count(s.RecoveryInstances.Load(), "recovery instance")))
	}
	if slices.Contains(s.Sources, SourceSnowball) {
		parts = append(parts, count(s.SnowballJobs.Load(), "Snowball cluster job"))
	}
	if slices.Contains(s.Sources, SourceSMS) {
		parts = append(parts, count(s.SMSJobs.Load(), "SMS replication job"))
	}
	if slices.Contains(s.Sources, SourceSnowball) || slices.Contains(s.Sources, SourceSMS) || s.Observations.Load() > 0 {
		parts = append(parts, fmt.Sprintf("%s of state", count(s.Observations.Load(), "new record")))
	}
	where := ""
	if len(s.Targets) > 1 {
		where = fmt.Sprintf(" in %d regions and accounts", len(s.Targets))
	}
	return fmt.Sprintf("%s%s; %s in %s, %s indexed, %s", strings.Join(parts, ", "), where,
		count(s.PagesCommitted.Load(), "page"), count(s.Commits.Load(), "commit"), count(s.Indexed.Load(), "record"),
		d.Round(time.Millisecond))
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
