// Command archiver keeps the job history of AWS disaster-recovery and
// migration services in a local archive, long after the services forget
// it, and answers questions about it offline.
//
// This is the executable users run. It answers 'archiver version' and the
// queries the archive answers without the full-text index (by job, record
// ID, kind, region, account and time), which start in a few milliseconds
// because it links nothing else (internal/cliapp.Front); every other command
// line, help included, it hands unchanged to archiver-full, which must be
// installed beside it (go install .../cmd/... installs both).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/archiver-dev/archiver/internal/buildinfo"
	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/internal/startup"
)

// version is set at link time (-ldflags "-X main.version=v1.2.3"); otherwise
// it comes from the module's build information (see internal/buildinfo).
var version = ""

func main() {
	startup.Done()
	brokenPipeIsAnError()
	build := buildinfo.Read(version)
	code := cliapp.Front(context.Background(), os.Args, build, os.Stdout, os.Stderr, func(args []string) int {
		return cliapp.HandOver(args, build, os.Stderr)
	})
	os.Exit(code)
}

// brokenPipeIsAnError makes a write to a closed pipe on stdout fail with
// EPIPE, like any other write error, instead of killing the process with
// SIGPIPE (see cliapp.ExitCode). Ignoring the signal, rather than asking
// for it on a channel, starts no goroutine to watch for signals, which
// would cost every start a millisecond; archiver-full, which inherits the
// ignored signal across the hand-over, installs its own handler as every
// Go program does.
func brokenPipeIsAnError() {
	signal.Ignore(syscall.SIGPIPE)
}
