package main

import (
	"context"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/internal/buildinfo"
	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/query/search"
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
	return newAppWithArgs(stdout, stderr, nil)
}

// newAppWithArgs is newApp for a run with arguments args, which the
// configuration report reads to tell flags given from values the
// environment or the file set.
func newAppWithArgs(stdout, stderr io.Writer, args []string) *cli.App {
	build := archiverBuild()
	app := cliapp.New(cliapp.Options{
		Stdout: stdout,
		Stderr: stderr,
		Args:   args,
		Build:  build,
		Check:  checkFlags,
		Commands: []*cli.Command{
			syncCommand(),
			importCommand(),
			cliapp.QueryCommand(&cliapp.Search{CheckText: search.CheckText, Open: search.Open}),
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
			cliapp.VersionCommand(build),
			completionCommand(),
			manCommand(),
			cliapp.ConfigCommand(),
			emulatorCommand(),
			helpCommand(),
		},
	})
	app.Description = appDescription
	app.Action = cliapp.Root(build, cli.ShowAppHelp)
	cli.HelpPrinter = printHelp
	return app
}

// run executes the CLI and returns the process exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newAppWithArgs(stdout, stderr, args)
	return cliapp.ExitCode(cliapp.Run(ctx, app, args), stderr, exitRule)
}

// debugOutput is where --debug sends its lines: stderr, or nil without it.
func debugOutput(c *cli.Context) io.Writer {
	if c.Bool("debug") {
		return c.App.ErrWriter
	}
	return nil
}

// summaryOutputFlag is the --output of commands whose result is a
// summary: a line of text, or a JSON document of a documented schema.
func summaryOutputFlag() cli.Flag {
	return &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "the summary as text or json (one JSON document; its members are in the README)"}
}

// summaryAsJSON reads --output of a summary.
func summaryAsJSON(c *cli.Context) (bool, error) {
	switch o := c.String("output"); o {
	case "text", "":
		return false, nil
	case "json":
		return true, nil
	default:
		return false, cliapp.UsageError{Err: fmt.Errorf("--output %q: want text or json", o), Command: c.Command.Name}
	}
}
