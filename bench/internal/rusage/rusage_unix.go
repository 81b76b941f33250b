//go:build unix

// Package rusage reads what an ended child process used, for the
// benchmarks that time whole processes.
package rusage

import (
	"os"
	"syscall"
)

// Of is the user and system CPU time (in nanoseconds) and the minor page
// faults of an ended process, as getrusage(2) counts them.
func Of(ps *os.ProcessState) (user, sys, faults int64, ok bool) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, 0, 0, false
	}
	return ru.Utime.Nano(), ru.Stime.Nano(), int64(ru.Minflt), true
}
