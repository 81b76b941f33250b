package startup

import (
	"os"
	"runtime/debug"
	"testing"
	"time"
)

// TestHoldAndRelease checks that the collector is off from init to a
// moment after Done, and back at its default after.
func TestHoldAndRelease(t *testing.T) {
	if _, set := os.LookupEnv("GOGC"); set {
		t.Skip("GOGC is set: the collector is left as it says")
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		t.Skip("GOMEMLIMIT is set: the collector is left as it says")
	}
	if !held {
		t.Fatal("init did not hold the collector")
	}
	if p := debug.SetGCPercent(-1); p != -1 {
		t.Fatalf("the collector runs at %d%% after init, want it off", p)
	}
	if l := debug.SetMemoryLimit(-1); l != startLimit {
		t.Fatalf("memory limit %d after init, want %d", l, startLimit)
	}
	Done()
	time.Sleep(grace + 200*time.Millisecond)
	if p := debug.SetGCPercent(-1); p != 100 {
		t.Errorf("the collector runs at %d%% after Done, want 100", p)
	}
	debug.SetGCPercent(100)
}
