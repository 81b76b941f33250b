package index_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
)

// TestRecoveryDocuments: the documents of recovery snapshots and recovery
// instances carry their IDs, source server, job and state as the generic
// walk finds them.
func TestRecoveryDocuments(t *testing.T) {
	tests := []struct {
		name      string
		rec       archive.Record
		servers   []string
		instances []string
		status    []string
		text      []string
	}{
		{
			name: "snapshot",
			rec: archive.Record{Kind: kinds.DRSRecoverySnapshot, ID: "pit-0123456789abcdef0",
				Data: []byte(`{"snapshotID":"pit-0123456789abcdef0","sourceServerID":"s-0123456789abcdef0","timestamp":"2026-11-01T10:00:00Z","ebsSnapshots":["snap-1"]}`)},
			servers: []string{"s-0123456789abcdef0"},
			text:    []string{"pit-0123456789abcdef0"},
		},
		{
			name: "drill instance",
			rec: archive.Record{Kind: kinds.DRSRecoveryInstance, ID: "i-0abc",
				Data: []byte(`{"recoveryInstanceID":"i-0abc","ec2InstanceID":"i-0abc","sourceServerID":"s-0123456789abcdef0","jobID":"drsjob-0123456789abcdef0","isDrill":true,"ec2InstanceState":"STOPPED"}`)},
			servers:   []string{"s-0123456789abcdef0"},
			instances: []string{"i-0abc"},
			status:    []string{"STOPPED"},
			text:      []string{"drsjob-0123456789abcdef0", "drill instance"},
		},
		{
			name: "recovery instance",
			rec: archive.Record{Kind: kinds.DRSRecoveryInstance, ID: "i-0def",
				Data: []byte(`{"recoveryInstanceID":"i-0def","sourceServerID":"s-0123456789abcdef1","jobID":"drsjob-1","isDrill":false,"ec2InstanceState":"RUNNING"}`)},
			servers:   []string{"s-0123456789abcdef1"},
			instances: []string{"i-0def"},
			status:    []string{"RUNNING"},
			text:      []string{"drsjob-1", "recovery instance"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := index.NewDocument(tc.rec)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.ServerIDs, tc.servers) || !slices.Equal(d.InstanceIDs, tc.instances) || !slices.Equal(d.Status, tc.status) {
				t.Errorf("servers %v, instances %v, status %v; want %v, %v, %v", d.ServerIDs, d.InstanceIDs, d.Status, tc.servers, tc.instances, tc.status)
			}
			for _, w := range tc.text {
				if !strings.Contains(d.Text, w) {
					t.Errorf("text %q lacks %q", d.Text, w)
				}
			}
			if d.JobID != "" {
				t.Errorf("job %q: only jobs and log items belong to a job", d.JobID)
			}
		})
	}
}
