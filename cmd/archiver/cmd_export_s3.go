package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/ddl"
	"github.com/archiver-dev/archiver/query/export/s3dest"
	"github.com/archiver-dev/archiver/sync"
)

// s3ExportFlags are the flags of export to S3 and of --ddl.
func s3ExportFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "until", Hidden: true, Usage: "another name for --to (the latest record time), kept for scripts"},
		&cli.BoolFlag{Name: "since-last", Usage: "with --out s3://...: export only what was added or changed since the last export there"},
		&cli.StringFlag{Name: "part-size", Value: "64MiB", Usage: "with --out s3://...: largest uncompressed part (e.g. 64MiB)"},
		&cli.StringFlag{Name: "object-lock-mode", Usage: "with --out s3://...: write WORM objects, GOVERNANCE or COMPLIANCE (needs --retain-days)"},
		&cli.IntFlag{Name: "retain-days", Usage: "with --object-lock-mode: days every object is locked for"},
		&cli.StringFlag{Name: "sse-kms-key-id", Usage: "with --out s3://...: encrypt every object with this KMS key (SSE-KMS)"},
		&cli.StringFlag{Name: "endpoint-url", Usage: "with --out s3://...: send S3 calls to this URL (path-style addressing)"},
		&cli.StringFlag{Name: "s3-region", Usage: "with --out s3://...: the bucket's region (default: the AWS configuration's)"},
		&cli.StringFlag{Name: "profile", Usage: "with --out s3://...: AWS shared-config profile"},
		&cli.StringFlag{Name: "ddl", Usage: "print CREATE TABLE statements (athena or trino) over an S3 export at --out s3://..., and export nothing"},
	}
}

// exportS3Action runs export --out s3://... and export --ddl.
func exportS3Action(c *cli.Context) error {
	usage := func(err error) error { return usageError{err: err, command: "export"} }
	dest := ""
	if out := c.String("out"); s3dest.IsURL(out) {
		dest = strings.TrimRight(strings.TrimSpace(out), "/")
	} else if out != "" {
		return usage(fmt.Errorf("--ddl describes an S3 export: give its location with --out s3://bucket/prefix, not --out %s", out))
	}
	if d := c.String("ddl"); d != "" {
		location := dest
		if location == "" {
			location = "s3://BUCKET/PREFIX"
		}
		text, err := ddl.Statements(strings.ToLower(d), location)
		if err != nil {
			return usage(fmt.Errorf("--ddl: %w", err))
		}
		_, err = io.WriteString(c.App.Writer, text)
		return err
	}
	bucket, prefix, err := s3dest.ParseURL(dest)
	if err != nil {
		return usage(fmt.Errorf("--out %w", err))
	}
	o := s3dest.RunOptions{
		ArchiveDir: c.String("archive"), Destination: dest, Bucket: bucket, Prefix: prefix,
		LockTimeout: c.Duration("lock-timeout"), SinceLast: c.Bool("since-last"),
		RetainDays: c.Int("retain-days"), KMSKeyID: c.String("sse-kms-key-id"),
		Client:  s3dest.ClientOptions{EndpointURL: c.String("endpoint-url"), Region: c.String("s3-region"), Profile: c.String("profile"), Debug: debugOutput(c)},
		Version: archiverVersion(), Build: archiverBuildRef(),
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
		return usage(fmt.Errorf("--part-size %q: want a size between 1KiB and 5GiB, such as 64MiB", c.String("part-size")))
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
	if anyFilter(c) {
		f, err := parseFilters(c, time.Now())
		if err != nil {
			return usage(err)
		}
		o.Select, o.Filters = query.SelectKeys(f, o.ArchiveDir, o.LockTimeout, c.App.ErrWriter), filterManifest(c)
	}
	return s3dest.Run(c.Context, o, c.App.Writer, c.App.ErrWriter)
}
