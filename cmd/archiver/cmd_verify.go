package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/migrations"
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
				return runVerifyExport(f, pub, c.App.Writer, c.App.ErrWriter)
			}
			if c.String("public-key") != "" {
				return usageError{err: fmt.Errorf("--public-key checks an export: give --export FILE too"), command: "verify"}
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
	var chainRep archive.ChainReport
	err = st.View(func(r *archive.Reader) error {
		for _, k := range kinds.Names() {
			if err := r.Each(k, func(archive.Record) error { counts[k]++; return nil }); err != nil {
				problems = append(problems, err)
			}
		}
		var err error
		chainRep, err = r.VerifyChain(func(err error) { problems = append(problems, err) })
		return err
	})
	if err != nil {
		problems = append(problems, err)
	}
	for _, p := range problems {
		if errors.Is(p, archive.ErrDamaged) {
			// A file that cannot be walked gives one answer, not a list.
			return fmt.Errorf("verify: %w", p)
		}
	}
	indexNote, indexProblems := verifyIndex(ctx, st, dir, lockTimeout)
	problems = append(problems, indexProblems...)
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
	var parts []string
	for _, k := range kinds.Names() {
		if n := counts[k]; n > 0 || k == kinds.DRSJob {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	fmt.Fprintf(stdout, "archiver verify: ok: %s, schema %d, %d records (%s); hash chain of %d links intact, head %x; %s\n",
		st.Path(), migrations.Latest(), total, strings.Join(parts, ", "), chainRep.Head.N, chainRep.Head.Hash, indexNote)
	return nil
}

// runVerifyExport checks an export file on its own.
func runVerifyExport(path string, pub ed25519.PublicKey, stdout, stderr io.Writer) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	rep, problems := export.Verify(doc, pub)
	for _, p := range problems {
		fmt.Fprintf(stderr, "archiver verify: %s\n", oneLine(p.Error()))
	}
	if len(problems) > 0 {
		return fmt.Errorf("verify: %s: %d problems", path, len(problems))
	}
	m := rep.Manifest
	sig := "not signed"
	switch {
	case rep.Verified:
		sig = "signature verified (key " + rep.KeyID[:16] + ")"
	case rep.Signed:
		sig = "signed by key " + rep.KeyID[:16] + ", signature not checked (give --public-key)"
	}
	red := ""
	if len(m.Redacted) > 0 {
		red = "; redacted: " + strings.Join(m.Redacted, ", ")
	}
	writer := m.ArchiverVersion
	if m.ArchiverBuild != nil {
		writer = m.ArchiverBuild.String()
	}
	fmt.Fprintf(stdout, "archiver verify: ok: %s, %s, %d records, written %s by archiver %s from chain head %.16s at link %d; %s%s\n",
		path, m.Format, m.Records, m.GeneratedAt.Format(time.RFC3339), writer, m.Chain.Head, m.Chain.Links, sig, red)
	return nil
}

// maxIndexReports bounds how many index mismatches verify prints one by one.
const maxIndexReports = 20

// verifyIndex compares the full-text index with the archive: every record
// must be in both, but for those the archive changed after the index's
// position (after a crash, or a sync --no-index), which the next sync
// indexes. It returns a note for the summary line and the problems.
func verifyIndex(ctx context.Context, st *archive.Store, dir string, lockTimeout time.Duration) (string, []error) {
	x, err := index.Open(dir, index.Options{ReadOnly: true, LockTimeout: lockTimeout})
	if errors.Is(err, index.ErrNoIndex) {
		return "no full-text index yet (sync or reindex makes one)", nil
	}
	if err != nil {
		return "", []error{fmt.Errorf("full-text index: %w (run 'archiver reindex')", err)}
	}
	defer x.Close()
	var problems []error
	n, pending := 0, 0
	err = st.View(func(r *archive.Reader) error {
		ipos, err := x.Position()
		if err != nil {
			return err
		}
		apos, err := r.Position()
		if err != nil {
			return err
		}
		if ipos > apos {
			problems = append(problems, fmt.Errorf("full-text index is at change %d, beyond the archive's %d: it belongs to another archive ('archiver reindex' rebuilds it)", ipos, apos))
			return nil
		}
		pending, err = x.Diff(ctx, r, func(where string, kind archive.Kind, k archive.Key) error {
			n++
			if n <= maxIndexReports {
				other := "index"
				if where == "index" {
					other = "archive"
				}
				problems = append(problems, fmt.Errorf("%s record %x is in the %s but not the %s", kind, k, where, other))
			}
			return nil
		})
		return err
	})
	if err != nil {
		problems = append(problems, fmt.Errorf("full-text index: %w", err))
	}
	if n > maxIndexReports {
		problems = append(problems, fmt.Errorf("%d more records differ between archive and index", n-maxIndexReports))
	}
	if len(problems) > 0 {
		problems = append(problems, errors.New("the archive is the source of truth: 'archiver reindex' rebuilds the index from it"))
	}
	count, _ := x.Count()
	if pending > 0 {
		return fmt.Sprintf("full-text index matches (%d documents), %d records not indexed yet (the next sync indexes them)", count, pending), problems
	}
	return fmt.Sprintf("full-text index matches (%d documents)", count), problems
}
