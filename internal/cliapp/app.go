// Package cliapp holds the parts of archiver's command line that both of
// its executables share: the global flags and their place on the command
// line, the configuration file, the query and version commands with their
// time and filter flags, usage errors and the exit status of every error.
//
// archiver ships as two executables. archiver-full holds every command.
// archiver, the one users run, links only the archive and this package, so
// that the commands asked most often (a query the archive answers without
// the full-text index, and version) start in a few milliseconds instead of
// paying for the AWS SDK, bleve and parquet-go at every start; every other
// command line, help included, it hands to archiver-full unchanged (Front,
// HandOver).
package cliapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/archiver-dev/archiver/internal/buildinfo"
)

// Options says what an executable's command tree holds.
type Options struct {
	// Stdout and Stderr are where the commands write.
	Stdout, Stderr io.Writer
	// Args are the run's arguments, which the configuration report reads
	// to tell flags given from values the environment or the file set.
	Args []string
	// Build is the running build, for --version.
	Build buildinfo.Info
	// Commands are the executable's commands.
	Commands []*cli.Command
	// Check, when not nil, checks a command's flags before the command's
	// own Before runs (see CheckDurations).
	Check func(*cli.Context) error
	// ConfigKeys gives the keys a configuration file may hold, asked
	// only when there is a file; nil means those of Commands (see
	// KeysOf and AllConfigKeys).
	ConfigKeys func() *ConfigKeys
}

// New builds the command tree of Options: the global flags, the
// configuration file loaded before any command, global flags accepted after
// the command (see HoistGlobalFlags), and usage errors that name their
// command. The caller sets what else the app prints (description, help,
// the action with no command).
func New(o Options) *cli.App {
	cfg := &Config{args: o.Args, keys: o.ConfigKeys}
	app := &cli.App{
		Name:           "archiver",
		Usage:          "keep AWS disaster-recovery job history and query it offline",
		UsageText:      "archiver [--archive DIR] COMMAND [options]",
		Version:        o.Build.String(),
		Writer:         o.Stdout,
		ErrWriter:      o.Stderr,
		Flags:          GlobalFlags(),
		HideVersion:    true,
		ExitErrHandler: func(*cli.Context, error) {},
		Commands:       o.Commands,
	}
	app.Before = cfg.load
	app.Metadata = map[string]any{configKey: cfg}
	app.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		return UsageError{Err: errors.New(TwoDashes(err.Error()))}
	}
	for _, cmd := range app.Commands {
		if cmd.Name == "help" {
			continue
		}
		name := cmd.Name
		cmd.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
			return UsageError{Err: errors.New(TwoDashes(err.Error())), Command: name}
		}
		if o.Check != nil {
			withBefore(cmd, o.Check)
		}
		withBefore(cmd, func(c *cli.Context) error { return cfg.Apply(c, name) })
	}
	return app
}

// GlobalFlags are the flags every command takes, before or after its name.
func GlobalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{
			Name:    "archive",
			Usage:   "archive directory (holds the bbolt file and the index)",
			EnvVars: []string{"ARCHIVER_ARCHIVE"},
			Value:   DefaultArchiveDir(),
		},
		&cli.BoolFlag{
			Name:  "version",
			Usage: "print archiver's version and build (as 'archiver version')",
		},
		&cli.BoolFlag{
			Name:    "debug",
			Usage:   "show every AWS call on stderr: operation, HTTP status, attempts and time, and each request's and response's headers (access keys, session tokens and signatures redacted)",
			EnvVars: []string{"ARCHIVER_DEBUG"},
		},
		configFlag(),
		// The help command is archiver's own, so urfave/cli adds no
		// --help: it is declared here.
		cli.HelpFlag,
	}
}

// withBefore makes before run ahead of cmd's own Before (and so of its
// Action).
func withBefore(cmd *cli.Command, before func(*cli.Context) error) {
	own := cmd.Before
	cmd.Before = func(c *cli.Context) error {
		if err := before(c); err != nil {
			return err
		}
		if own != nil {
			return own(c)
		}
		return nil
	}
}

// Run runs app on args (global flags hoisted) and returns the error to
// report: a usage error that names no command is attributed to the
// command being run, for the hint.
func Run(ctx context.Context, app *cli.App, args []string) error {
	args = HoistGlobalFlags(app, args)
	err := app.RunContext(ctx, args)
	if ue, ok := err.(UsageError); ok && ue.Command == "" {
		for _, a := range args[1:] {
			if cmd := app.Command(a); cmd != nil {
				ue.Command = cmd.Name
				err = ue
				break
			}
		}
	}
	return err
}

// DefaultArchiveDir is the per-user data directory: $XDG_DATA_HOME/archiver,
// else ~/.local/share/archiver (~/Library/Application Support/archiver on macOS).
func DefaultArchiveDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "archiver")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "archiver-data"
	}
	if runtime.GOOS == "darwin" {
		return filepath.Join(home, "Library", "Application Support", "archiver")
	}
	return filepath.Join(home, ".local", "share", "archiver")
}

// NoArgs refuses stray positional arguments.
func NoArgs(c *cli.Context) error {
	if c.Args().Present() {
		return UsageError{Err: fmt.Errorf("unexpected argument %q", c.Args().First()), Command: c.Command.Name}
	}
	return nil
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
