//go:build unix

package sync

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// needPeakRSS is a no-op: unix reports a process's peak memory.
func needPeakRSS(*testing.T) {}

// peakRSS returns the peak resident set size of this process in bytes.
func peakRSS(t *testing.T) int64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				if err == nil {
					return kib << 10
				}
			}
		}
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) // bytes on macOS
	}
	return int64(ru.Maxrss) << 10 // KiB on Linux and the BSDs
}

// mkfifo makes a FIFO at path.
func mkfifo(path string, mode uint32) error {
	return syscall.Mkfifo(path, mode)
}
