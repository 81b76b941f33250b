package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/upkeep"
	"github.com/archiver-dev/archiver/internal/cliapp"
)

func migrateCommand() *cli.Command {
	return &cli.Command{
		Name:      "migrate",
		Usage:     "upgrade the archive file to the schema this archiver writes",
		UsageText: "archiver [--archive DIR] migrate [--dry-run]",
		Description: `Lists the schema steps the archive file still needs to reach the schema
this archiver writes (number, name and what each does) and applies them, all
in one transaction: the file is upgraded whole, or, if a step fails, left
exactly as it was. It then prints the schema version before and after.
--dry-run only lists the steps and changes nothing. On an archive that is up
to date, migrate says so and writes nothing.

Records stored before their kind had a compression dictionary (all of them,
on the upgrade to schema 14) are then compressed, in transactions of a
bounded size, and the file is rewritten without the space they gave up, or
that the steps gave up (schema 15 packs the job-log index to about a third
of its size). A record means the same stored either way, and its hashes do
not change, so a migrate stopped during this part leaves a valid archive;
the next migrate or sync carries on.

A newer archiver may keep the archive in a newer layout. Commands that write
(sync, import) upgrade the file by themselves when they first open it;
readers (query, export, verify) refuse a file that needs an upgrade and ask
for one. Migrate does the upgrade on its own, so that it can be reviewed
first and run at a time of your choosing. A large archive takes a while:
some steps rewrite every record. Readers wait for the file meanwhile. Copy
the file first if you want to keep the old layout: an older archiver cannot
read an upgraded archive, and says so.

The file records each step applied to it, by number and name, in its meta
bucket. A step is pending when its name is not recorded, even if the file's
schema number is already this archiver's: the list may hold a step numbered
below the file's schema. A file from before the record counts as having every
step up to its schema number, save step 7 where its buckets are missing (an
archiver that had step 8 before step 7 wrote such files).

An archive written by a newer archiver than this one, or recording a step
this archiver does not know, is refused: upgrade archiver instead.

EXAMPLES:
   # What would an upgrade do?
   archiver migrate --dry-run

   # Keep a copy of the old file, then upgrade
   cp ~/.local/share/archiver/archive.db archive-before-upgrade.db
   archiver migrate

   archiver --archive /var/lib/archiver migrate`,
		Flags: append(checkpointFlags(true),
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "list the pending steps and change nothing"},
			&cli.DurationFlag{Name: "lock-timeout", Value: 10 * time.Minute, Usage: "longest wait for the archive file lock held by another process"},
		),
		Action: func(c *cli.Context) error {
			if err := cliapp.NoArgs(c); err != nil {
				return err
			}
			if c.Duration("lock-timeout") <= 0 {
				return cliapp.UsageError{Err: fmt.Errorf("--lock-timeout must be positive"), Command: "migrate"}
			}
			cp, err := checkpointOptions(c)
			if err != nil {
				return cliapp.UsageError{Err: err, Command: "migrate"}
			}
			return upkeep.RunMigrate(c.Context, c.String("archive"), c.Bool("dry-run"), archive.Options{LockTimeout: c.Duration("lock-timeout")}, cp, c.App.Writer, c.App.ErrWriter)
		},
	}
}
