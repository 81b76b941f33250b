//go:build unix

package main

import (
	"syscall"
	"testing"
)

// noUmask clears the process's umask for the test, so that the modes
// archiver asks for are the modes files get.
func noUmask(t *testing.T) {
	t.Helper()
	old := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(old) })
}
