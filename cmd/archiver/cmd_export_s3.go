package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/sync"
)

// s3ExportFlags are the flags of export to S3 and of --ddl.
func s3ExportFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "until", Usage: "latest record time (as --to) when --to names an S3 destination"},
		&cli.BoolFlag{Name: "since-last", Usage: "with --to s3://...: export only what was added or changed since the last export there"},
		&cli.StringFlag{Name: "part-size", Value: "64MiB", Usage: "with --to s3://...: largest uncompressed part (e.g. 64MiB)"},
		&cli.StringFlag{Name: "object-lock-mode", Usage: "with --to s3://...: write WORM objects, GOVERNANCE or COMPLIANCE (needs --retain-days)"},
		&cli.IntFlag{Name: "retain-days", Usage: "with --object-lock-mode: days every object is locked for"},
		&cli.StringFlag{Name: "sse-kms-key-id", Usage: "with --to s3://...: encrypt every object with this KMS key (SSE-KMS)"},
		&cli.StringFlag{Name: "endpoint-url", Usage: "with --to s3://...: send S3 calls to this URL (path-style addressing)"},
		&cli.StringFlag{Name: "s3-region", Usage: "with --to s3://...: the bucket's region (default: the AWS configuration's)"},
		&cli.StringFlag{Name: "profile", Usage: "with --to s3://...: AWS shared-config profile"},
		&cli.StringFlag{Name: "ddl", Usage: "print CREATE TABLE statements (athena or trino) over an S3 export at --to, and export nothing"},
	}
}

// s3ExportOptions is an export to S3.
type s3ExportOptions struct {
	archiveDir      string
	dest            string // s3://bucket/prefix
	bucket, prefix  string
	lockTimeout     time.Duration
	filters         *query.Filters
	manifestFilters map[string]any
	sinceLast       bool
	partBytes       int
	lockMode        types.ObjectLockMode
	retainDays      int
	kmsKeyID        string
	endpointURL     string
	region          string
	profile         string
	// now is the export's time; zero means time.Now.
	now time.Time
}

// parseS3URL splits s3://bucket/prefix.
func parseS3URL(u string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", "", fmt.Errorf("--to %s: want s3://bucket/prefix", u)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("--to %s: no bucket", u)
	}
	return bucket, strings.Trim(prefix, "/"), nil
}

// isS3Dest reports whether a --to value names an S3 destination rather
// than a time.
func isS3Dest(to string) bool { return strings.HasPrefix(strings.TrimSpace(to), "s3://") }

// exportS3Action runs export --to s3://... and export --ddl.
func exportS3Action(c *cli.Context) error {
	usage := func(err error) error { return usageError{err: err, command: "export"} }
	dest := ""
	if isS3Dest(c.String("to")) {
		dest = strings.TrimRight(strings.TrimSpace(c.String("to")), "/")
		if err := c.Set("to", c.String("until")); err != nil {
			return usage(fmt.Errorf("--until: %w", err))
		}
	} else if c.String("until") != "" {
		return usage(fmt.Errorf("--until is for an S3 destination; use --to TIME"))
	}
	if d := c.String("ddl"); d != "" {
		location := dest
		if location == "" {
			location = "s3://BUCKET/PREFIX"
		}
		text, err := query.DDL(strings.ToLower(d), location)
		if err != nil {
			return usage(fmt.Errorf("--ddl: %w", err))
		}
		_, err = io.WriteString(c.App.Writer, text)
		return err
	}
	if c.String("out") != "" {
		return usage(fmt.Errorf("--out and --to s3://... are exclusive"))
	}
	bucket, prefix, err := parseS3URL(dest)
	if err != nil {
		return usage(err)
	}
	o := s3ExportOptions{
		archiveDir: c.String("archive"), dest: dest, bucket: bucket, prefix: prefix,
		lockTimeout: c.Duration("lock-timeout"), sinceLast: c.Bool("since-last"),
		retainDays: c.Int("retain-days"), kmsKeyID: c.String("sse-kms-key-id"),
		endpointURL: c.String("endpoint-url"), region: c.String("s3-region"), profile: c.String("profile"),
	}
	// A signing key from the environment is for --out exports; one given
	// here by flag is a mistake.
	if c.Bool("redact-tags") || (c.String("sign-key") != "" && os.Getenv("ARCHIVER_SIGN_KEY_FILE") == "") {
		return usage(fmt.Errorf("--redact-tags and --sign-key are for --out; an S3 export is verbatim and its manifest unsigned"))
	}
	if o.profile != "" {
		if err := sync.CheckProfiles(c.Context, []string{o.profile}); err != nil {
			return usage(fmt.Errorf("--profile: %w", err))
		}
	}
	n, err := humanize.ParseBytes(c.String("part-size"))
	if err != nil || n < 1024 || n > 5<<30 {
		return usage(fmt.Errorf("--part-size %q: want a size between 1KiB and 5GiB, such as 64MiB", c.String("part-size")))
	}
	o.partBytes = int(n)
	switch mode := strings.ToUpper(c.String("object-lock-mode")); mode {
	case "":
		if o.retainDays != 0 {
			return usage(fmt.Errorf("--retain-days needs --object-lock-mode"))
		}
	case string(types.ObjectLockModeGovernance), string(types.ObjectLockModeCompliance):
		if o.retainDays <= 0 {
			return usage(fmt.Errorf("--object-lock-mode %s needs --retain-days N (N > 0)", mode))
		}
		o.lockMode = types.ObjectLockMode(mode)
	default:
		return usage(fmt.Errorf("--object-lock-mode %q: want GOVERNANCE or COMPLIANCE", c.String("object-lock-mode")))
	}
	if anyFilter(c) {
		f, err := parseFilters(c, time.Now())
		if err != nil {
			return usage(err)
		}
		o.filters, o.manifestFilters = &f, filterManifest(c)
	}
	return runExportS3(c.Context, o, c.App.Writer, c.App.ErrWriter)
}

// s3Client makes the S3 client of an export: the configuration chain sync
// uses, with path-style addressing when an endpoint URL is given (by flag,
// AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL).
func s3Client(ctx context.Context, o s3ExportOptions) (*s3.Client, error) {
	so := sync.Options{EndpointURL: o.endpointURL}
	if o.region != "" {
		so.Regions = []string{o.region}
	}
	if o.profile != "" {
		so.Profiles = []string{o.profile}
	}
	cfg, err := sync.LoadAWSConfig(ctx, so)
	if err != nil {
		return nil, err
	}
	endpoint := o.endpointURL
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL_S3")
	}
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	return s3.NewFromConfig(cfg, func(so *s3.Options) {
		if endpoint != "" {
			so.BaseEndpoint = aws.String(endpoint)
			so.UsePathStyle = true
		}
	}), nil
}

// uploadPartSize is the size of the pieces a large object goes up in.
const uploadPartSize = 16 << 20

// newUploader returns the upload manager of an export: objects above
// uploadPartSize go up as multipart uploads.
func newUploader(client *s3.Client) *manager.Uploader {
	return manager.NewUploader(client, func(u *manager.Uploader) { u.PartSize = uploadPartSize })
}

// s3Store writes export objects to one bucket, never over an existing key.
type s3Store struct {
	up          *manager.Uploader
	bucket      string
	lockMode    types.ObjectLockMode
	retainUntil time.Time
	kmsKeyID    string
}

// Put writes body under key with If-None-Match: *, so that S3 refuses to
// replace an object already there.
func (s *s3Store) Put(ctx context.Context, key string, body []byte, contentType string) error {
	in := &s3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentType: aws.String(contentType), IfNoneMatch: aws.String("*"),
		// Object Lock wants a checksum of every upload; SHA-256 also
		// matches the manifest's.
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	}
	if s.lockMode != "" {
		in.ObjectLockMode = s.lockMode
		in.ObjectLockRetainUntilDate = aws.Time(s.retainUntil)
	}
	if s.kmsKeyID != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(s.kmsKeyID)
	}
	if _, err := s.up.Upload(ctx, in); err != nil {
		return s3Error(s.bucket, key, err)
	}
	return nil
}

// s3Error says in one line why S3 refused to write s3://bucket/key.
func s3Error(bucket, key string, err error) error {
	url := "s3://" + bucket + "/" + key
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "PreconditionFailed", "ConditionalRequestConflict":
			return fmt.Errorf("export: %s exists already: S3 refused to overwrite it (an export never replaces an object, locked or not)", url)
		case "AccessDenied":
			if strings.Contains(strings.ToLower(ae.ErrorMessage()), "lock") {
				return fmt.Errorf("export: %s is locked (Object Lock): S3 refused to overwrite it: %s", url, ae.ErrorMessage())
			}
		}
		return fmt.Errorf("export: write %s: %s: %s", url, ae.ErrorCode(), oneLine(ae.ErrorMessage()))
	}
	return fmt.Errorf("export: write %s: %s", url, oneLine(err.Error()))
}

// newExportID names an export: its time and a random suffix.
func newExportID(t time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

func runExportS3(ctx context.Context, o s3ExportOptions, stdout, stderr io.Writer) error {
	now := o.now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	client, err := s3Client(ctx, o)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	store := &s3Store{
		up:     newUploader(client),
		bucket: o.bucket, lockMode: o.lockMode, kmsKeyID: o.kmsKeyID,
		retainUntil: now.AddDate(0, 0, o.retainDays),
	}

	st, err := openReadOnly(ctx, o.archiveDir, o.lockTimeout, stderr)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer st.Close()
	schema, err := st.SchemaVersion()
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	po := query.PartitionedOptions{
		Version: archiverVersion(), Build: archiverBuildRef(), Now: now, ExportID: newExportID(now), SchemaVersion: schema,
		Destination: o.dest, Prefix: o.prefix, PartBytes: o.partBytes, Filters: o.manifestFilters,
	}
	if o.filters != nil {
		eo := exportOptions{archiveDir: o.archiveDir, lockTimeout: o.lockTimeout, filters: o.filters}
		if po.Only, err = selectKeys(ctx, st, eo, stderr); err != nil {
			return err
		}
	}
	var m query.PartitionedManifest
	var last archive.ExportMark
	var hadLast bool
	err = st.View(func(r *archive.Reader) error {
		var err error
		if last, hadLast, err = r.ExportMark(o.dest); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if o.sinceLast && hadLast {
			po.Since = &last.Position
		}
		m, err = query.ExportPartitioned(ctx, r, store, po)
		return err
	})
	if err != nil {
		return err
	}
	if o.sinceLast && hadLast && m.Records == 0 {
		fmt.Fprintf(stderr, "archiver export: nothing added or changed since export %s to %s; wrote nothing\n", last.ExportID, o.dest)
		return nil
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("export: manifest: %w", err)
	}
	manifestKey := query.ManifestKey(o.prefix, now)
	if err := store.Put(ctx, manifestKey, append(body, '\n'), "application/json"); err != nil {
		return err
	}
	// The mark is kept only once the manifest is written: an export that
	// failed part way is sent again whole by the next --since-last.
	if err := st.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := recordExportMark(ctx, o, archive.ExportMark{
		Destination: o.dest, Position: m.Position, ExportID: m.ExportID, At: now, Records: m.Records, Manifest: manifestKey,
	}, stderr); err != nil {
		return err
	}
	what := "everything"
	if m.SinceLast {
		what = "changes since export " + last.ExportID
	}
	fmt.Fprintf(stderr, "archiver export: %d records (%s) in %d parts to %s, manifest s3://%s/%s (chain head %.16s at link %d)\n",
		m.Records, what, len(m.Objects), o.dest, o.bucket, manifestKey, m.Chain.Head, m.Chain.Links)
	return nil
}

// recordExportMark keeps in the archive how far the export to o.dest got.
func recordExportMark(ctx context.Context, o s3ExportOptions, mark archive.ExportMark, stderr io.Writer) error {
	st, err := archive.Open(ctx, o.archiveDir, archive.Options{
		LockTimeout: o.lockTimeout,
		Waiting:     func(msg string) { fmt.Fprintf(stderr, "archiver: %s\n", msg) },
	})
	if err != nil {
		return fmt.Errorf("export: record the export in the archive: %w", err)
	}
	defer st.Close()
	if err := st.Update(func(w *archive.Writer) error { return w.PutExportMark(mark) }); err != nil {
		return fmt.Errorf("export: record the export in the archive: %w", err)
	}
	return st.Close()
}
