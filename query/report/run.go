package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/archiver-dev/archiver/internal/buildinfo"
	"github.com/archiver-dev/archiver/internal/outfile"
)

// Formats a report is written in.
const (
	FormatHTML     = "html"
	FormatMarkdown = "markdown"
	FormatJSON     = "json"
	FormatTable    = "table"
)

// Formats lists every format, for help and messages.
var Formats = []string{FormatHTML, FormatMarkdown, FormatJSON, FormatTable}

// Options are a report request.
type Options struct {
	// ArchiveDir is the archive's directory.
	ArchiveDir string
	Selection
	// Format is one of Formats.
	Format string
	// Out is the file to write ("" or "-": stdout); Force replaces an
	// existing one.
	Out   string
	Force bool
	// LockTimeout bounds the wait for a running sync to release the
	// archive.
	LockTimeout time.Duration
	// Build is the running archiver's build, stated in the report.
	Build buildinfo.Info
}

// Run makes the report o asks for, as at now, and writes it. It returns
// the path written ("" for stdout).
func Run(ctx context.Context, o Options, now time.Time, stdout, stderr io.Writer) (string, error) {
	sel := o.Selection.Resolve(now)
	d, err := Gather(ctx, o.ArchiveDir, o.LockTimeout, sel, stderr)
	if err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	rep := Compute(d, sel, now, o.Build)
	var buf bytes.Buffer
	if err := Write(&buf, rep, o.Format); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	if o.Out == "" || o.Out == "-" {
		_, err := stdout.Write(buf.Bytes())
		return "", err
	}
	f, err := outfile.Create(ctx, o.Out, outfile.Options{Force: o.Force, Stdout: stdout})
	if err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	defer f.Abort()
	if _, err := f.Write(buf.Bytes()); err != nil {
		return "", fmt.Errorf("report: write %s: %w", o.Out, err)
	}
	if err := f.Commit(); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	return f.Path(), nil
}

// Write renders rep in format.
func Write(w io.Writer, rep *Report, format string) error {
	switch format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case FormatTable:
		return WriteTable(w, rep)
	case FormatMarkdown:
		return WriteMarkdown(w, rep)
	case FormatHTML:
		return WriteHTML(w, rep)
	}
	return fmt.Errorf("unknown format %q", format)
}
