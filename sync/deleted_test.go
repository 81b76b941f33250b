package sync_test

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

// served reads member key of each object served.
func served(t *testing.T, raws []json.RawMessage, key string) []string {
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

// markings reads every deleted-upstream marking of the archive in dir, by
// kind and ID, and checks the hash chain.
func markings(t *testing.T, dir string) map[string]archive.Marking {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string]archive.Marking{}
	err = st.View(func(r *archive.Reader) error {
		if err := r.EachDeleted(func(m archive.Marking) error {
			out[string(m.Kind)+" "+m.ID] = m
			return nil
		}); err != nil {
			return err
		}
		_, err := r.VerifyChain(context.Background(), func(err error) { t.Errorf("verify: %v", err) })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// held reports whether the archive in dir still holds a record of kind and
// id, and, for a DRS job, how many log items.
func held(t *testing.T, dir string, kind archive.Kind, id string) (bool, int) {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	found, logs := false, 0
	err = st.View(func(r *archive.Reader) error {
		return r.Each(kind, func(rec archive.Record) error {
			if rec.ID != id {
				return nil
			}
			found = true
			if kind == kinds.DRSJob {
				return r.JobLog(archive.JobRef{JobID: rec.ID, Region: rec.Region, Account: rec.Account}, func(archive.Record) error {
					logs++
					return nil
				})
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return found, logs
}

// TestDeletedUpstream syncs, deletes objects in the emulator, and syncs
// again: first with a fault that interrupts a listing (nothing is marked),
// then completely (exactly the deleted objects are marked, their records
// kept), then after the objects came back (they are unmarked).
func TestDeletedUpstream(t *testing.T) {
	hist := emulator.Options{Seed: 5, Jobs: 10, LogItemsPerJob: 6, Servers: 8, SnowballClusters: 3, SnowballJobsPerCluster: 4, SMSJobs: 6}
	tests := []struct {
		name     string
		sources  []archsync.Source
		clusters func(emu *emulator.Server) []string // --snowball-cluster-id
		fault    emulator.Faults                     // interrupts the listings that would mark
		// del deletes objects in emu and returns what must be marked
		// ("kind id") and what was deleted without being marked.
		del func(t *testing.T, emu *emulator.Server) (marked []string, restore []string)
	}{
		{"DRS job, source server and source network", []archsync.Source{archsync.SourceDRS}, nil,
			emulator.Faults{RepeatTokens: map[string]int{emulator.OpDescribeJobs: 1, emulator.OpDescribeSourceServers: 1, emulator.OpDescribeSourceNetworks: 1}},
			func(t *testing.T, emu *emulator.Server) ([]string, []string) {
				jobs := emu.JobIDs()
				job := jobs[len(jobs)-1]
				srv := served(t, emu.SourceServers(), "sourceServerID")[2]
				network := emu.SourceNetworkIDs()[1]
				if err := emu.DeleteJob(job); err != nil {
					t.Fatal(err)
				}
				if err := emu.DeleteSourceServer(srv); err != nil {
					t.Fatal(err)
				}
				if err := emu.DeleteSourceNetwork(network); err != nil {
					t.Fatal(err)
				}
				// A server's settings go with it.
				return []string{string(kinds.DRSJob) + " " + job, string(kinds.DRSSourceServer) + " " + srv,
					string(kinds.DRSLaunchConfiguration) + " " + srv, string(kinds.DRSReplicationConfiguration) + " " + srv,
					string(kinds.DRSSourceNetwork) + " " + network}, []string{job, srv, network}
			}},
		{"Snowball job and cluster", []archsync.Source{archsync.SourceSnowball}, nil,
			emulator.Faults{Truncate: map[string]bool{emulator.OpListClusters: true}},
			func(t *testing.T, emu *emulator.Server) ([]string, []string) {
				cl := emu.ClusterIDs()
				job := served(t, emu.ClusterJobs(cl[0]), "JobId")[1]
				gone := served(t, emu.ClusterJobs(cl[2]), "JobId")
				if err := emu.DeleteSnowballJob(job); err != nil {
					t.Fatal(err)
				}
				if err := emu.DeleteCluster(cl[2]); err != nil {
					t.Fatal(err)
				}
				want := []string{string(kinds.SnowballJob) + " " + job}
				for _, j := range gone {
					want = append(want, string(kinds.SnowballJob)+" "+j)
				}
				return want, []string{job, cl[2]}
			}},
		{"Snowball listing restricted to one cluster", []archsync.Source{archsync.SourceSnowball},
			func(emu *emulator.Server) []string { return emu.ClusterIDs()[:1] },
			emulator.Faults{RepeatTokens: map[string]int{emulator.OpListClusterJobs: 1}},
			func(t *testing.T, emu *emulator.Server) ([]string, []string) {
				cl := emu.ClusterIDs()
				in := served(t, emu.ClusterJobs(cl[0]), "JobId")[0]
				out := served(t, emu.ClusterJobs(cl[1]), "JobId")[0]
				for _, j := range []string{in, out} {
					if err := emu.DeleteSnowballJob(j); err != nil {
						t.Fatal(err)
					}
				}
				return []string{string(kinds.SnowballJob) + " " + in}, []string{in, out}
			}},
		{"SMS replication job", []archsync.Source{archsync.SourceSMS}, nil,
			emulator.Faults{RepeatTokens: map[string]int{emulator.OpGetReplicationJobs: 1}},
			func(t *testing.T, emu *emulator.Server) ([]string, []string) {
				job := served(t, emu.ReplicationJobs(), "replicationJobId")[3]
				if err := emu.DeleteReplicationJob(job); err != nil {
					t.Fatal(err)
				}
				return []string{string(kinds.SMSJob) + " " + job}, []string{job}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			emu := archivetest.Emulator(t, hist)
			dir := archivetest.Dir(t)
			o := options(dir, emu)
			o.Sources, o.Now, o.NoIndex, o.PageSize = tt.sources, emu.Now, true, 2
			if tt.clusters != nil {
				o.SnowballClusters = tt.clusters(emu)
			}
			first := emu.Now()
			runSync(t, o)
			if m := markings(t, dir); len(m) != 0 {
				t.Fatalf("after the first sync: %d marked", len(m))
			}

			want, back := tt.del(t, emu)
			emu.Advance(time.Hour)
			second := emu.Now()

			emu.SetFaults(tt.fault)
			var st archsync.Stats
			if err := archsync.Run(context.Background(), o, &st); err == nil {
				t.Fatal("the interrupted sync succeeded")
			}
			if m := markings(t, dir); len(m) != 0 {
				t.Errorf("the interrupted sync marked %v", slices.Sorted(maps.Keys(m)))
			}

			emu.SetFaults(emulator.Faults{})
			runSync(t, o)
			got := markings(t, dir)
			if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, slices.Sorted(slices.Values(want))) {
				t.Fatalf("marked %v, want %v", keys, slices.Sorted(slices.Values(want)))
			}
			for k, m := range got {
				if !m.DeletedUpstreamAt.Equal(second) || !m.LastSeen.Equal(first) {
					t.Errorf("%s: deletedUpstreamAt %v, lastSeen %v; want %v and %v", k, m.DeletedUpstreamAt, m.LastSeen, second, first)
				}
				if m.Region != "us-east-1" || m.Account != emu.Account() {
					t.Errorf("%s: region %s account %s", k, m.Region, m.Account)
				}
				found, logs := held(t, dir, m.Kind, m.ID)
				if !found {
					t.Errorf("%s: the record is gone", k)
				}
				if m.Kind == kinds.DRSJob && logs == 0 {
					t.Errorf("%s: the log is gone", k)
				}
			}

			// Another complete sync keeps the markings as they are.
			emu.Advance(time.Hour)
			runSync(t, o)
			again := markings(t, dir)
			if !maps.Equal(again, got) {
				t.Errorf("a later sync changed the markings: %v, was %v", again, got)
			}

			for _, id := range back {
				if err := emu.Restore(id); err != nil {
					t.Fatal(err)
				}
			}
			emu.Advance(time.Hour)
			runSync(t, o)
			if m := markings(t, dir); len(m) != 0 {
				t.Errorf("after the objects came back, still marked: %v", slices.Sorted(maps.Keys(m)))
			}
		})
	}
}

// TestDeletedUpstreamCancelled: a sync whose context is cancelled marks
// nothing; the next complete sync does.
func TestDeletedUpstreamCancelled(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 6, Jobs: 6, SMSJobs: 4})
	dir := archivetest.Dir(t)
	o := options(dir, emu)
	o.Sources, o.Now, o.NoIndex = []archsync.Source{archsync.SourceSMS}, emu.Now, true
	runSync(t, o)
	job := served(t, emu.ReplicationJobs(), "replicationJobId")[0]
	if err := emu.DeleteReplicationJob(job); err != nil {
		t.Fatal(err)
	}
	emu.Advance(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var st archsync.Stats
	if err := archsync.Run(ctx, o, &st); err == nil {
		t.Fatal("the cancelled sync succeeded")
	}
	if m := markings(t, dir); len(m) != 0 {
		t.Errorf("the cancelled sync marked %v", slices.Sorted(maps.Keys(m)))
	}
	runSync(t, o)
	if m := markings(t, dir); len(m) != 1 || m[string(kinds.SMSJob)+" "+job].ID != job {
		t.Errorf("after a complete sync: marked %v, want %s", slices.Sorted(maps.Keys(m)), job)
	}
}
