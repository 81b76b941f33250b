//go:build unix

package sync_test

import (
	"os/signal"
	"syscall"
	"testing"
)

// needFileSizeLimit is a no-op: unix limits the size of the files a
// process writes (RLIMIT_FSIZE).
func needFileSizeLimit(*testing.T) {}

// limitFileSize limits the files this process writes to limit bytes, with
// SIGXFSZ ignored so that a write past the limit fails with EFBIG instead
// of killing the process.
func limitFileSize(limit uint64) error {
	signal.Ignore(syscall.SIGXFSZ)
	return syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit})
}
