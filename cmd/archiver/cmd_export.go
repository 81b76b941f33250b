package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/query"
)

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write the archive as one JSON document with a verifiable manifest",
		UsageText: "archiver [--archive DIR] export --out FILE [filters]",
		Description: `Writes every archived record (or, with filters, those 'archiver query'
would list) to FILE as one JSON document:

   {"manifest": {"format", "archiverVersion", "generatedAt", "schemaVersion",
                 "filters", "counts", "records", "recordsSHA256"},
    "records": [ one record object per line ]}

Each record object has a "kind" (drs.job, drs.jobLogItem, drs.sourceServer,
snowball.clusterJob, sms.replicationJob), its provenance (region, account,
firstSeen, lastSeen) and "data": the AWS object exactly as AWS sent it. Log
items carry "jobID" and stand in their job's "logItems"; source-server
snapshots carry "capturedAt". Every record appears exactly once.

recordsSHA256 is the SHA-256 of the "records" value byte for byte as it
stands in the file, so any later change to the records shows.

The filters are those of 'archiver query' (--from, --to, --job-id,
--source-server, --kind, --event, --status, --text; see 'archiver query
--help') and are recorded in the manifest. A log item whose job is not
exported stands at top level.

The file is written beside its final name and renamed into place when
complete, so FILE is never left half-written. --out - writes to stdout.
Export needs no network and no credentials, and can run during a sync.

EXAMPLES:
   archiver export --out drs-history.json
   archiver export --out - | jq '.manifest'
   archiver export --out q3-drills.json --from 2026-07-01 --to 2026-09-30 --kind drs.job --kind drs.jobLogItem`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "file to write (- for stdout)"},
			&cli.DurationFlag{Name: "lock-timeout", Value: time.Minute, Usage: "longest wait for a sync to release the archive"},
		}, filterFlags()...),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			out := c.String("out")
			if out == "" {
				return usageError{err: fmt.Errorf("--out FILE is required"), command: "export"}
			}
			o := exportOptions{archiveDir: c.String("archive"), out: out, lockTimeout: c.Duration("lock-timeout")}
			if anyFilter(c) {
				f, err := parseFilters(c, time.Now())
				if err != nil {
					return usageError{err: err, command: "export"}
				}
				o.filters, o.manifestFilters = &f, filterManifest(c)
			}
			return runExport(c.Context, o, c.App.Writer, c.App.ErrWriter)
		},
	}
}

type exportOptions struct {
	archiveDir      string
	out             string
	lockTimeout     time.Duration
	filters         *query.Filters // nil: everything
	manifestFilters map[string]any
}

func openReadOnly(ctx context.Context, dir string, lockTimeout time.Duration, stderr io.Writer) (*archive.Store, error) {
	return archive.Open(ctx, dir, archive.Options{
		ReadOnly:    true,
		LockTimeout: lockTimeout,
		Waiting:     func(msg string) { fmt.Fprintf(stderr, "archiver: %s\n", msg) },
	})
}

func runExport(ctx context.Context, o exportOptions, stdout, stderr io.Writer) error {
	st, err := openReadOnly(ctx, o.archiveDir, o.lockTimeout, stderr)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer st.Close()
	schema, err := st.SchemaVersion()
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	qo := query.ExportOptions{Version: archiverVersion(), SchemaVersion: schema, Filters: o.manifestFilters}
	if o.filters != nil {
		if qo.Only, err = selectKeys(ctx, st, o, stderr); err != nil {
			return err
		}
	}

	if o.out == "-" {
		return st.View(func(r *archive.Reader) error {
			_, err := query.Export(ctx, r, stdout, qo)
			return err
		})
	}
	dir := filepath.Dir(o.out)
	qo.TempDir = dir
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(o.out)+".*.tmp")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	var m query.Manifest
	err = st.View(func(r *archive.Reader) error {
		var err error
		m, err = query.Export(ctx, r, tmp, qo)
		return err
	})
	if err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp.Name(), o.out); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(stderr, "archiver export: %d records to %s (sha256 %s)\n", m.Records, o.out, m.RecordsSHA256)
	return nil
}

// selectKeys runs the export's filters as a query and returns the keys of
// the records they select.
func selectKeys(ctx context.Context, st *archive.Store, o exportOptions, stderr io.Writer) (map[archive.Key]bool, error) {
	say := func(msg string) { fmt.Fprintf(stderr, "archiver: %s\n", msg) }
	x, err := indexFor(*o.filters, o.archiveDir, o.lockTimeout, say, func(string) {})
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if x != nil {
		defer x.Close()
	}
	keys := map[archive.Key]bool{}
	err = st.View(func(r *archive.Reader) error {
		_, err := query.Run(ctx, query.Source{Archive: r, Index: x}, query.Request{Filters: *o.filters}, func(rec archive.Record, _ []string) error {
			keys[rec.Key] = true
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return keys, nil
}
