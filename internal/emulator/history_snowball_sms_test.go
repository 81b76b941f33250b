package emulator_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/internal/emulator"
)

// snowSMSSnapshot is every Snowball and SMS byte a server serves.
func snowSMSSnapshot(srv *emulator.Server) []json.RawMessage {
	out := append(srv.Clusters(), srv.ReplicationJobs()...)
	for _, id := range srv.ClusterIDs() {
		out = append(out, srv.ClusterJobs(id)...)
	}
	return out
}

// drsSnapshot is every DRS byte a server serves.
func drsSnapshot(srv *emulator.Server) []json.RawMessage {
	out := append(srv.Jobs(), srv.SourceServers()...)
	for _, id := range srv.JobIDs() {
		out = append(out, srv.JobLog(id)...)
	}
	return out
}

func TestSnowballAndSMSDeterminism(t *testing.T) {
	opts := emulator.Options{Seed: 7, SnowballClusters: 4, SMSJobs: 9}
	a, b := emulator.New(opts), emulator.New(opts)
	if !equalRaw(snowSMSSnapshot(a), snowSMSSnapshot(b)) {
		t.Fatal("two Snowball and SMS histories from the same options differ")
	}
	for _, d := range []time.Duration{3 * time.Hour, time.Minute, time.Microsecond, 48 * time.Hour} {
		a.Advance(d)
		b.Advance(d)
		if !equalRaw(snowSMSSnapshot(a), snowSMSSnapshot(b)) {
			t.Fatalf("histories from the same options differ after the same Advances (last %v)", d)
		}
	}
	other := emulator.New(emulator.Options{Seed: 8, SnowballClusters: 4, SMSJobs: 9})
	if equalRaw(snowSMSSnapshot(other), snowSMSSnapshot(emulator.New(opts))) {
		t.Fatal("different seeds give the same Snowball and SMS histories")
	}
}

// TestNewHistoriesLeaveDRSAlone checks that the Snowball and SMS options
// change no DRS byte, before or after Advance: they draw from random
// streams of their own.
func TestNewHistoriesLeaveDRSAlone(t *testing.T) {
	plain := emulator.New(emulator.Options{Seed: 5})
	busy := emulator.New(emulator.Options{Seed: 5, SnowballClusters: 9, SnowballJobsPerCluster: 3, SMSJobs: 30})
	none := emulator.New(emulator.Options{Seed: 5, SnowballClusters: -1, SMSJobs: -1})
	for round := range 3 {
		want := drsSnapshot(plain)
		if !equalRaw(drsSnapshot(busy), want) || !equalRaw(drsSnapshot(none), want) {
			t.Fatalf("round %d: Snowball and SMS options changed the DRS history", round)
		}
		for _, s := range []*emulator.Server{plain, busy, none} {
			s.Advance(2 * time.Hour)
		}
	}
}

func TestSnowballAndSMSOptions(t *testing.T) {
	hasUnknown := func(raws []json.RawMessage) bool {
		for _, r := range raws {
			if bytes.Contains(r, []byte(`"x-`)) {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		name                  string
		opts                  emulator.Options
		clusters, jobs, sms   int
		unknownIn, unknownOut bool
	}{
		{"defaults", emulator.Options{}, emulator.DefaultSnowballClusters, emulator.DefaultSnowballJobsPerCluster, emulator.DefaultSMSJobs, true, false},
		{"none", emulator.Options{SnowballClusters: -1, SMSJobs: -1}, 0, 0, 0, false, false},
		{"clusters without jobs", emulator.Options{SnowballClusters: 3, SnowballJobsPerCluster: -1}, 3, 0, emulator.DefaultSMSJobs, true, false},
		{"many", emulator.Options{SnowballClusters: 30, SnowballJobsPerCluster: 8, SMSJobs: 40}, 30, 8, 40, true, false},
		{"no unknown fields", emulator.Options{SnowballClusters: 30, SMSJobs: 40, NoUnknownFields: true}, 30, emulator.DefaultSnowballJobsPerCluster, 40, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := emulator.New(tc.opts)
			for range 2 {
				ids := srv.ClusterIDs()
				if len(ids) != tc.clusters || len(srv.Clusters()) != tc.clusters {
					t.Fatalf("%d clusters, want %d", len(ids), tc.clusters)
				}
				var jobs []json.RawMessage
				for i, cl := range decode[wireCluster](t, srv.Clusters()) {
					if cl.ClusterID != ids[i] || len(cl.ClusterID) != 39 || !strings.HasPrefix(cl.ClusterID, "CID") {
						t.Fatalf("cluster ID %q", cl.ClusterID)
					}
					cj := decode[wireClusterJob](t, srv.ClusterJobs(cl.ClusterID))
					if len(cj) != tc.jobs {
						t.Fatalf("cluster %s has %d jobs, want %d", cl.ClusterID, len(cj), tc.jobs)
					}
					checkClusterState(t, cl, cj)
					prev := epoch(t, cl.CreationDate).Add(-time.Millisecond)
					for _, j := range cj {
						if len(j.JobID) != 39 || !strings.HasPrefix(j.JobID, "JID") || j.IsMaster || !slices.Contains(append(snowOrder, "Cancelled"), j.JobState) {
							t.Fatalf("cluster %s job %+v", cl.ClusterID, j)
						}
						if at := epoch(t, j.CreationDate); !at.After(prev) {
							t.Fatalf("cluster %s job %s created %v, not after %v", cl.ClusterID, j.JobID, at, prev)
						}
					}
					jobs = append(jobs, srv.ClusterJobs(cl.ClusterID)...)
				}
				if srv.ClusterJobs("CID00000000-0000-4000-a000-000000000000") != nil {
					t.Fatal("ClusterJobs of an unknown cluster is not nil")
				}
				if n := len(checkReplicationJobs(t, srv, srv.Now())); n != tc.sms {
					t.Fatalf("%d replication jobs, want %d", n, tc.sms)
				}
				if tc.unknownIn && (!hasUnknown(srv.Clusters()) || (tc.jobs > 0 && !hasUnknown(jobs)) || !hasUnknown(srv.ReplicationJobs())) {
					t.Fatalf("unknown members missing: clusters %v, jobs %v, replication jobs %v", hasUnknown(srv.Clusters()), hasUnknown(jobs), hasUnknown(srv.ReplicationJobs()))
				}
				if tc.unknownOut && (hasUnknown(srv.Clusters()) || hasUnknown(jobs) || hasUnknown(srv.ReplicationJobs())) {
					t.Fatal("NoUnknownFields still serves unknown members")
				}
				srv.Advance(5 * time.Hour)
			}
		})
	}
}

func TestSnowballHistoryShape(t *testing.T) {
	srv := emulator.New(emulator.Options{SnowballClusters: 6})
	states := map[string]int{}
	for _, cl := range decode[wireCluster](t, srv.Clusters()) {
		states[cl.ClusterState]++
		if at := epoch(t, cl.CreationDate); at.After(srv.Now()) || at.Before(srv.Now().Add(-100*24*time.Hour)) {
			t.Fatalf("cluster %s created %v, outside the history", cl.ClusterID, at)
		}
	}
	for _, st := range []string{"Complete", "Cancelled", "Pending"} {
		if states[st] == 0 {
			t.Errorf("no %s cluster among %v", st, states)
		}
	}
	ids := srv.ClusterIDs()
	newest := decode[wireClusterJob](t, srv.ClusterJobs(ids[len(ids)-1]))
	for _, j := range newest {
		if i := slices.Index(snowOrder, j.JobState); i < 0 || i > 2 {
			t.Fatalf("job %s of the newest cluster is %s, want it still being prepared", j.JobID, j.JobState)
		}
	}
}
