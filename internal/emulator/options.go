package emulator

import (
	"maps"
	"slices"
	"time"
)

// Defaults used when the corresponding Options field is left at its zero
// value.
const (
	DefaultSeed           = 1
	DefaultRegion         = "us-east-1"
	DefaultAccount        = "123456789012"
	DefaultServers        = 12
	DefaultJobs           = 40
	DefaultLogItemsPerJob = 20
	DefaultInProgress     = 3
	DefaultStagingAccount = "210987654321"

	DefaultSnowballClusters       = 2
	DefaultSnowballJobsPerCluster = 5
	DefaultSMSJobs                = 6
	DefaultSourceNetworks         = 4
)

// DefaultNow is the end of the initial history when Options.Now is zero. It
// is a fixed instant so that the default history is the same on every run.
var DefaultNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// historySpan is how far back the initial history reaches before Now.
const historySpan = 90 * 24 * time.Hour

// Options describes the synthetic history a Server is built with. The zero
// value selects the defaults documented on each field.
type Options struct {
	// Seed makes the history deterministic. Zero selects DefaultSeed.
	Seed int64
	// Region used in ARNs and availability zones. Empty selects DefaultRegion.
	Region string
	// Account is the AWS account that owns the resources. Empty selects
	// DefaultAccount.
	Account string
	// Now is the end of the initial history; jobs reach back about 90 days
	// before it. Zero selects DefaultNow.
	Now time.Time
	// Servers is the number of source servers. Zero or less selects
	// DefaultServers, or more when LogItemsPerJob needs larger jobs than
	// DefaultServers servers can make up.
	Servers int
	// Jobs is the number of jobs in the initial history. Zero selects
	// DefaultJobs; a negative value means no jobs at all.
	Jobs int
	// LogItemsPerJob is the approximate average number of log items per job.
	// Zero or less selects DefaultLogItemsPerJob. The exact total is reported
	// by Server.TotalLogItems.
	LogItemsPerJob int
	// InProgress is the number of newest jobs that are not yet COMPLETED.
	// Zero selects DefaultInProgress; a negative value means none. It is
	// capped at the number of jobs.
	InProgress int
	// StagingAccounts lists the staging accounts of extended source servers.
	// Nil selects one account, DefaultStagingAccount; an empty, non-nil
	// slice means none.
	StagingAccounts []string
	// SnowballClusters is the number of Snowball clusters. Zero selects
	// DefaultSnowballClusters; a negative value means none.
	SnowballClusters int
	// SnowballJobsPerCluster is the number of jobs (nodes) of each Snowball
	// cluster. Zero selects DefaultSnowballJobsPerCluster; a negative value
	// means none, which leaves every cluster AwaitingQuorum.
	SnowballJobsPerCluster int
	// SMSJobs is the number of Server Migration Service replication jobs.
	// Zero selects DefaultSMSJobs; a negative value means none.
	SMSJobs int
	// SourceNetworks is the number of DRS source networks. Zero selects
	// DefaultSourceNetworks; a negative value means none. With a staging
	// account and two or more networks, the last one made belongs to the
	// first staging account; the others belong to Account.
	SourceNetworks int
	// NoUnknownFields leaves out the members the SDK does not model, which
	// are otherwise added to some jobs, log items, source servers, Snowball
	// clusters and jobs, SMS replication jobs and runs, and DRS launch and
	// replication configurations and source networks.
	NoUnknownFields bool
	// SnapshotInterval is how often a replicating source server takes a
	// recovery snapshot. Zero selects DefaultSnapshotInterval.
	SnapshotInterval time.Duration
	// LaunchFailureRate is the fraction of servers in a drill or recovery
	// whose launch is skipped or fails (at its snapshot, conversion or
	// launch, in the default proportions). Zero selects
	// DefaultLaunchFailureRate; a negative value means none fails.
	LaunchFailureRate float64
}

// DefaultSnapshotInterval and DefaultLaunchFailureRate are the defaults of
// Options.SnapshotInterval and Options.LaunchFailureRate.
const (
	DefaultSnapshotInterval  = 4 * time.Hour
	DefaultLaunchFailureRate = 0.12
)

// resolved returns o with every default filled in.
func (o Options) resolved() Options {
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if o.Account == "" {
		o.Account = DefaultAccount
	}
	if o.Now.IsZero() {
		o.Now = DefaultNow
	}
	o.Now = o.Now.UTC().Truncate(time.Microsecond)
	switch {
	case o.Jobs == 0:
		o.Jobs = DefaultJobs
	case o.Jobs < 0:
		o.Jobs = 0
	}
	if o.LogItemsPerJob <= 0 {
		o.LogItemsPerJob = DefaultLogItemsPerJob
	}
	if o.Servers <= 0 {
		// A launch job logs about five items per server plus two for the
		// job itself; leave headroom so large targets stay reachable.
		need := int(float64(o.LogItemsPerJob-2)/5.0*1.6 + 0.999)
		o.Servers = max(DefaultServers, need)
	}
	switch {
	case o.InProgress == 0:
		o.InProgress = DefaultInProgress
	case o.InProgress < 0:
		o.InProgress = 0
	}
	o.InProgress = min(o.InProgress, o.Jobs)
	o.SnowballClusters = countOrDefault(o.SnowballClusters, DefaultSnowballClusters)
	o.SnowballJobsPerCluster = countOrDefault(o.SnowballJobsPerCluster, DefaultSnowballJobsPerCluster)
	o.SMSJobs = countOrDefault(o.SMSJobs, DefaultSMSJobs)
	o.SourceNetworks = countOrDefault(o.SourceNetworks, DefaultSourceNetworks)
	if o.SnapshotInterval <= 0 {
		o.SnapshotInterval = DefaultSnapshotInterval
	}
	switch {
	case o.LaunchFailureRate == 0:
		o.LaunchFailureRate = DefaultLaunchFailureRate
	case o.LaunchFailureRate < 0:
		o.LaunchFailureRate = 0
	}
	if o.StagingAccounts == nil {
		o.StagingAccounts = []string{DefaultStagingAccount}
	} else {
		o.StagingAccounts = slices.Clone(o.StagingAccounts)
	}
	return o
}

// countOrDefault resolves a count option: zero selects def and a negative
// value means none.
func countOrDefault(n, def int) int {
	switch {
	case n == 0:
		return def
	case n < 0:
		return 0
	}
	return n
}

// Faults makes the server misbehave on purpose. The zero value means a
// well-behaved server.
type Faults struct {
	// ThrottleRate is the fraction of calls answered with a throttling
	// error: 429 ThrottlingException for DRS, 400 ThrottlingException for
	// Snowball and SMS, 400 Throttling for STS.
	ThrottleRate float64
	// ServerErrorRate is the fraction of calls answered with a 500 error:
	// InternalServerException for DRS, InternalError for SMS and
	// InternalFailure for Snowball and STS.
	ServerErrorRate float64
	// Latency is added before every answer, on top of the short pause long
	// answers always take (see Server).
	Latency time.Duration
	// Truncate maps an operation name (OpDescribeJobs, ...) to true when
	// successful answers of that operation are to be cut in half mid-JSON
	// (mid-XML for STS).
	// The status stays 200 and Content-Length matches the truncated body.
	Truncate map[string]bool
	// Malformed maps an operation name to true when successful answers of
	// that operation are to be replaced with an HTML error page from a
	// proxy.
	Malformed map[string]bool
	// WrongTypes maps an operation name to a way of breaking the JSON
	// types of its successful answers, which stay valid JSON (see
	// WrongType). STS answers are XML and are left alone.
	WrongTypes map[string]WrongType
	// RepeatTokens maps an operation name to a cycle length c of at least
	// 1: the answer to the request carrying the c-th nextToken of a listing
	// hands back the listing's first nextToken again, whatever is left to
	// list. With 1 the service returns the same token forever; with 2 the
	// tokens go A, B, A, B... A listing of c pages or fewer is not
	// affected.
	RepeatTokens map[string]int
	// ExpireTokens maps an operation name to a count k: the first k
	// distinct nextTokens presented to that operation (in any listing) are
	// each refused once as expired, and accepted when presented again: 400
	// ValidationException for DRS, 400 InvalidNextTokenException for
	// Snowball and 400 InvalidParameterException for SMS. A client that
	// starts its listing again from the first page after each refusal gets
	// one page further each time. SetFaults forgets which tokens were
	// refused.
	ExpireTokens map[string]int
	// AccessDenied maps an operation name to true when its calls are to be
	// refused for want of the IAM permission: 403 AccessDeniedException for
	// DRS, 400 AccessDeniedException for Snowball, 400
	// UnauthorizedOperationException for SMS and 403 AccessDenied for STS.
	AccessDenied map[string]bool
	// UninitializedAccount answers every DRS call with 400
	// UninitializedAccountException, as DRS answers in a region where it
	// was never initialized. Snowball, SMS and STS answer as usual.
	UninitializedAccount bool
	// Reject maps an operation name to a message: its calls are answered
	// with 400 ValidationException carrying that message, as a service
	// does that quotes a request's parameters or headers back.
	Reject map[string]string
}

// WrongType is a way of breaking the JSON types of an answer while keeping
// it valid JSON, for Faults.WrongTypes.
type WrongType int

// The ways Faults.WrongTypes breaks an answer.
const (
	// ListAsObject makes the answer's list member (items, accounts,
	// ClusterListEntries, JobListEntries, replicationJobList) the object
	// {"a":1}.
	ListAsObject WrongType = iota + 1
	// TokenAsNumber makes the answer's nextToken (NextToken for Snowball)
	// the number 5, on every page, the last included.
	TokenAsNumber
	// ItemAsString makes the first element of the answer's list the string
	// "item", adding it if the list is empty.
	ItemAsString
	// ItemNotUTF8 gives the first element of the answer's list (when it has
	// one) a member "x" whose string holds the byte 0xff: no longer JSON by
	// RFC 8259, though Go's decoder reads it.
	ItemNotUTF8
	// ItemTooDeep gives the first element of the answer's list (when it has
	// one) a member "x" nested 9000 lists deep.
	ItemTooDeep
)

// String names w as in a test's name.
func (w WrongType) String() string {
	switch w {
	case ListAsObject:
		return "list as object"
	case TokenAsNumber:
		return "token as number"
	case ItemAsString:
		return "item as string"
	case ItemNotUTF8:
		return "item not UTF-8"
	case ItemTooDeep:
		return "item too deep"
	}
	return "no wrong type"
}

// clone returns a deep copy of f so callers may keep mutating their maps.
func (f Faults) clone() Faults {
	f.Truncate = maps.Clone(f.Truncate)
	f.Malformed = maps.Clone(f.Malformed)
	f.WrongTypes = maps.Clone(f.WrongTypes)
	f.RepeatTokens = maps.Clone(f.RepeatTokens)
	f.ExpireTokens = maps.Clone(f.ExpireTokens)
	f.AccessDenied = maps.Clone(f.AccessDenied)
	f.Reject = maps.Clone(f.Reject)
	return f
}
