package index

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

// gcPercent returns the collector's target without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// TestRelaxGC: while builds run the collector's target is raised, with a
// memory limit; when the last ends, both are back as they were.
func TestRelaxGC(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT is set: builds leave the collector as it says")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	first := relaxGC()
	second := relaxGC()
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != indexingGCPercent || l < indexingMinLimit || l == math.MaxInt64 {
		t.Errorf("while building: GOGC %d, limit %d; want %d and a limit of at least %d", p, l, indexingGCPercent, indexingMinLimit)
	}
	first()
	first() // once only
	if p := gcPercent(); p != indexingGCPercent {
		t.Errorf("one build still running: GOGC %d, want %d", p, indexingGCPercent)
	}
	second()
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != 100 || l != math.MaxInt64 {
		t.Errorf("after the builds: GOGC %d, limit %d; want 100 and none", p, l)
	}
}
