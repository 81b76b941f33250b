package main

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/archive/check"
	"github.com/archiver-dev/archiver/archive/checkpoint"
	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/query/export"
	"github.com/archiver-dev/archiver/query/export/s3dest"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check the archive file's consistency",
		UsageText: "archiver [--archive DIR] verify [--against FILE|DIR]... [--public-key FILE]\n   archiver verify --export FILE [--public-key FILE]",
		Description: `Runs bbolt's consistency check over every page of the archive file,
decodes every record, recomputes the hash chain and checks every record
against it (a record changed, added or removed other than by archiver breaks
it), and checks that the full-text index holds exactly the archive's
records, as of the same change. It recomputes the identity and job-log
indexes from the records, and the transparency log (an RFC 6962 Merkle tree
of every write) from the change log. It reports each problem found.

All of that checks the file against itself: whoever can write the file can
rewrite all of it consistently. What proves the history is a checkpoint
kept outside the file (sync, import, prune and migrate write one to
--checkpoint-dir and --checkpoint-to; every export carries one): with
--against FILE, DIR or s3://BUCKET/PREFIX (repeatable; a FILE may be a
checkpoint or an earlier export), verify proves from the change log that
the archive is an append-only extension of every checkpoint there. A
record changed, removed or inserted before a checkpoint, or an older copy
of the archive put back, fails naming the first checkpoint the archive no
longer extends. With --public-key, every checkpoint must be signed with
that key.

Exit status 0 means all is sound; 1 means a problem was found (each is
printed) or the archive could not be opened. An index problem is mended by
the next sync or by 'archiver reindex'; the archive is the source of truth.

With --export FILE, checks an export on its own, offline, with no archive:
its seal (the SHA-256 of every byte before it), the manifest's hash of the
records and of each record, and the counts. Any change to the file shows.
With --public-key (a PEM ed25519 public key) it also checks the export's
signature, which is what shows a forger who rewrote every hash; a signed
export checked without a key says "signature NOT checked", and fails with
--require-signature. The export carries the checkpoint of the archive's
transparency log at its moment, printed with the result.

With --export DIR, a partitioned export written with 'export --out-dir',
checks every part each manifest in DIR lists against its size, SHA-256 and
record count, and that no part is listed by no manifest.

EXAMPLES:
   archiver verify
   archiver --archive /var/lib/archiver verify
   archiver verify --against /mnt/witness/archiver-checkpoints
   archiver verify --against /mnt/witness/archiver-checkpoints --public-key checkpoint-signing.pub.pem
   archiver verify --against s3://dr-audit/archiver-checkpoints
   archiver verify --export drs-history.json
   archiver verify --export audit.json --public-key export-signing.pub.pem
   archiver verify --export /srv/drs-history`,
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "lock-timeout", Value: time.Minute, Usage: "longest wait for a sync to release the archive"},
			&cli.StringFlag{Name: "export", Usage: "check this export file instead of the archive (offline, no archive needed)"},
			&cli.StringFlag{Name: "public-key", Usage: "check the signature of the export (--export) or of every checkpoint (--against) with the ed25519 public key in `FILE` (PEM)"},
			&cli.BoolFlag{Name: "require-signature", Usage: "with --export: fail unless the export's signature was checked (it is signed, and --public-key verifies it)"},
			&cli.StringSliceFlag{Name: "against", Usage: "prove the archive extends the checkpoints in `FILE` or directory (repeatable)"},
			summaryOutputFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := cliapp.NoArgs(c); err != nil {
				return err
			}
			var pub ed25519.PublicKey
			if k := c.String("public-key"); k != "" {
				b, err := os.ReadFile(k)
				if err != nil {
					return cliapp.UsageError{Err: fmt.Errorf("--public-key: %w", err), Command: "verify"}
				}
				if pub, err = export.ParsePublicKey(b); err != nil {
					return cliapp.UsageError{Err: fmt.Errorf("--public-key %s: %w (want a PEM public key: openssl pkey -pubout)", k, err), Command: "verify"}
				}
			}
			against := c.StringSlice("against")
			asJSON, err := summaryAsJSON(c)
			if err != nil {
				return err
			}
			if f := c.String("export"); f != "" {
				if asJSON {
					return cliapp.UsageError{Err: fmt.Errorf("--output json reports on the archive; --export prints its lines as text"), Command: "verify"}
				}
				if len(against) > 0 {
					return cliapp.UsageError{Err: fmt.Errorf("--against checks the archive, --export an export: give one of them"), Command: "verify"}
				}
				if fi, err := os.Stat(f); err == nil && fi.IsDir() {
					// A partitioned export written with --out-dir.
					return s3dest.RunVerifyDir(f, c.App.Writer, c.App.ErrWriter)
				}
				return export.RunVerify(f, pub, c.Bool("require-signature"), c.App.Writer, c.App.ErrWriter)
			}
			if pub != nil && len(against) == 0 {
				return cliapp.UsageError{Err: fmt.Errorf("--public-key checks an export (--export FILE) or checkpoints (--against FILE|DIR): give one of them"), Command: "verify"}
			}
			var local []string
			var fetched []checkpoint.File
			for _, a := range against {
				if !s3dest.IsURL(a) {
					if _, err := os.Stat(a); err != nil {
						return cliapp.UsageError{Err: fmt.Errorf("--against %w", err), Command: "verify"}
					}
					local = append(local, a)
					continue
				}
				bucket, prefix, err := s3dest.ParseURL(a)
				if err != nil {
					return cliapp.UsageError{Err: fmt.Errorf("--against %w", err), Command: "verify"}
				}
				client, err := s3dest.NewClient(c.Context, s3dest.ClientOptions{Debug: debugOutput(c)})
				if err != nil {
					return fmt.Errorf("verify --against %s: %w", a, err)
				}
				files, err := s3dest.NewWitness(client, bucket, prefix, s3dest.StoreOptions{}).Checkpoints(c.Context)
				if err != nil {
					return fmt.Errorf("verify --against: %w", err)
				}
				if len(files) == 0 {
					return fmt.Errorf("verify --against: %s holds no checkpoint (*%s)", a, checkpoint.Ext)
				}
				fetched = append(fetched, files...)
			}
			return check.Run(c.Context, check.RunOptions{ArchiveDir: c.String("archive"), LockTimeout: c.Duration("lock-timeout"), Against: local, Fetched: fetched, PublicKey: pub, JSON: asJSON}, c.App.Writer, c.App.ErrWriter)
		},
	}
}
