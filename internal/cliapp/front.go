package cliapp

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/internal/buildinfo"
)

// Front is the run of archiver, the executable users run: it answers the
// command line args when it can (version, and the queries the archive
// answers without the full-text index), and else returns what full,
// given args unchanged, returns (HandOver, in archiver). It decides before
// it prints anything. build is archiver's.
//
// An interrupt (SIGINT, SIGTERM) cancels ctx for a query; Front catches
// interrupts only for a command that runs long enough to be interrupted,
// because setting that up costs 'archiver version' a millisecond of its
// start, and a command line it hands over is archiver-full's to guard.
func Front(ctx context.Context, args []string, build buildinfo.Info, stdout, stderr io.Writer, full func(args []string) int) int {
	errw := &watched{w: stderr}
	app := New(Options{
		Stdout:     stdout,
		Stderr:     errw,
		Args:       args,
		Build:      build,
		Check:      CheckDurations,
		ConfigKeys: AllConfigKeys,
		Commands: []*cli.Command{
			QueryCommand(nil),
			VersionCommand(build),
		},
	})
	app.Action = Root(build, nil)
	if !answers(app, args) {
		return full(args)
	}
	if runsLong(app, args) {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	err := Run(ctx, app, args)
	if (errors.Is(err, ErrNeedsFull) || IsUsage(err)) && !errw.wrote {
		// A query the index answers, or a mistake: archiver-full says
		// the same of a mistake, and its help is the one to point to.
		return full(args)
	}
	return ExitCode(err, stderr, nil)
}

// answers reports whether archiver may answer the command line:
// its command is one of the app's, or there is none and --version is
// given; and no help is asked for (the help of every command is
// archiver-full's).
func answers(app *cli.App, args []string) bool {
	if HasFlag(args, "help", "h") {
		return false
	}
	if i := CommandAt(app, args); i >= 0 {
		return app.Command(args[i]) != nil
	}
	return HasFlag(args, "version")
}

// runsLong reports whether the command line, one that archiver answers,
// names a command other than version.
func runsLong(app *cli.App, args []string) bool {
	i := CommandAt(app, args)
	if i < 0 {
		return false
	}
	cmd := app.Command(args[i])
	return cmd != nil && cmd.Name != "version"
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
