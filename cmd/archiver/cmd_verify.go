package main

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/archive/check"
	"github.com/archiver-dev/archiver/query/export"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check the archive file's consistency",
		UsageText: "archiver [--archive DIR] verify\n   archiver verify --export FILE [--public-key FILE]",
		Description: `Runs bbolt's consistency check over every page of the archive file,
decodes every record, recomputes the hash chain and checks every record
against it (a record changed, added or removed other than by archiver breaks
it), and checks that the full-text index holds exactly the archive's
records, as of the same change. It reports each problem found.
Exit status 0 means all is sound; 1 means a problem was found (each is
printed) or the archive could not be opened. An index problem is mended by
the next sync or by 'archiver reindex'; the archive is the source of truth.

With --export FILE, checks an export on its own, offline, with no archive:
its seal (the SHA-256 of every byte before it), the manifest's hash of the
records and of each record, and the counts. Any change to the file shows.
With --public-key (a PEM ed25519 public key) it also checks the export's
signature, which is what shows a forger who rewrote every hash.

EXAMPLES:
   archiver verify
   archiver --archive /var/lib/archiver verify
   archiver verify --export drs-history.json
   archiver verify --export audit.json --public-key export-signing.pub.pem`,
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "lock-timeout", Value: time.Minute, Usage: "longest wait for a sync to release the archive"},
			&cli.StringFlag{Name: "export", Usage: "check this export file instead of the archive (offline, no archive needed)"},
			&cli.StringFlag{Name: "public-key", Usage: "with --export: check the export's signature with this ed25519 public key (PEM)"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			if f := c.String("export"); f != "" {
				var pub ed25519.PublicKey
				if k := c.String("public-key"); k != "" {
					b, err := os.ReadFile(k)
					if err != nil {
						return usageError{err: fmt.Errorf("--public-key: %w", err), command: "verify"}
					}
					if pub, err = export.ParsePublicKey(b); err != nil {
						return usageError{err: fmt.Errorf("--public-key %s: %w (want a PEM public key: openssl pkey -pubout)", k, err), command: "verify"}
					}
				}
				return export.RunVerify(f, pub, c.App.Writer, c.App.ErrWriter)
			}
			if c.String("public-key") != "" {
				return usageError{err: fmt.Errorf("--public-key checks an export: give --export FILE too"), command: "verify"}
			}
			return check.Run(c.Context, check.RunOptions{ArchiveDir: c.String("archive"), LockTimeout: c.Duration("lock-timeout")}, c.App.Writer, c.App.ErrWriter)
		},
	}
}
