package sync

import (
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

func TestImportedState(t *testing.T) {
	synced := func(data string) archive.Record { return archive.Record{Data: []byte(data)} }
	imported := func(data string) archive.Record {
		return archive.Record{Data: []byte(data), Imported: &archive.Import{File: "f.json", SHA256: "00"}}
	}
	tests := []struct {
		name     string
		kind     archive.Kind
		archived archive.Record
		data     string
		same     bool
		diff     string // importDiff of data against the archived data
	}{
		{"equal", kinds.DRSJobLogItem, synced(`{"event":"A","n":[1,2]}`), `{"n":[1,2],"event":"A"}`, true, ""},
		{"a member the CLI dropped", kinds.DRSJobLogItem, synced(`{"event":"A","x-new":{"a":1}}`), `{"event":"A"}`, true, ""},
		{"a nested member the CLI dropped", kinds.DRSJobLogItem, synced(`{"eventData":{"rawError":"e","x":1}}`), `{"eventData":{"rawError":"e"}}`, true, ""},
		{"numbers by value", kinds.DRSJobLogItem, synced(`{"n":1786298255.440}`), `{"n":1786298255.44}`, true, ""},
		{"a value differs", kinds.DRSJobLogItem, synced(`{"eventData":{"rawError":"e"}}`), `{"eventData":{"rawError":"f"}}`, false, "$.eventData.rawError"},
		{"a member only the file has", kinds.DRSJobLogItem, synced(`{"event":"A"}`), `{"event":"A","x-y":1}`, false, `$["x-y"]`},
		{"an array of another length", kinds.DRSJobLogItem, synced(`{"a":[{"b":1},{"b":2}]}`), `{"a":[{"b":1}]}`, false, "$.a"},
		{"an array element differs", kinds.DRSJobLogItem, synced(`{"a":[{"b":1},{"b":2}]}`), `{"a":[{"b":1},{"b":3}]}`, false, "$.a[1].b"},
		{"large integers as written", kinds.DRSJobLogItem, synced(`{"n":12345678901234567890}`), `{"n":12345678901234567891}`, false, "$.n"},
		{"another type", kinds.DRSJobLogItem, synced(`{"n":"1"}`), `{"n":1}`, false, "$.n"},
		{"a member the archive lacks, both imported", kinds.DRSJob, imported(`{"jobID":"j"}`), `{"jobID":"j","x":1}`, true, "$.x"},
		{"volatile members of a source server", kinds.DRSSourceServer,
			synced(`{"sourceServerID":"s","lifeCycle":{"lastSeenByServiceDateTime":"2026-01-01T00:00:00Z"},"dataReplicationInfo":{"lagDuration":"PT5S","x":1}}`),
			`{"sourceServerID":"s","lifeCycle":{"lastSeenByServiceDateTime":"2026-01-02T00:00:00Z"},"dataReplicationInfo":{"lagDuration":"PT20S"}}`, true, ""},
		{"a source server's lag in another band", kinds.DRSSourceServer,
			synced(`{"sourceServerID":"s","dataReplicationInfo":{"lagDuration":"PT5S"}}`),
			`{"sourceServerID":"s","dataReplicationInfo":{"lagDuration":"PT2H"}}`, false, "$.dataReplicationInfo.lagDuration"},
		{"a Snowball job's time as ISO 8601", kinds.SnowballJob, synced(`{"JobId":"J","CreationDate":1786298255.44,"JobState":"New"}`),
			`{"JobId":"J","CreationDate":"2026-08-09T17:57:35.440000+00:00","JobState":"New"}`, true, ""},
		{"a Snowball job's state", kinds.SnowballJob, synced(`{"JobId":"J","JobState":"New"}`), `{"JobId":"J","JobState":"Complete"}`, false, "$.JobState"},
		{"an SMS run's stage progress", kinds.SMSJob,
			synced(`{"replicationJobId":"r","replicationRunList":[{"state":"ACTIVE","stageDetails":{"stageProgress":"10%"}}]}`),
			`{"replicationJobId":"r","replicationRunList":[{"state":"ACTIVE","stageDetails":{"stageProgress":"90%"}}]}`, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sameImportedState(tt.kind, tt.archived, []byte(tt.data)); got != tt.same {
				t.Errorf("sameImportedState = %v, want %v", got, tt.same)
			}
			if got := importDiff(tt.kind, tt.archived.Data, []byte(tt.data)); got != tt.diff {
				t.Errorf("importDiff = %q, want %q", got, tt.diff)
			}
		})
	}
}

// TestSyncAfterImportSeesLostMembers: a sync compares an imported current
// observation one way only, the synced object covering the imported one, so
// an object that lost a member since the import is a new state.
func TestSyncAfterImportSeesLostMembers(t *testing.T) {
	cur := `{"sourceServerID":"s","dataReplicationInfo":{"dataReplicationError":{"error":"AGENT_NOT_SEEN"}}}`
	for _, tt := range []struct {
		synced string
		same   bool
	}{
		{`{"sourceServerID":"s","dataReplicationInfo":{"dataReplicationError":{"error":"AGENT_NOT_SEEN"}},"x-new":1}`, true},
		{`{"sourceServerID":"s","dataReplicationInfo":{}}`, false},
	} {
		if got := coveredState(kinds.DRSSourceServer, []byte(tt.synced), []byte(cur)); got != tt.same {
			t.Errorf("synced %s over imported %s: same %v, want %v", tt.synced, cur, got, tt.same)
		}
	}
}
