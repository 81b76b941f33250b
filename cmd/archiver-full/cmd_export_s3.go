package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/query/ddl"
	"github.com/archiver-dev/archiver/query/export/s3dest"
	"github.com/archiver-dev/archiver/query/search"
	"github.com/archiver-dev/archiver/sync"
)

// s3ExportFlags are the flags of export to S3 and of --ddl.
func s3ExportFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "until", Hidden: true, Usage: "another name for --to (the latest record time), kept for scripts"},
		&cli.BoolFlag{Name: "since-last", Usage: "with --out s3://...: export only what was added or changed since the last export there"},
		&cli.StringFlag{Name: "part-size", Value: "128MiB", Usage: "with --out s3://... or --out-dir: largest uncompressed part (e.g. 128MiB)"},
		&cli.StringFlag{Name: "partition", Value: s3dest.DefaultPartition, Usage: "with --out s3://..., --out-dir or --ddl: dt partitions by day (YYYY-MM-DD) or month (YYYY-MM)"},
		&cli.StringFlag{Name: "format", Value: s3dest.FormatJSONLines, Usage: "with --out s3://..., --out-dir or --ddl: parts as gzip'd JSON Lines (jsonl) or Parquet with zstd (parquet)"},
		&cli.StringFlag{Name: "out-dir", Usage: "write the partitioned layout of --out s3://... into this directory instead"},
		&cli.StringFlag{Name: "object-lock-mode", Usage: "with --out s3://...: write WORM objects, GOVERNANCE or COMPLIANCE (needs --retain-days)"},
		&cli.IntFlag{Name: "retain-days", Usage: "with --object-lock-mode: days every object is locked for"},
		&cli.StringFlag{Name: "sse-kms-key-id", Usage: "with --out s3://...: encrypt every object with this KMS key (SSE-KMS)"},
		&cli.StringFlag{Name: "endpoint-url", Usage: "with --out s3://...: send S3 calls to this URL (path-style addressing)"},
		&cli.StringFlag{Name: "s3-region", Usage: "with --out s3://...: the bucket's region (default: the AWS configuration's)"},
		&cli.StringFlag{Name: "profile", Usage: "with --out s3://...: AWS shared-config profile"},
		&cli.StringFlag{Name: "ddl", Usage: "print the statements (athena, trino, clickhouse or duckdb) that read the export at --out s3://... or --out-dir DIR, and export nothing"},
	}
}

// exportS3Action runs export --out s3://..., export --out-dir and export
// --ddl.
func exportS3Action(c *cli.Context, asJSON bool) error {
	usage := func(err error) error { return cliapp.UsageError{Err: err, Command: "export"} }
	dest, dir := "", c.String("out-dir")
	if out := c.String("out"); s3dest.IsURL(out) {
		dest = strings.TrimRight(strings.TrimSpace(out), "/")
	} else if out != "" {
		if c.String("ddl") != "" {
			return usage(fmt.Errorf("--ddl describes a partitioned export: give its location with --out s3://bucket/prefix or --out-dir DIR, not --out %s", out))
		}
		return usage(fmt.Errorf("--out %s and --out-dir %s: give one destination", out, dir))
	}
	if dest != "" && dir != "" && c.String("ddl") == "" {
		return usage(fmt.Errorf("--out %s and --out-dir %s: give one destination", dest, dir))
	}
	partition, err := s3dest.ParsePartition(c.String("partition"))
	if err != nil {
		return usage(fmt.Errorf("--partition %w", err))
	}
	format, err := s3dest.ParseFormat(c.String("format"))
	if err != nil {
		return usage(fmt.Errorf("--format %w", err))
	}
	if d := c.String("ddl"); d != "" {
		return printDDL(c, strings.ToLower(strings.TrimSpace(d)), dest, dir, partition, format)
	}
	outDir := ""
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return usage(fmt.Errorf("--out-dir %w", err))
		}
		if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
			return usage(fmt.Errorf("--out-dir %s: is no directory", dir))
		}
		dest, outDir = abs, abs
	}
	var bucket, prefix string
	if dir == "" {
		if bucket, prefix, err = s3dest.ParseURL(dest); err != nil {
			return usage(fmt.Errorf("--out %w", err))
		}
	} else if c.String("object-lock-mode") != "" || c.String("sse-kms-key-id") != "" {
		return usage(fmt.Errorf("--object-lock-mode and --sse-kms-key-id are for an export to S3, not --out-dir"))
	}
	o := s3dest.RunOptions{
		ArchiveDir: c.String("archive"), Destination: dest, Bucket: bucket, Prefix: prefix, Dir: outDir,
		LockTimeout: c.Duration("lock-timeout"), SinceLast: c.Bool("since-last"), Partition: partition, Format: format,
		RetainDays: c.Int("retain-days"), KMSKeyID: c.String("sse-kms-key-id"),
		Client:  s3dest.ClientOptions{EndpointURL: c.String("endpoint-url"), Region: c.String("s3-region"), Profile: c.String("profile"), Debug: debugOutput(c)},
		Version: archiverVersion(), Build: archiverBuildRef(), JSON: asJSON,
	}
	// A signing key from the environment is for --out exports; one given
	// here by flag is a mistake.
	if c.Bool("redact-tags") || (c.String("sign-key") != "" && os.Getenv("ARCHIVER_SIGN_KEY_FILE") == "") {
		return usage(fmt.Errorf("--redact-tags and --sign-key are for an export to a file; an S3 export is verbatim and its manifest unsigned"))
	}
	if o.Client.Profile != "" {
		if err := sync.CheckProfiles(c.Context, []string{o.Client.Profile}); err != nil {
			return usage(fmt.Errorf("--profile: %w", err))
		}
	}
	n, err := humanize.ParseBytes(c.String("part-size"))
	if err != nil || n < 1024 || n > 5<<30 {
		return usage(fmt.Errorf("--part-size %q: want a size between 1KiB and 5GiB, such as 128MiB", c.String("part-size")))
	}
	o.PartBytes = int(n)
	if o.LockMode, err = s3dest.ParseLockMode(c.String("object-lock-mode")); err != nil {
		return usage(fmt.Errorf("--object-lock-mode %w", err))
	}
	switch {
	case o.LockMode == "" && o.RetainDays != 0:
		return usage(fmt.Errorf("--retain-days needs --object-lock-mode"))
	case o.LockMode != "" && o.RetainDays <= 0:
		return usage(fmt.Errorf("--object-lock-mode %s needs --retain-days N (N > 0)", o.LockMode))
	}
	if cliapp.AnyFilter(c) {
		f, err := cliapp.ParseFilters(c, time.Now(), search.CheckText)
		if err != nil {
			return usage(err)
		}
		o.Select, o.Filters = search.SelectKeys(f, o.ArchiveDir, o.LockTimeout, c.App.ErrWriter), cliapp.FilterManifest(c)
	}
	return s3dest.Run(c.Context, o, c.App.Writer, c.App.ErrWriter)
}

// printDDL prints the --ddl statements over the export at dest (s3://...)
// or dir, for the layout the archive's records have.
func printDDL(c *cli.Context, dialect, dest, dir, partition, format string) error {
	usage := func(err error) error { return cliapp.UsageError{Err: err, Command: "export"} }
	location := dest
	if location == "" && dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return usage(fmt.Errorf("--out-dir %w", err))
		}
		location = abs
	}
	if location == "" {
		return usage(fmt.Errorf("--ddl %s: give the export's location with --out s3://bucket/prefix or --out-dir DIR", dialect))
	}
	if !slices.Contains(ddl.Dialects, dialect) {
		return usage(fmt.Errorf("--ddl %q: want one of %s", dialect, strings.Join(ddl.Dialects, ", ")))
	}
	layout, err := ddl.SurveyArchive(c.Context, c.String("archive"), c.Duration("lock-timeout"))
	if err != nil {
		return err
	}
	layout.Partition = partition
	endpoint := c.String("endpoint-url")
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL_S3")
	}
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	text, err := ddl.Statements(ddl.Options{Dialect: dialect, Location: location, Endpoint: endpoint, Format: format, Layout: layout})
	if err != nil {
		return usage(fmt.Errorf("--ddl: %w", err))
	}
	_, err = io.WriteString(c.App.Writer, text)
	return err
}
