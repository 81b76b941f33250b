package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/internal/cliapp"
	archsync "github.com/archiver-dev/archiver/sync"
)

func reindexCommand() *cli.Command {
	return &cli.Command{
		Name:      "reindex",
		Usage:     "rebuild the full-text index from the archive",
		UsageText: "archiver [--archive DIR] reindex",
		Description: `Builds a new full-text index from every record in the archive, beside the
index in use, then switches to it in one step and removes the old one.
Queries keep using the old index until the switch. The archive itself is
only read.

The index is derived data: sync keeps it up to date, and catches it up after
a crash. Reindex is for an index that is damaged, missing, or that 'archiver
verify' reports out of step with the archive. It does not run beside a
sync of the same archive: it waits for a running sync to finish, for up to
--lock-timeout, and then stops with "archive busy: sync running since ...".

EXAMPLES:
   archiver reindex
   archiver --archive /var/lib/archiver reindex`,
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "lock-timeout", Value: 10 * time.Minute, Usage: "longest wait for a running sync to finish, and for the archive file lock"},
		},
		Action: func(c *cli.Context) error {
			if err := cliapp.NoArgs(c); err != nil {
				return err
			}
			start := time.Now()
			n, err := archsync.Reindex(c.Context, archsync.Options{
				ArchiveDir:  c.String("archive"),
				LockTimeout: c.Duration("lock-timeout"),
				Waiting:     func(msg string) { fmt.Fprintf(c.App.ErrWriter, "archiver: %s\n", msg) },
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "archiver reindex: %d records indexed in %s\n", n, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
}
