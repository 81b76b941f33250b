package query

import (
	"fmt"
	"strings"
	"sync"

	drs "github.com/aws/aws-sdk-go-v2/service/drs/types"
	snowball "github.com/aws/aws-sdk-go-v2/service/snowball/types"
)

// EnumKind names a set of values an enum filter accepts.
type EnumKind int

// The enum kinds, each matched against the index field of the same name.
const (
	// EnumEvent is a DRS job log item's event (LAUNCH_FAILED).
	EnumEvent EnumKind = iota
	// EnumStatus is a status or state: DRS job status, launch status, last
	// launch result, EC2 instance state and the like, Snowball job state,
	// SMS replication job and run state.
	EnumStatus
	// EnumType is a job type: DRS job and launch types, Snowball job type,
	// SMS replication run type.
	EnumType
	// EnumInitiatedBy is what started a DRS job (START_DRILL).
	EnumInitiatedBy
	// EnumReplicationState is a DRS data replication state.
	EnumReplicationState
	// EnumJobType is a DRS job's own type (LAUNCH, TERMINATE...), which
	// --type selects jobs by.
	EnumJobType
)

// String is the name of the kind as an error message says it.
func (k EnumKind) String() string {
	switch k {
	case EnumEvent:
		return "event"
	case EnumStatus:
		return "status"
	case EnumType:
		return "type"
	case EnumInitiatedBy:
		return "initiatedBy value"
	case EnumReplicationState:
		return "replication state"
	case EnumJobType:
		return "DRS job type"
	}
	return fmt.Sprintf("EnumKind(%d)", int(k))
}

// SMS enums: the SMS SDK module is not a dependency, so its values are
// declared here, from the GetReplicationJobs response syntax.
var (
	// smsReplicationJobStates are the states of an SMS replication job.
	smsReplicationJobStates = []string{"PENDING", "ACTIVE", "FAILED", "DELETING", "DELETED", "COMPLETED", "PAUSED_ON_FAILURE", "FAILING"}
	// smsReplicationRunStates are the states of an SMS replication run.
	smsReplicationRunStates = []string{"PENDING", "MISSED", "ACTIVE", "FAILED", "COMPLETED", "DELETING", "DELETED"}
	// smsReplicationRunTypes are the types of an SMS replication run.
	smsReplicationRunTypes = []string{"ON_DEMAND", "AUTOMATIC"}
)

// strs turns an SDK enum's Values() into strings.
func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// enumValues are the known values of each kind, in the services' spelling:
// every value an archived record can carry in the matching index field.
// They are listed the first time a query needs them, not as every command
// starts.
var enumValues = sync.OnceValue(func() map[EnumKind][]string {
	return map[EnumKind][]string{
		EnumEvent: strs(drs.JobLogEvent("").Values()),
		EnumStatus: join(
			strs(drs.JobStatus("").Values()),
			strs(drs.LaunchStatus("").Values()),
			strs(drs.LastLaunchResult("").Values()),
			strs(drs.EC2InstanceState("").Values()),
			strs(drs.DataReplicationInitiationStepStatus("").Values()),
			strs(drs.RecoveryInstanceDataReplicationInitiationStepStatus("").Values()),
			strs(drs.FailbackState("").Values()),
			strs(drs.LaunchActionRunStatus("").Values()),
			strs(drs.ExtensionStatus("").Values()),
			strs(snowball.JobState("").Values()),
			strs(snowball.ClusterState("").Values()),
			smsReplicationJobStates,
			smsReplicationRunStates,
		),
		EnumType: join(
			strs(drs.JobType("").Values()),
			strs(drs.LastLaunchType("").Values()),
			strs(drs.FailbackLaunchType("").Values()),
			strs(snowball.JobType("").Values()),
			smsReplicationRunTypes,
		),
		EnumInitiatedBy: strs(drs.InitiatedBy("").Values()),
		EnumJobType:     strs(drs.JobType("").Values()),
		EnumReplicationState: join(
			strs(drs.DataReplicationState("").Values()),
			strs(drs.RecoveryInstanceDataReplicationState("").Values()),
		),
	}
})

// join lists the distinct values of lists, in order of first appearance.
func join(lists ...[]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range lists {
		for _, v := range l {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}

// EnumValues returns the known values of kind.
func EnumValues(kind EnumKind) []string { return append([]string(nil), enumValues()[kind]...) }

// CheckEnum checks the values given to flag (such as "--event") against
// the known values of kind, ignoring case, and returns them in the
// services' spelling (launch_failed gives LAUNCH_FAILED). A value that is
// not known is refused with the closest known one:
//
//	--event "LAUNCH_FAILD": no such event; did you mean LAUNCH_FAILED?
func CheckEnum(flag string, kind EnumKind, values []string) ([]string, error) {
	known := enumValues()[kind]
	var out []string
	for _, v := range values {
		s := strings.TrimSpace(v)
		if s == "" {
			return nil, fmt.Errorf("%s: empty value", flag)
		}
		canon := ""
		for _, k := range known {
			if strings.EqualFold(k, s) {
				canon = k
				break
			}
		}
		if canon == "" {
			return nil, fmt.Errorf("%s %q: no such %s; did you mean %s?", flag, v, kind, closest(s, known))
		}
		out = append(out, canon)
	}
	return out, nil
}

// closest returns the value of known nearest to s in edit distance,
// ignoring case; the first of equals.
func closest(s string, known []string) string {
	best, bestD := "", -1
	u := strings.ToUpper(s)
	for _, k := range known {
		if d := editDistance(u, strings.ToUpper(k)); bestD < 0 || d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Closest returns the word of known nearest to s (edit distance, case
// ignored), for "did you mean" hints.
func Closest(s string, known []string) string { return closest(s, known) }
