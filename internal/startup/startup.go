// Package startup keeps the garbage collector from running while the
// program starts. Package initialisers (bleve's automata, the AWS SDK's
// endpoint tables) allocate a few megabytes that all stay live, so a
// collection at start frees nothing and costs every command, even
// `archiver version`, a millisecond or two. From its init on, the
// collector runs only if the heap reaches startLimit; Done, called first
// thing in main, hands it back its default (or GOGC's setting) a moment
// later, once the short commands are over.
package startup

import (
	"math"
	"os"
	"runtime/debug"
	"time"
)

// startLimit bounds the heap while the collector is held: beyond it the
// collector runs all the same.
const startLimit = 16 << 20

// grace is how long after main starts the collector is held still.
const grace = 150 * time.Millisecond

// held reports whether init held the collector.
var held bool

func init() {
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return
	}
	debug.SetMemoryLimit(startLimit)
	debug.SetGCPercent(-1)
	held = true
}

// Done hands the collector back its default settings after a short grace.
func Done() {
	if !held {
		return
	}
	held = false
	time.AfterFunc(grace, release)
}

func release() {
	if p := debug.SetGCPercent(100); p != -1 {
		// An index build set the collector's target meanwhile (package
		// index): it puts the defaults back when it ends.
		debug.SetGCPercent(p)
		return
	}
	debug.SetMemoryLimit(math.MaxInt64)
}
