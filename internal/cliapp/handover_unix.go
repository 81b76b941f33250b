//go:build unix

package cliapp

import (
	"fmt"
	"os"
	"syscall"
)

// runFull replaces this process with archiver-full: its streams, signals
// and exit status are the command's own. It returns only on failure.
func runFull(path string, args []string) error {
	if err := syscall.Exec(path, args, os.Environ()); err != nil {
		return fmt.Errorf("cannot run %s: %w", path, err)
	}
	return nil
}
