package export

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/buildinfo"
	"github.com/archiver-dev/archiver/internal/outfile"
)

// RunOptions are those of an export to a file, as the export command takes
// them.
type RunOptions struct {
	// ArchiveDir is the archive's directory; LockTimeout the longest wait
	// for its lock.
	ArchiveDir  string
	LockTimeout time.Duration
	// Out is the file to write, or - for stdout; Force replaces an
	// existing regular file.
	Out   string
	Force bool
	// Select, when not nil, returns the keys of the records to export (the
	// answer of the filters); nil exports everything.
	Select func(ctx context.Context, st *archive.Store) (map[archive.Key]bool, error)
	// Filters is recorded in the manifest.
	Filters map[string]any
	// RedactTags and SignKey are as in Options.
	RedactTags bool
	SignKey    ed25519.PrivateKey
	// Version and Build name the archiver in the manifest.
	Version string
	Build   *buildinfo.Info
	// JSON prints the summary as a Summary document on stdout instead of
	// a line on stderr (not with Out "-").
	JSON bool
}

// Run exports the archive in o.ArchiveDir to o.Out (see outfile for how a
// file is written in place) and says what it wrote on stderr, unless it
// wrote to stdout.
func Run(ctx context.Context, o RunOptions, stdout, stderr io.Writer) error {
	// A refusal of the output comes before any work.
	oo := outfile.Options{Force: o.Force, Stdout: stdout}
	if err := outfile.Check(o.Out, oo); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	waiting := func(msg string) { fmt.Fprintf(stderr, "archiver: %s\n", msg) }
	st, err := archive.Open(ctx, o.ArchiveDir, archive.Options{ReadOnly: true, LockTimeout: o.LockTimeout, Waiting: waiting})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer st.Close()
	schema, err := st.SchemaVersion()
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	eo := Options{Version: o.Version, Build: o.Build, SchemaVersion: schema, Filters: o.Filters, RedactTags: o.RedactTags, SignKey: o.SignKey}
	if o.Select != nil {
		if eo.Only, err = o.Select(ctx, st); err != nil {
			return err
		}
	}
	out, err := outfile.Create(ctx, o.Out, oo)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer out.Abort()
	eo.TempDir = out.Dir()

	var m Manifest
	err = st.View(func(r *archive.Reader) error {
		var err error
		m, err = Write(ctx, r, out, eo)
		return err
	})
	if err != nil {
		return err
	}
	if err := out.Commit(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if out.Kind() == outfile.Stdout {
		return nil
	}
	signed := ""
	if o.SignKey != nil {
		signed = ", signed by key " + KeyID(o.SignKey.Public().(ed25519.PublicKey))[:16]
	}
	if o.JSON {
		s := Summary{Destination: o.Out, Records: m.Records, RecordsSHA256: m.RecordsSHA256, ChainHead: m.Chain.Head, ChainLinks: m.Chain.Links}
		if o.SignKey != nil {
			s.SignedBy = KeyID(o.SignKey.Public().(ed25519.PublicKey))
		}
		return WriteSummary(stdout, s)
	}
	fmt.Fprintf(stderr, "archiver export: %d records to %s (records sha256 %s, chain head %.16s at link %d%s)\n",
		m.Records, o.Out, m.RecordsSHA256, m.Chain.Head, m.Chain.Links, signed)
	return nil
}
