//go:build unix

package main

import (
	"os"
	"syscall"
)

// rusage is the user and system CPU time (in nanoseconds) and the minor page
// faults of an ended process, as getrusage(2) counts them.
func rusage(ps *os.ProcessState) (user, sys, faults int64, ok bool) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, 0, 0, false
	}
	return ru.Utime.Nano(), ru.Stime.Nano(), int64(ru.Minflt), true
}
