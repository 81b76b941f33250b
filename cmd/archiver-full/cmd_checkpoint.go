package main

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/cliapp"
)

func checkpointCommand() *cli.Command {
	return &cli.Command{
		Name:      "checkpoint",
		Usage:     "print the latest checkpoint of the archive's transparency log",
		UsageText: "archiver [--archive DIR] checkpoint",
		Description: `Prints the latest checkpoint the archive wrote: the state of its
transparency log (an RFC 6962 Merkle tree of every write), in the C2SP
tlog-checkpoint form: the log's name, its number of entries and its root
hash, one a line, followed by signature lines when it was signed
(--sign-key of sync, import, prune and migrate).

Keep checkpoints where the archive's writer cannot take them back (sync
--checkpoint-dir does it for each run): 'archiver verify --against' then
proves the archive still extends each of them, so that no record written
before one can be changed, removed or inserted unnoticed.

EXAMPLES:
   archiver checkpoint
   archiver checkpoint > /mnt/witness/archiver-$(date +%F).checkpoint`,
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "lock-timeout", Value: time.Minute, Usage: "longest wait for a sync to release the archive"},
		},
		Action: func(c *cli.Context) error {
			if err := cliapp.NoArgs(c); err != nil {
				return err
			}
			return archive.RunCheckpoint(c.Context, c.String("archive"), archive.Options{LockTimeout: c.Duration("lock-timeout")}, c.App.Writer, c.App.ErrWriter)
		},
	}
}
