package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/query/status"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show the last syncs, the archive's size and records, and the index lag",
		UsageText: "archiver [--archive DIR] status [--output table|json]",
		Description: `Shows, from the archive alone (no network, no credentials, nothing written):

   - the last sync of each source, region and account: when it started, how
     long it took, the items it read from AWS and the records it added, and
     its outcome: ok, or the one-line error it ended with (with the last
     time it succeeded)
   - a sync running now, with its start time and process ID
   - the archive file's size on disk and its records by kind
   - the full-text index: its size, and the records committed to the archive
     that it has not reached yet (the next sync indexes them)

Every sync, good or failed, records its outcome in the archive when it ends.
Archives from before this record was kept show no syncs until the next one.

--output table (the default) is for people; --output json is for scripts:
one object with "archive", "index", "syncRunning" (when one runs) and
"syncs", times in RFC 3339 and sizes in bytes.

EXAMPLES:
   archiver status
   archiver --archive /var/lib/archiver status --output json | jq '.syncs[] | select(.ok | not)'
   archiver status --output json | jq '.index.recordsBehind'`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table", Usage: "table or json"},
			&cli.DurationFlag{Name: "lock-timeout", Value: time.Minute, Usage: "longest wait for a running sync to release the archive or index"},
		},
		Action: func(c *cli.Context) error {
			if err := cliapp.NoArgs(c); err != nil {
				return err
			}
			o := status.Options{ArchiveDir: c.String("archive"), Output: c.String("output"), LockTimeout: c.Duration("lock-timeout")}
			if o.Output != "table" && o.Output != "json" {
				return cliapp.UsageError{Err: fmt.Errorf("--output %q: want table or json", o.Output), Command: "status"}
			}
			if o.LockTimeout <= 0 {
				return cliapp.UsageError{Err: fmt.Errorf("--lock-timeout must be positive"), Command: "status"}
			}
			return status.Run(c.Context, o, time.Now(), c.App.Writer, c.App.ErrWriter)
		},
	}
}

// plural renders n with noun, in the plural unless n is 1.
func plural(n int64, noun string) string { return status.Plural(n, noun) }
