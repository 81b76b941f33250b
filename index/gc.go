package index

import (
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Building index segments allocates much and keeps little: with Go's
// default garbage-collector target (collect when the heap has doubled)
// collection takes about a fifth of the CPU an index build uses. While a
// writer fills batches, the target is raised to collect when the heap has
// grown fivefold, with a soft memory limit so that a large heap is not let
// grow five times over. A target or limit set in the environment (GOGC,
// GOMEMLIMIT) is left as it is.
const (
	indexingGCPercent = 400
	// indexingMinLimit is the least memory limit while building; the
	// limit is three times the live heap when that is more.
	indexingMinLimit = 512 << 20
)

var relaxed struct {
	sync.Mutex
	users     int
	gcPercent int
	limit     int64
	set       bool
}

// relaxGC raises the collector's target while an index is built, and
// returns the function that puts it back once no build needs it.
func relaxGC() (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	relaxed.Lock()
	defer relaxed.Unlock()
	if relaxed.users == 0 {
		relaxed.limit = debug.SetMemoryLimit(-1)
		relaxed.gcPercent = debug.SetGCPercent(-1)
		debug.SetGCPercent(relaxed.gcPercent)
		if relaxed.gcPercent < 0 {
			// The collector is held while the program starts (package
			// startup), which hands it its defaults back unless a build
			// has set its own: this build puts the defaults back.
			relaxed.gcPercent, relaxed.limit = 100, math.MaxInt64
		}
		relaxed.set = relaxed.gcPercent < indexingGCPercent
		if relaxed.set {
			debug.SetMemoryLimit(max(indexingMinLimit, 3*liveHeap()))
			debug.SetGCPercent(indexingGCPercent)
		}
	}
	relaxed.users++
	return sync.OnceFunc(func() {
		relaxed.Lock()
		defer relaxed.Unlock()
		if relaxed.users--; relaxed.users == 0 && relaxed.set {
			debug.SetGCPercent(relaxed.gcPercent)
			debug.SetMemoryLimit(relaxed.limit)
		}
	})
}

// liveHeap is the heap the last collection found live, in bytes.
func liveHeap() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(min(s[0].Value.Uint64(), math.MaxInt64/4))
}
