// Command archiver keeps the job history of AWS Elastic Disaster Recovery
// (and, in time, Snowball and SMS) in a local archive, long after the services
// forget it, and answers questions about it offline.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/internal/startup"
)

func main() {
	startup.Done()
	if err := cliapp.TakeHandOver(archiverBuild()); err != nil {
		fmt.Fprintf(os.Stderr, "archiver: %v\n", err)
		os.Exit(cliapp.ExitRuntime)
	}
	brokenPipeIsAnError()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// brokenPipeIsAnError makes a write to a closed pipe on stdout fail with
// EPIPE, like any other write error, instead of killing the process with
// SIGPIPE: the command then stops as on an interrupt, removing its scratch
// and temporary files, and exits with status 141 (see exitCode).
func brokenPipeIsAnError() {
	signal.Ignore(syscall.SIGPIPE)
}
