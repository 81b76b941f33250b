package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/internal/buildinfo"
	"github.com/archiver-dev/archiver/migrations"
)

// version is set at link time (-ldflags "-X main.version=v1.2.3"); otherwise
// it comes from the module's build information (see internal/buildinfo).
var version = ""

// archiverBuild is the running build: version, VCS revision, commit time
// and whether the checkout was modified.
func archiverBuild() buildinfo.Info { return buildinfo.Read(version) }

func archiverVersion() string { return archiverBuild().Version }

// archiverBuildRef is archiverBuild for the options that take a pointer.
func archiverBuildRef() *buildinfo.Info {
	in := archiverBuild()
	return &in
}

// defaultArchiveDir is the per-user data directory: $XDG_DATA_HOME/archiver,
// else ~/.local/share/archiver (~/Library/Application Support/archiver on macOS).
func defaultArchiveDir() string {
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

const appDescription = `archiver keeps the job history of AWS disaster-recovery and migration services
in a local archive, long after the services forget it: every AWS Elastic
Disaster Recovery (DRS) job in its latest state, every log item of every job
(events and raw errors), a snapshot of each source server whenever its
replication state changes, Snowball cluster jobs and Server Migration Service
(SMS) replication jobs through each change of state. Run 'archiver sync' from
cron; ask it questions offline with 'archiver query'; hand auditors 'archiver
export'. Records are kept verbatim, as AWS sent them, with their region,
account and when they were first and last seen. Saved AWS CLI output from
before archiver was installed goes in with 'archiver import'.

EXAMPLES:
   # Archive DRS history of one region (credentials from the usual AWS chain)
   archiver sync --region us-east-1

   # Nightly from cron, quiet unless something fails
   17 2 * * *  archiver sync --region us-east-1 --quiet

   # Hand an auditor everything, as one JSON document with a SHA-256 manifest
   archiver export --out drs-history.json

   # Check the archive file's consistency
   archiver verify

   # See it work end to end against a local emulator, no AWS account needed
   archiver demo

` + exitStatusHelp

// newApp builds the command tree. Each command's action only turns flags
// into options and calls a run function.
func newApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:        "archiver",
		Usage:       "keep AWS disaster-recovery job history and query it offline",
		UsageText:   "archiver [--archive DIR] COMMAND [options]",
		Description: appDescription,
		Version:     archiverBuild().String(),
		Writer:      stdout,
		ErrWriter:   stderr,
		Flags: []cli.Flag{
			&cli.StringFlag{
				Name:    "archive",
				Usage:   "archive directory (holds the bbolt file and the index)",
				EnvVars: []string{"ARCHIVER_ARCHIVE"},
				Value:   defaultArchiveDir(),
			},
			&cli.BoolFlag{
				Name:  "version",
				Usage: "print archiver's version and build (as 'archiver version')",
			},
		},
		HideVersion:    true,
		ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{
			syncCommand(),
			importCommand(),
			queryCommand(),
			exportCommand(),
			verifyCommand(),
			checkpointCommand(),
			reindexCommand(),
			pruneCommand(),
			migrateCommand(),
			statusCommand(),
			reportCommand(),
			checkCommand(),
			backupCommand(),
			demoCommand(),
			versionCommand(),
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("unknown command %q", c.Args().First())
			}
			if c.Bool("version") {
				return buildinfo.Write(c.App.Writer, archiverBuild(), migrations.Latest())
			}
			return cli.ShowAppHelp(c)
		},
	}
	app.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		return usageError{err: err}
	}
	for _, cmd := range app.Commands {
		name := cmd.Name
		cmd.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
			return usageError{err: err, command: name}
		}
		cmd.Description += "\n\n" + exitStatusHelp
		withFlagCheck(cmd)
	}
	return app
}

// run executes the CLI and returns the process exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	err := app.RunContext(ctx, args)
	if ue, ok := err.(usageError); ok && ue.command == "" {
		// Attribute the error to the command being run, for the hint.
		for _, a := range args[1:] {
			if cmd := app.Command(a); cmd != nil {
				ue.command = cmd.Name
				err = ue
				break
			}
		}
	}
	return exitCode(err, stderr)
}

// noArgs refuses stray positional arguments.
func noArgs(c *cli.Context) error {
	if c.Args().Present() {
		return usageError{err: fmt.Errorf("unexpected argument %q", c.Args().First()), command: c.Command.Name}
	}
	return nil
}
