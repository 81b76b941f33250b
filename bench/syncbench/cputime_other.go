//go:build !unix

package main

import "time"

// cpuTime is the CPU time this process has used; getrusage(2) is unix
// only, so here it reports none.
func cpuTime() time.Duration { return 0 }
