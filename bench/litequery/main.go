// Command litequery measures how soon a smaller executable could answer:
// it links only what the answer to a job ID or a stretch of time needs
// from an archive (bbolt, zstd, urfave/cli and the archive package), opens
// the archive read-only as 'archiver query' does, and prints the same
// records, one JSON object a line. It is a floor for the start-up
// benchmark, not a second archiver: no filters beyond these two, no index,
// no pages, and the archive's record encoding rather than the query's
// writer.
//
//	litequery version
//	litequery --archive DIR query --job-id ID
//	litequery --archive DIR query --from TIME --to TIME
//
// bench/startup.sh runs it beside 'archiver version' and 'archiver query'.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

func main() {
	app := &cli.App{
		Name:  "litequery",
		Usage: "answer a job ID or a stretch of time from an archive, linking little",
		Flags: []cli.Flag{&cli.StringFlag{Name: "archive", Usage: "the archive's directory (query)"}},
		Commands: []*cli.Command{
			{Name: "version", Usage: "print a line and exit (start-up alone)", Action: func(c *cli.Context) error {
				_, err := fmt.Fprintln(c.App.Writer, "litequery")
				return err
			}},
			{
				Name:  "query",
				Usage: "print the records of a job, or of a stretch of time",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "job-id", Usage: "the job and its log items"},
					&cli.TimestampFlag{Name: "from", Layout: time.RFC3339Nano, Usage: "jobs and log items from this time"},
					&cli.TimestampFlag{Name: "to", Layout: time.RFC3339Nano, Usage: "up to this time"},
				},
				Action: func(c *cli.Context) error {
					var from, to time.Time
					if t := c.Timestamp("from"); t != nil {
						from = *t
					}
					if t := c.Timestamp("to"); t != nil {
						to = *t
					}
					return answer(c.Context, c.String("archive"), c.String("job-id"), from, to)
				},
			},
		},
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "litequery:", err)
		os.Exit(1)
	}
}

// answer prints the records of job jobID, or else the jobs and log items
// whose time lies in [from, to].
func answer(ctx context.Context, dir, jobID string, from, to time.Time) error {
	switch {
	case dir == "":
		return errors.New("query: give --archive")
	case jobID == "" && (from.IsZero() || to.IsZero()):
		return errors.New("query: give --job-id, or --from and --to")
	}
	st, err := archive.Open(ctx, dir, archive.Options{ReadOnly: true, LockTimeout: time.Second})
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	defer st.Close()
	// The records are copied under the read transaction and printed after
	// it ends, as 'archiver query' does.
	var recs []archive.Record
	keep := func(rec archive.Record) error {
		recs = append(recs, rec)
		return nil
	}
	err = st.View(func(r *archive.Reader) error {
		if jobID != "" {
			return r.JobRecords(jobID, keep)
		}
		for _, k := range []archive.Kind{kinds.DRSJob, kinds.DRSJobLogItem} {
			if err := r.EachBetween(k, from, to, keep); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	w := bufio.NewWriterSize(os.Stdout, 64<<10)
	enc := json.NewEncoder(w)
	for _, rec := range recs {
		if err := enc.Encode(rec); err != nil {
			return err
		}
	}
	return w.Flush()
}
