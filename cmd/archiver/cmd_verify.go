package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/migrations"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check the archive file's consistency",
		UsageText: "archiver [--archive DIR] verify",
		Description: `Runs bbolt's consistency check over every page of the archive file and
decodes every record, and reports each problem found. Exit status 0 means the
file is sound; 1 means a problem was found (each is printed) or the archive
could not be opened.

EXAMPLES:
   archiver verify
   archiver --archive /var/lib/archiver verify`,
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "lock-timeout", Value: time.Minute, Usage: "longest wait for a sync to release the archive"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return runVerify(c.Context, c.String("archive"), c.Duration("lock-timeout"), c.App.Writer, c.App.ErrWriter)
		},
	}
}

func runVerify(ctx context.Context, dir string, lockTimeout time.Duration, stdout, stderr io.Writer) error {
	st, err := openReadOnly(ctx, dir, lockTimeout, stderr)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	defer st.Close()
	problems := st.Check()
	counts := map[archive.Kind]int{}
	err = st.View(func(r *archive.Reader) error {
		for _, k := range archive.Kinds {
			if err := r.Each(k, func(archive.Record) error { counts[k]++; return nil }); err != nil {
				problems = append(problems, err)
			}
		}
		return nil
	})
	if err != nil {
		problems = append(problems, err)
	}
	for _, p := range problems {
		fmt.Fprintf(stderr, "archiver verify: %s\n", oneLine(p.Error()))
	}
	if len(problems) > 0 {
		return fmt.Errorf("verify: %d problems in %s", len(problems), st.Path())
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	fmt.Fprintf(stdout, "archiver verify: ok: %s, schema %d, %d records (%d jobs, %d log items, %d source-server snapshots)\n",
		st.Path(), migrations.Latest(), total, counts[archive.KindDRSJob], counts[archive.KindDRSJobLogItem], counts[archive.KindDRSSourceServer])
	return nil
}

func runVersion(w io.Writer) error {
	_, err := fmt.Fprintf(w, "archiver %s (archive schema %d)\n", archiverVersion(), migrations.Latest())
	return err
}
