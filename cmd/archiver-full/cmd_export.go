package main

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/query/export"
	"github.com/archiver-dev/archiver/query/export/s3dest"
	"github.com/archiver-dev/archiver/query/search"
)

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write the archive as one JSON document with a verifiable manifest",
		UsageText: "archiver [--archive DIR] export --out FILE [--force] [filters]\narchiver [--archive DIR] export --out s3://BUCKET/PREFIX [--since-last] [--object-lock-mode MODE --retain-days N] [--sse-kms-key-id ID] [filters]\narchiver [--archive DIR] export --out-dir DIR [--since-last] [--format jsonl|parquet] [--partition month|day] [filters]\narchiver [--archive DIR] export --ddl athena|trino|clickhouse|duckdb --out s3://BUCKET/PREFIX|--out-dir DIR [--format jsonl|parquet] [--partition month|day]",
		Description: `Writes every archived record (or, with filters, those 'archiver query'
would list) to FILE as one JSON document:

   {
     "manifest": {"format", "archiverVersion", "archiverBuild", "generatedAt", "schemaVersion",
                  "filters", "counts", "records", "recordsSHA256",
                  "chain": {"links", "head"}, "recordHashes": [...]},
     "records": [ one record object per line ],
     "seal": {"sha256", "signature", "keyID"}
   }

Each record object has a "kind" (` + cliapp.KindList(0, 33, 78) + `), its provenance
(region, account, firstSeen, lastSeen; the file for imported records) and
"data": the AWS object exactly as AWS sent it. Log items carry "jobID" and
follow their job; snapshots carry "capturedAt". Every record appears
exactly once.

The manifest carries the SHA-256 of every record and of the records as a
whole, and the head of the archive's hash chain at the time of the export
('archiver verify' prints the archive's). The seal carries the SHA-256 of
every byte before it; with --sign-key (or ARCHIVER_SIGN_KEY) it also
carries an ed25519 signature of that hash. 'archiver verify --export FILE'
checks all of it offline, with no archive; with --public-key it checks the
signature too. A signing key is made with:

   openssl genpkey -algorithm ed25519 -out export-signing.pem
   openssl pkey -in export-signing.pem -pubout -out export-signing.pub.pem

The manifest also carries the checkpoint of the archive's transparency log
(see 'archiver checkpoint'), signed with --sign-key when given. An export
with filters gives an auditor part of the history: each of its records then
carries a proof that it is in the log at that checkpoint ("proof": its key,
leaf, stored header and inclusion path), which 'archiver verify --export'
checks record by record, offline; a record changed after the export fails
alone, whatever hashes were recomputed around it. (With --redact-tags the
data is no longer what the log holds, and no proofs are written.)

--redact-tags replaces the value of every tag (each "tags" member of the
data) with "REDACTED", and the manifest says so; those records are then no
longer verbatim.

The filters are those of 'archiver query' (--from, --to, --captured-from,
--captured-to, --deleted-from, --deleted-to, --tz, --job-id, --id,
--source-server, --kind, --event, --status, --initiated-by, --type, --text,
--region, --account, --deleted; see 'archiver query --help' for the time
forms and which time each kind's --from and --to mean) and are recorded in
the manifest as given, with --tz when a time filter is given and the zone
is not UTC.

FILE is written beside its final name (.FILE.tmp-PID-RANDOM, mode 0600),
synced and renamed into place when complete, so FILE is never left
half-written. An existing FILE is left alone unless --force is given. A
symbolic link is followed: its target is written, the same way, in the
target's directory. A FIFO or a device (such as /dev/null) is written to as
it is, never replaced. --out - writes to stdout. The records are staged in a
scratch file (archiver-scratch-PID-RANDOM) beside FILE, or in the temporary
directory ($TMPDIR) for stdout, a FIFO or a device; it is removed at the
end, on an interrupt, and when a reader of stdout stops early (exit 141).
What a killed archiver leaves behind, the next one removes.
Export needs no network and no credentials, and can run during a sync.

EXPORT TO S3 OR A DIRECTORY (for Athena, Trino, ClickHouse and DuckDB):

--out s3://BUCKET/PREFIX writes the records instead as gzip'd JSON Lines in
Hive layout, one record object per line (as 'archiver query --output jsonl'
prints it):

   PREFIX/kind=KIND/region=REGION/dt=YYYY-MM/part-EXPORTID-NNNNN.jsonl.gz

dt is the month of the record's time (UTC); --partition day makes it the
day, YYYY-MM-DD. REGION is "none" for records with no region. A part holds
at most --part-size bytes uncompressed (default 128MiB): engines read
objects of tens to hundreds of MB best. --format parquet writes Parquet
parts (zstd, .parquet) instead: a row per record with typed columns (kind,
region, account, id, jobID, clusterID, time, capturedAt, event, status,
firstSeen, lastSeen, deletedUpstreamAt, imported) and data, the AWS object
verbatim as JSON text. --out-dir DIR writes the same layout into a
directory instead of S3.
EXPORTID is the export's time and a random suffix, so no export ever
overwrites another's parts; every object is written with If-None-Match (a
file: created only if absent), so nothing is ever replaced. Last comes the
manifest, PREFIX/manifest-GENERATEDAT.json: every part's key, size, SHA-256
and record count, the record counts, the partition and format, the filters,
the change-log position read and the hash chain's head. Parts that no
manifest lists belong to a failed export.

The filters are the same as for a file: --to is always a time, the end of
the time range, and the destination is always --out (--to s3://... is
refused). --until, the name --to had for S3 exports, is still taken as
another name for --to.

--since-last exports only the records added or given new contents since the
last export to the same destination (the archive keeps, per destination,
the change-log position each export reached; the first exports everything),
and again the latest record of each object noticed deleted upstream since,
with its deletedUpstreamAt: new parts go beside the old ones, which are
never rewritten. A record whose
only change is its lastSeen is not sent again. With nothing new it writes
nothing and says so.
--object-lock-mode GOVERNANCE|COMPLIANCE with --retain-days N locks every
object (the bucket needs Object Lock); --sse-kms-key-id ID encrypts every
object with that KMS key. Credentials and region come from the AWS
configuration chain, as for sync (--profile, --s3-region, AWS_REGION);
--endpoint-url, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL sends the calls
elsewhere, with path-style addressing.

--ddl athena|trino|clickhouse|duckdb prints a table (or view) per kind the
archive holds over the export at --out s3://BUCKET/PREFIX or --out-dir DIR
(ClickHouse and DuckDB only), for the --format and --partition given, and
exports nothing. Athena: OpenX JSON SerDe keeping key case, with partition
projection over exactly the regions the archive holds, and dt from its
earliest record's partition to NOW; Trino: the Hive connector, with the same
projection; ClickHouse: views over s3() or file() with
use_hive_partitioning; DuckDB: views over read_json or read_parquet with
hive_partitioning. Print it again after a sync brings a new region.

EXAMPLES:
   archiver export --out drs-history.json
   archiver export --out - | jq '.manifest.counts'
   archiver export --out q3-drills.json --from 2026-07-01 --to 2026-09-30 --kind drs.job --kind drs.jobLogItem
   archiver export --out audit.json --sign-key /etc/archiver/export-signing.pem --redact-tags
   archiver verify --export audit.json --public-key export-signing.pub.pem
   archiver export --out s3://dr-audit/archiver --since-last --object-lock-mode COMPLIANCE --retain-days 2555
   archiver export --out s3://dr-audit/archiver --from 2026-01-01 --to 2026-06-30 --kind drs.job
   archiver export --ddl athena --out s3://dr-audit/archiver
   archiver export --out-dir /srv/drs-history --since-last --format parquet
   archiver export --ddl duckdb --out-dir /srv/drs-history --format parquet`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "file to write (- for stdout; a FIFO or device is written in place), or s3://BUCKET/PREFIX for a partitioned export to S3"},
			&cli.BoolFlag{Name: "force", Usage: "replace FILE if it is an existing regular file"},
			&cli.StringFlag{Name: "sign-key", EnvVars: []string{"ARCHIVER_SIGN_KEY_FILE"}, Usage: "sign the export with this ed25519 private key (PEM file; or the PEM itself in ARCHIVER_SIGN_KEY)"},
			&cli.BoolFlag{Name: "redact-tags", Usage: "replace every tag value in the data with REDACTED"},
			&cli.DurationFlag{Name: "lock-timeout", Value: time.Minute, Usage: "longest wait for a sync to release the archive"},
			summaryOutputFlag(),
		}, append(cliapp.FilterFlags(), s3ExportFlags()...)...),
		Action: func(c *cli.Context) error {
			if err := cliapp.NoArgs(c); err != nil {
				return err
			}
			if to := c.String("to"); s3dest.IsURL(to) {
				return cliapp.UsageError{Err: fmt.Errorf("--to %s: --to is a time, the end of the time range; give the S3 destination with --out s3://bucket/prefix", strings.TrimSpace(to)), Command: "export"}
			}
			if until := c.String("until"); until != "" {
				// --until is the name --to had for S3 exports.
				if c.String("to") != "" {
					return cliapp.UsageError{Err: fmt.Errorf("--until is another name for --to: give one"), Command: "export"}
				}
				if err := c.Set("to", until); err != nil {
					return cliapp.UsageError{Err: fmt.Errorf("--until: %w", err), Command: "export"}
				}
			}
			asJSON, err := summaryAsJSON(c)
			if err != nil {
				return err
			}
			if s3dest.IsURL(c.String("out")) || c.String("ddl") != "" || c.String("out-dir") != "" {
				return exportS3Action(c, asJSON)
			}
			out := c.String("out")
			if out == "" {
				return cliapp.UsageError{Err: fmt.Errorf("--out FILE is required"), Command: "export"}
			}
			if out == "-" && asJSON {
				return cliapp.UsageError{Err: fmt.Errorf("--output json prints the summary on stdout, where --out - writes the export: give --out FILE"), Command: "export"}
			}
			o := export.RunOptions{ArchiveDir: c.String("archive"), Out: out, Force: c.Bool("force"), LockTimeout: c.Duration("lock-timeout"), RedactTags: c.Bool("redact-tags"),
				Version: archiverVersion(), Build: archiverBuildRef(), JSON: asJSON}
			key, err := signKey(c.String("sign-key"), os.Getenv("ARCHIVER_SIGN_KEY"))
			if err != nil {
				return cliapp.UsageError{Err: err, Command: "export"}
			}
			o.SignKey = key
			if cliapp.AnyFilter(c) {
				f, err := cliapp.ParseFilters(c, time.Now(), search.CheckText)
				if err != nil {
					return cliapp.UsageError{Err: err, Command: "export"}
				}
				o.Select, o.Filters = search.SelectKeys(f, o.ArchiveDir, o.LockTimeout, c.App.ErrWriter), cliapp.FilterManifest(c)
			}
			return export.Run(c.Context, o, c.App.Writer, c.App.ErrWriter)
		},
	}
}

// signKey reads the export signing key: from the file named by path, or
// else from pemText (the ARCHIVER_SIGN_KEY environment variable). Neither
// gives nil.
func signKey(path, pemText string) (ed25519.PrivateKey, error) {
	var b []byte
	var from string
	switch {
	case path != "":
		var err error
		if b, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("--sign-key: %w", err)
		}
		from = "--sign-key " + path
	case pemText != "":
		b, from = []byte(pemText), "ARCHIVER_SIGN_KEY"
	default:
		return nil, nil
	}
	k, err := export.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (want a PEM PKCS #8 key: openssl genpkey -algorithm ed25519)", from, err)
	}
	return k, nil
}
