package emulator

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestSnapshotInterval: a replicating server's recovery snapshots are due
// exactly SnapshotInterval apart (their expectedTimestamp).
func TestSnapshotInterval(t *testing.T) {
	for _, every := range []time.Duration{time.Hour, 3 * time.Hour} {
		s := New(Options{Seed: 4, Servers: 6, SnapshotInterval: every})
		pairs := 0
		for _, srv := range s.h.servers {
			id := srv.id
			var prev time.Time
			for _, raw := range s.RecoverySnapshots(id) {
				var sn struct{ ExpectedTimestamp string }
				json.Unmarshal(raw, &sn)
				at, err := time.Parse(time.RFC3339, strings.Replace(sn.ExpectedTimestamp, "+00:00", "Z", 1))
				if err != nil {
					t.Fatalf("expectedTimestamp %q: %v", sn.ExpectedTimestamp, err)
				}
				if !prev.IsZero() {
					pairs++
					if at.Sub(prev)%every != 0 {
						t.Errorf("%s: snapshots due %s and %s, not %s apart", id, prev, at, every)
					}
				}
				prev = at
			}
		}
		if pairs == 0 {
			t.Fatalf("every %s: no consecutive snapshots: the test proves nothing", every)
		}
	}
}

// TestLaunchFailureRate: with a negative rate no launch fails or is
// skipped; with a high one most do.
func TestLaunchFailureRate(t *testing.T) {
	failures := func(rate float64) (failed, launches int) {
		s := New(Options{Seed: 9, Jobs: 60, LaunchFailureRate: rate})
		for _, job := range s.Jobs() {
			var j struct{ JobID, InitiatedBy string }
			json.Unmarshal(job, &j)
			if j.InitiatedBy != byDrill && j.InitiatedBy != byRecovery {
				continue
			}
			for _, raw := range s.JobLog(j.JobID) {
				var it struct{ Event string }
				json.Unmarshal(raw, &it)
				switch it.Event {
				case evServerSkipped, evSnapshotFail, evUsingPreviousSnapshotX, evConversionFail, evLaunchFailed:
					failed++
				case evSnapshotStart, evUsingPreviousSnapshot:
					launches++
				}
			}
		}
		return failed, launches
	}
	if f, n := failures(-1); f != 0 || n == 0 {
		t.Errorf("rate -1: %d failures of %d launches, want none", f, n)
	}
	if f, n := failures(0.9); n == 0 || float64(f) < 0.5*float64(n) {
		t.Errorf("rate 0.9: %d failures of %d launches, want most", f, n)
	}
}
