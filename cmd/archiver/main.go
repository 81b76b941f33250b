// Command archiver keeps the job history of AWS disaster-recovery and
// migration services in a local archive, long after the services forget
// it, and answers questions about it offline.
//
// This is the executable users run. It answers 'archiver version' and the
// queries the archive answers without the full-text index (by job, record
// ID, kind, region, account, source server and time), which start in a
// few milliseconds because it links nothing else; every other command
// line, help included, it hands unchanged to archiver-full, which must be
// installed beside it (go install .../cmd/... installs both).
package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	build := buildinfo.Read(version)
	code := run(ctx, os.Args, build, os.Stdout, os.Stderr, func(args []string) int {
		stop()
		return handOver(args, build, os.Stderr)
	})
	stop()
	os.Exit(code)
}

// brokenPipeIsAnError makes a write to a closed pipe on stdout fail with
// EPIPE, like any other write error, instead of killing the process with
// SIGPIPE (see cliapp.ExitCode).
func brokenPipeIsAnError() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}

// run answers the command line args when this executable, of build build,
// can, and else returns what full, given args unchanged, returns. It
// decides before it prints anything.
func run(ctx context.Context, args []string, build buildinfo.Info, stdout, stderr io.Writer, full func(args []string) int) int {
	errw := &watched{w: stderr}
	app := cliapp.New(cliapp.Options{
		Stdout:     stdout,
		Stderr:     errw,
		Args:       args,
		Build:      build,
		Check:      cliapp.CheckDurations,
		ConfigKeys: cliapp.AllConfigKeys,
		Commands: []*cli.Command{
			cliapp.QueryCommand(nil),
			cliapp.VersionCommand(build),
		},
	})
	app.Action = cliapp.Root(build, nil)
	if !answers(app, args) {
		return full(args)
	}
	err := cliapp.Run(ctx, app, args)
	if (errors.Is(err, cliapp.ErrNeedsFull) || cliapp.IsUsage(err)) && !errw.wrote {
		// A query the index answers, or a mistake: archiver-full says
		// the same of a mistake, and its help is the one to point to.
		return full(args)
	}
	return cliapp.ExitCode(err, stderr, nil)
}

// answers reports whether this executable may answer the command line:
// its command is one of the app's, or there is none and --version is
// given; and no help is asked for (the help of every command is
// archiver-full's).
func answers(app *cli.App, args []string) bool {
	if cliapp.HasFlag(args, "help", "h") {
		return false
	}
	if i := cliapp.CommandAt(app, args); i >= 0 {
		return app.Command(args[i]) != nil
	}
	return cliapp.HasFlag(args, "version")
}

// watched is a writer that notes whether anything was written to it.
type watched struct {
	w     io.Writer
	wrote bool
}

func (w *watched) Write(p []byte) (int, error) {
	w.wrote = true
	return w.w.Write(p)
}
