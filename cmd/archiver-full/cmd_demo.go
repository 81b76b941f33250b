package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/internal/demo"
)

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:      "demo",
		Usage:     "run archiver end to end against a local DRS emulator",
		UsageText: "archiver [--archive DIR] demo [--seed N]",
		Description: `Starts a DRS emulator on 127.0.0.1 with a realistic synthetic history
(drills, recoveries, failed launches, servers whose replication state changes),
syncs it into an archive, lets the history move on, syncs again, and prints
what a post-incident reviewer would ask: the latest jobs, the failed launches
with their raw errors, and each source server's replication history. It
ends by writing the recoverability report of its archive ('archiver report',
as HTML) to recoverability-report.html in the archive's directory, and
prints its path.

No AWS account or network is used. The demo archive goes to a new temporary
directory, unless --archive (or ARCHIVER_ARCHIVE) is given; it is kept so that
you can try the other commands on it, and the report ends with where it is
and how to remove it.

The demo's records are synthetic (account 123456789012), so it never writes
into a real archive: --archive must name a new or empty directory, or an
archive a previous demo wrote (the demo marks its archives). An archive that
holds anything else is refused with exit status 2 and left untouched.

EXAMPLES:
   archiver demo
   archiver --archive ./demo-archive demo && archiver --archive ./demo-archive export --out -`,
		Flags: []cli.Flag{
			&cli.Int64Flag{Name: "seed", Value: 1, Usage: "seed of the synthetic history"},
		},
		Action: func(c *cli.Context) error {
			if err := cliapp.NoArgs(c); err != nil {
				return err
			}
			o := demo.Options{ArchiveDir: c.String("archive"), Seed: c.Int64("seed"), Build: archiverBuild()}
			if !c.IsSet("archive") || o.ArchiveDir == "" {
				d, err := os.MkdirTemp("", "archiver-demo-")
				if err != nil {
					return fmt.Errorf("demo: %w", err)
				}
				o.ArchiveDir, o.Temporary = d, true
			}
			err := demo.Run(c.Context, o, c.App.Writer)
			if errors.Is(err, demo.ErrNotDemoArchive) {
				return cliapp.UsageError{Err: err, Command: "demo"}
			}
			return err
		},
	}
}
