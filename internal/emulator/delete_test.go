package emulator_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/archiver-dev/archiver/internal/emulator"
)

// idsOf reads the member key of each served object.
func idsOf(t *testing.T, raws []json.RawMessage, key string) []string {
	t.Helper()
	out := make([]string, len(raws))
	for i, r := range raws {
		var m map[string]any
		if err := json.Unmarshal(r, &m); err != nil {
			t.Fatal(err)
		}
		out[i], _ = m[key].(string)
	}
	return out
}

func TestDeleteAndRestore(t *testing.T) {
	srv := emulator.New(emulator.Options{Jobs: 8, SnowballClusters: 2, SnowballJobsPerCluster: 3, SMSJobs: 4})
	jobs := srv.JobIDs()
	oldest := jobs[len(jobs)-1]
	cluster := srv.ClusterIDs()[0]
	tests := []struct {
		name   string
		id     string
		del    func(id string) error
		listed func() []string
	}{
		{"DRS job", oldest, srv.DeleteJob, srv.JobIDs},
		{"source server", idsOf(t, srv.SourceServers(), "sourceServerID")[0], srv.DeleteSourceServer,
			func() []string { return idsOf(t, srv.SourceServers(), "sourceServerID") }},
		{"Snowball job", idsOf(t, srv.ClusterJobs(cluster), "JobId")[1], srv.DeleteSnowballJob,
			func() []string { return idsOf(t, srv.ClusterJobs(cluster), "JobId") }},
		{"Snowball cluster", srv.ClusterIDs()[1], srv.DeleteCluster, srv.ClusterIDs},
		{"SMS job", idsOf(t, srv.ReplicationJobs(), "replicationJobId")[2], srv.DeleteReplicationJob,
			func() []string { return idsOf(t, srv.ReplicationJobs(), "replicationJobId") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.listed()
			if !slices.Contains(before, tt.id) {
				t.Fatalf("%s is not listed to begin with", tt.id)
			}
			if err := tt.del(tt.id); err != nil {
				t.Fatal(err)
			}
			after := tt.listed()
			if slices.Contains(after, tt.id) || len(after) != len(before)-1 {
				t.Errorf("after delete: %d listed (%d before), %s among them: %v", len(after), len(before), tt.id, slices.Contains(after, tt.id))
			}
			if err := tt.del(tt.id); err == nil {
				t.Error("deleting twice succeeded")
			}
			if err := srv.Restore(tt.id); err != nil {
				t.Fatal(err)
			}
			if got := tt.listed(); !slices.Equal(got, before) {
				t.Errorf("after restore: %v, want %v", got, before)
			}
		})
	}
	if err := srv.DeleteJob(jobs[0]); err == nil {
		t.Error("deleting a running job succeeded")
	}
}
