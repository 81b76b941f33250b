package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

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
with their raw errors, and each source server's replication history.

No AWS account or network is used. The demo archive goes to a new temporary
directory (printed), unless --archive is given; it is kept so that you can
try the other commands on it.

EXAMPLES:
   archiver demo
   archiver --archive ./demo-archive demo && archiver --archive ./demo-archive export --out -`,
		Flags: []cli.Flag{
			&cli.Int64Flag{Name: "seed", Value: 1, Usage: "seed of the synthetic history"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			dir := c.String("archive")
			if !c.IsSet("archive") {
				d, err := os.MkdirTemp("", "archiver-demo-")
				if err != nil {
					return fmt.Errorf("demo: %w", err)
				}
				dir = d
			}
			return demo.Run(c.Context, demo.Options{ArchiveDir: dir, Seed: c.Int64("seed")}, c.App.Writer)
		},
	}
}
