package sync

import (
	"encoding/json"
)

// smsJobHead is the part of an SMS replication job sync reads to file it.
type smsJobHead struct {
	ReplicationJobID    string          `json:"replicationJobId"`
	SeedReplicationTime json.RawMessage `json:"seedReplicationTime"`
}

// volatileSMSFields are the members of an SMS replication job that move
// without its state changing: the next scheduled run, and the progress
// counter of a run's stage.
var volatileSMSFields = [][]string{
	{"nextReplicationRunStartTime"},
	{"replicationRunList", "*", "stageDetails", "stageProgress"},
}

// smsFingerprint hashes the state of an SMS replication job: the job's and
// its runs' states, messages, AMIs and times, everything but
// volatileSMSFields. Timestamps count by the instant they name, so the
// epoch seconds of the API and the ISO 8601 text of saved AWS CLI output
// give the same fingerprint.
func smsFingerprint(raw json.RawMessage) ([]byte, error) {
	return fingerprint(raw, volatileSMSFields, func(m map[string]any) {
		normalizeTimes(m, "seedReplicationTime")
		if runs, ok := m["replicationRunList"].([]any); ok {
			for _, r := range runs {
				if run, ok := r.(map[string]any); ok {
					normalizeTimes(run, "scheduledStartTime", "completedTime")
				}
			}
		}
	})
}

// snowballFingerprint hashes the state of a Snowball cluster job: the whole
// entry, its CreationDate counted by the instant it names (see
// smsFingerprint).
func snowballFingerprint(raw json.RawMessage) ([]byte, error) {
	return fingerprint(raw, nil, func(m map[string]any) { normalizeTimes(m, "CreationDate") })
}

// normalizeTimes replaces the named timestamp members of m, epoch seconds
// or ISO 8601 text, with the instant they name in one form.
func normalizeTimes(m map[string]any, names ...string) {
	for _, name := range names {
		if t, ok := timeValue(m[name]); ok {
			m[name] = t.UTC().Format("2006-01-02T15:04:05.999999999Z")
		}
	}
}
