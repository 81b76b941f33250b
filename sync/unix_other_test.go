//go:build !unix

package sync

import (
	"errors"
	"testing"
)

// needPeakRSS skips the memory tests: they read the peak resident set size
// from /proc or getrusage(2), which this system lacks.
func needPeakRSS(t *testing.T) {
	t.Helper()
	t.Skip("peak memory is read from /proc or getrusage(2), which this system lacks")
}

// peakRSS is never reached here: needPeakRSS skips first.
func peakRSS(t *testing.T) int64 {
	t.Helper()
	t.Skip("no peak memory on this system")
	return 0
}

// mkfifo fails here: FIFOs are unix only.
func mkfifo(string, uint32) error { return errors.ErrUnsupported }
