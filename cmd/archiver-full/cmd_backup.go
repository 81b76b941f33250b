package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/upkeep"
	"github.com/archiver-dev/archiver/internal/cliapp"
)

func backupCommand() *cli.Command {
	return &cli.Command{
		Name:      "backup",
		Usage:     "copy the archive file, consistently, while syncs run",
		UsageText: "archiver [--archive DIR] backup --out FILE [--force]",
		Description: `Writes a copy of the archive file (archive.db) to FILE: the snapshot of one
read transaction, so the copy is consistent, holding every commit up to one
moment and nothing of any later one, even while a sync runs. A sync that
wants to commit during the copy waits for it, as it waits for any reader,
and goes on afterwards.

The copy is written beside FILE (.FILE.tmp-PID-RANDOM, mode 0600), synced
to disk, checked (bbolt's consistency check over every page, and the schema
version) and only then renamed to FILE, so FILE is never a partial copy. An
existing FILE is left alone unless --force is given. A symbolic link is
followed: its target is written, the same way, in the target's directory.
A FIFO or a device is written to in place, never replaced: the copy is
checked in a scratch file in the temporary directory ($TMPDIR) first.
Standard output (-) is refused. A temporary or scratch file left by a
backup that was killed is removed by the next run once its process is
gone; one of a backup still running is left alone.

The full-text index is not copied: it is derived from the archive. To
restore, put the copy in an empty directory as archive.db and run
'archiver --archive DIR reindex'.

Backup needs no network and no credentials.

EXAMPLES:
   archiver backup --out /backup/archiver-$(date +%F).db
   archiver --archive /var/lib/archiver backup --out /backup/archiver.db --force

   # Restore
   mkdir -m 700 /var/lib/archiver-restored
   cp /backup/archiver.db /var/lib/archiver-restored/archive.db
   archiver --archive /var/lib/archiver-restored reindex`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "file to write the copy to (a FIFO or device is written in place)"},
			&cli.BoolFlag{Name: "force", Usage: "replace FILE if it is an existing regular file"},
			&cli.DurationFlag{Name: "lock-timeout", Value: time.Minute, Usage: "longest wait for a running sync to release the archive"},
		},
		Action: func(c *cli.Context) error {
			if err := cliapp.NoArgs(c); err != nil {
				return err
			}
			out := c.String("out")
			o := archive.BackupOptions{Force: c.Bool("force"), LockTimeout: c.Duration("lock-timeout")}
			if out == "" {
				return cliapp.UsageError{Err: fmt.Errorf("--out FILE is required"), Command: "backup"}
			}
			if out == "-" {
				return cliapp.UsageError{Err: fmt.Errorf("--out -: backup writes a file, not stdout (the copy is checked before it is put in place); give a file, a FIFO or a device"), Command: "backup"}
			}
			if o.LockTimeout <= 0 {
				return cliapp.UsageError{Err: fmt.Errorf("--lock-timeout must be positive"), Command: "backup"}
			}
			return upkeep.RunBackup(c.Context, c.String("archive"), out, o, c.App.Writer, c.App.ErrWriter)
		},
	}
}
