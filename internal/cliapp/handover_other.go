//go:build !unix

package cliapp

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
)

// runFull runs archiver-full with this process's streams and waits for it;
// an interrupt reaches it from the console as it reaches this process,
// which leaves the answer to it. Its exit status is returned as an
// exitStatus.
func runFull(path string, args []string) error {
	cmd := exec.Command(path, args[1:]...)
	cmd.Args[0] = args[0]
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	signal.Ignore(os.Interrupt)
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return exitStatus(ee.ExitCode())
	case err != nil:
		return fmt.Errorf("cannot run %s: %w", path, err)
	}
	return exitStatus(0)
}
