package sync_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

// sourceServerIDs returns the IDs of the source servers emu serves.
func sourceServerIDs(t *testing.T, emu *emulator.Server) []string {
	t.Helper()
	var ids []string
	for _, raw := range emu.SourceServers() {
		var h struct {
			SourceServerID string `json:"sourceServerID"`
		}
		if err := json.Unmarshal(raw, &h); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, h.SourceServerID)
	}
	return ids
}

// servedSnapshots returns the bytes of every recovery snapshot emu serves,
// by snapshot ID.
func servedSnapshots(t *testing.T, emu *emulator.Server) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, id := range sourceServerIDs(t, emu) {
		for _, raw := range emu.RecoverySnapshots(id) {
			var h struct {
				SnapshotID string `json:"snapshotID"`
			}
			if err := json.Unmarshal(raw, &h); err != nil {
				t.Fatal(err)
			}
			out[h.SnapshotID] = string(raw)
		}
	}
	return out
}

// latestInstances returns the bytes of the newest archived observation of
// each recovery instance, and the number of observations in all.
func latestInstances(t *testing.T, dir string) (map[string]string, int) {
	t.Helper()
	out, at := map[string]string{}, map[string]time.Time{}
	recs := records(t, dir, kinds.DRSRecoveryInstance)
	for _, rec := range recs {
		if rec.CapturedAt == nil {
			t.Fatalf("recovery instance %s has no capture time", rec.ID)
		}
		if c := *rec.CapturedAt; !c.Before(at[rec.ID]) {
			out[rec.ID], at[rec.ID] = string(rec.Data), c
		}
	}
	return out, len(recs)
}

// instanceTable renders served recovery instances by ID.
func instanceTable(t *testing.T, emu *emulator.Server) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, raw := range emu.RecoveryInstances() {
		var h struct {
			RecoveryInstanceID string `json:"recoveryInstanceID"`
		}
		if err := json.Unmarshal(raw, &h); err != nil {
			t.Fatal(err)
		}
		out[h.RecoveryInstanceID] = string(raw)
	}
	return out
}

// TestRecoveryVerbatim: both kinds are archived exactly as served, members
// the SDK does not model included, with the times the README documents.
func TestRecoveryVerbatim(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      emulator.Options
		wantExtra bool
	}{
		{"unknown members", emulator.Options{Seed: 21, Servers: 12, Jobs: 40}, true},
		{"no unknown members", emulator.Options{Seed: 22, Servers: 12, Jobs: 40, NoUnknownFields: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu := archivetest.Emulator(t, tc.opts)
			dir := archivetest.Dir(t)
			runSync(t, options(dir, emu))

			want := servedSnapshots(t, emu)
			if len(want) == 0 {
				t.Fatal("the emulator serves no recovery snapshots")
			}
			got := map[string]string{}
			extra := false
			for _, rec := range records(t, dir, kinds.DRSRecoverySnapshot) {
				got[rec.ID] = string(rec.Data)
				var h struct {
					Timestamp string `json:"timestamp"`
				}
				json.Unmarshal(rec.Data, &h)
				if ts, err := time.Parse(time.RFC3339Nano, h.Timestamp); err != nil || !ts.Equal(rec.Time) {
					t.Errorf("snapshot %s: time %s, timestamp %q", rec.ID, rec.Time, h.Timestamp)
				}
				extra = extra || strings.Contains(string(rec.Data), "x-")
			}
			if len(got) != len(want) {
				t.Errorf("%d snapshots archived, %d served", len(got), len(want))
			}
			for id, w := range want {
				if got[id] != w {
					t.Errorf("snapshot %s:\n got %s\nwant %s", id, got[id], w)
				}
			}

			wantIn := instanceTable(t, emu)
			if len(wantIn) == 0 {
				t.Fatal("the emulator serves no recovery instances")
			}
			gotIn, n := latestInstances(t, dir)
			if n != len(wantIn) {
				t.Errorf("%d recovery instance records, %d instances served", n, len(wantIn))
			}
			for id, w := range wantIn {
				if gotIn[id] != w {
					t.Errorf("instance %s:\n got %s\nwant %s", id, gotIn[id], w)
				}
				extra = extra || strings.Contains(w, "x-")
			}
			for _, rec := range records(t, dir, kinds.DRSRecoveryInstance) {
				var h struct {
					PIT string `json:"pointInTimeSnapshotDateTime"`
				}
				json.Unmarshal(rec.Data, &h)
				wantTime := *rec.CapturedAt
				if h.PIT != "" {
					pit, err := time.Parse(time.RFC3339Nano, h.PIT)
					if err != nil {
						t.Fatal(err)
					}
					wantTime = pit
				}
				if !rec.Time.Equal(wantTime) {
					t.Errorf("instance %s: time %s, want %s", rec.ID, rec.Time, wantTime)
				}
			}
			if extra != tc.wantExtra {
				t.Errorf("unmodelled members archived: %v, want %v", extra, tc.wantExtra)
			}
		})
	}
}

// TestRecoveryIncremental: a second sync asks each server only for the
// snapshots from its newest archived one on and adds only the new ones;
// recovery instances get a new record only when their state changed.
func TestRecoveryIncremental(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 23, Servers: 10, Jobs: 40})
	dir := archivetest.Dir(t)
	o := options(dir, emu)
	runSync(t, o)
	before := servedSnapshots(t, emu)
	firstQueries := emu.SnapshotQueries()
	for _, q := range firstQueries {
		if q.FromDateTime != "" {
			t.Errorf("first sync asked %s from %s, want everything", q.SourceServerID, q.FromDateTime)
		}
	}
	if len(firstQueries) < len(sourceServerIDs(t, emu)) {
		t.Errorf("%d DescribeRecoverySnapshots calls for %d servers", len(firstQueries), len(sourceServerIDs(t, emu)))
	}
	newest := map[string]time.Time{}
	for _, rec := range records(t, dir, kinds.DRSRecoverySnapshot) {
		var h struct {
			SourceServerID string `json:"sourceServerID"`
		}
		json.Unmarshal(rec.Data, &h)
		if rec.Time.After(newest[h.SourceServerID]) {
			newest[h.SourceServerID] = rec.Time
		}
	}
	_, instancesBefore := latestInstances(t, dir)

	// Nothing moved: a second sync adds nothing.
	emu.ResetCounts()
	st := runSync(t, o)
	if n := st.TotalAdded(); n != 0 {
		t.Errorf("a sync with nothing new added %d observations", n)
	}

	emu.Advance(9 * time.Hour)
	emu.ResetCounts()
	runSync(t, o)
	for _, q := range emu.SnapshotQueries() {
		want := newest[q.SourceServerID]
		if want.IsZero() {
			if q.FromDateTime != "" {
				t.Errorf("server %s had no snapshot, yet was asked from %s", q.SourceServerID, q.FromDateTime)
			}
			continue
		}
		from, err := time.Parse(time.RFC3339Nano, q.FromDateTime)
		if err != nil || !from.Equal(want) {
			t.Errorf("server %s asked from %q, want its newest archived snapshot %s", q.SourceServerID, q.FromDateTime, want)
		}
	}
	after := servedSnapshots(t, emu)
	added := 0
	for id := range after {
		if _, ok := before[id]; !ok {
			added++
		}
	}
	if added == 0 {
		t.Fatal("Advance took no new snapshots")
	}
	if n := len(records(t, dir, kinds.DRSRecoverySnapshot)); n != len(before)+added {
		t.Errorf("%d snapshots archived, want %d old and %d new", n, len(before), added)
	}

	// Instances: one new record per instance whose state changed.
	gotIn, instancesAfter := latestInstances(t, dir)
	wantIn := instanceTable(t, emu)
	for id, w := range wantIn {
		if gotIn[id] != w {
			t.Errorf("instance %s:\n got %s\nwant %s", id, gotIn[id], w)
		}
	}
	if instancesAfter <= instancesBefore {
		t.Errorf("%d instance records before Advance, %d after: no state change kept", instancesBefore, instancesAfter)
	}
	// A third sync, nothing moved, adds nothing.
	if st := runSync(t, o); st.TotalAdded() != 0 {
		t.Errorf("a sync with nothing new added %d observations", st.TotalAdded())
	}
}

// TestRecoveryFaults: the emulator's faults reach the new operations, and
// a sync names the operation that failed.
func TestRecoveryFaults(t *testing.T) {
	for _, tc := range []struct {
		op   string
		want string
	}{
		{emulator.OpDescribeRecoverySnapshots, "DescribeRecoverySnapshots s-"},
		{emulator.OpDescribeRecoveryInstances, "DescribeRecoveryInstances page 1"},
	} {
		t.Run(tc.op, func(t *testing.T) {
			emu := archivetest.Emulator(t, emulator.Options{Seed: 24, Servers: 5, Jobs: 20})
			emu.SetFaults(emulator.Faults{AccessDenied: map[string]bool{tc.op: true}})
			dir := archivetest.Dir(t)
			var st archsync.Stats
			err := archsync.Run(t.Context(), options(dir, emu), &st)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "drs:"+tc.op) {
				t.Errorf("error %v, want one naming %q and drs:%s", err, tc.want, tc.op)
			}
		})
	}
}
