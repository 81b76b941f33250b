package query

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"time"

	"github.com/archiver-dev/archiver/archive"
)

// ExportFormat names the layout of an export document.
const ExportFormat = "archiver-export/1"

// Manifest describes an export: what it holds and how to check it.
type Manifest struct {
	// Format is ExportFormat.
	Format string `json:"format"`
	// ArchiverVersion is the version of the archiver that wrote the export.
	ArchiverVersion string `json:"archiverVersion"`
	// GeneratedAt is when the export was written.
	GeneratedAt time.Time `json:"generatedAt"`
	// SchemaVersion is the archive's schema version.
	SchemaVersion int `json:"schemaVersion"`
	// Filters are the filters that selected the records; empty for all.
	Filters map[string]any `json:"filters"`
	// Counts gives the number of record objects of each kind.
	Counts map[archive.Kind]int `json:"counts"`
	// Records is the total number of record objects, nested ones included.
	Records int `json:"records"`
	// RecordsSHA256 is the hex SHA-256 of the value of the document's
	// "records" member, byte for byte as it stands in the file, from its
	// opening '[' to its closing ']'.
	RecordsSHA256 string `json:"recordsSHA256"`
}

// ExportOptions control an export.
type ExportOptions struct {
	// Version is the archiver version recorded in the manifest.
	Version string
	// Now is the generation time; zero means time.Now.
	Now time.Time
	// SchemaVersion is recorded in the manifest.
	SchemaVersion int
	// TempDir holds the scratch file the records are staged in; "" for the
	// system default.
	TempDir string
	// Only, when not nil, limits the export to the records with these keys
	// (the answer of a query). A log item whose job is not exported stands
	// at top level.
	Only map[archive.Key]bool
	// Filters is recorded in the manifest: the filters that chose Only, as
	// the user gave them.
	Filters map[string]any
}

// Export writes every record r can see to w as one JSON document:
//
//	{"manifest": {...}, "records": [
//	{"kind":"drs.job", ..., "data":{...}, "logItems":[{"kind":"drs.jobLogItem", ...}, ...]},
//	{"kind":"drs.sourceServer", "capturedAt":..., ...},
//	...
//	]}
//
// Each top-level record stands on a line of its own. Jobs come in creation
// order with their log items nested in log order; then source-server
// snapshots in capture order; then the other kinds. Every record appears
// exactly once. The records are staged in a scratch file so that the manifest,
// which carries their hash, can come first.
func Export(ctx context.Context, r *archive.Reader, w io.Writer, o ExportOptions) (Manifest, error) {
	m := Manifest{
		Format: ExportFormat, ArchiverVersion: o.Version, GeneratedAt: o.Now.UTC(),
		SchemaVersion: o.SchemaVersion, Filters: map[string]any{}, Counts: map[archive.Kind]int{},
	}
	if o.Filters != nil {
		m.Filters = o.Filters
	}
	if o.Now.IsZero() {
		m.GeneratedAt = time.Now().UTC()
	}
	for _, k := range archive.Kinds {
		m.Counts[k] = 0
	}
	scratch, err := os.CreateTemp(o.TempDir, "archiver-export-*.json")
	if err != nil {
		return m, fmt.Errorf("export: scratch file: %w", err)
	}
	defer os.Remove(scratch.Name())
	defer scratch.Close()

	h := sha256.New()
	rw := &recordWriter{w: bufio.NewWriterSize(io.MultiWriter(scratch, h), 1<<20), h: h}
	keep := func(rec archive.Record) bool { return o.Only == nil || o.Only[rec.Key] }
	if err := writeRecords(ctx, r, rw, &m, keep); err != nil {
		return m, err
	}
	if err := rw.w.Flush(); err != nil {
		return m, fmt.Errorf("export: write scratch file: %w", err)
	}
	m.RecordsSHA256 = hex.EncodeToString(h.Sum(nil))

	head, err := json.MarshalIndent(m, "  ", "  ")
	if err != nil {
		return m, fmt.Errorf("export: manifest: %w", err)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintf(bw, "{\n  \"manifest\": %s,\n  \"records\": ", head)
	if _, err := scratch.Seek(0, io.SeekStart); err != nil {
		return m, fmt.Errorf("export: rewind scratch file: %w", err)
	}
	if _, err := io.Copy(bw, scratch); err != nil {
		return m, fmt.Errorf("export: copy records: %w", err)
	}
	bw.WriteString("\n}\n")
	if err := bw.Flush(); err != nil {
		return m, fmt.Errorf("export: write: %w", err)
	}
	return m, nil
}

type recordWriter struct {
	w    *bufio.Writer
	h    hash.Hash
	n    int
	line []byte
}

// top writes one top-level record line.
func (rw *recordWriter) top(line []byte) {
	if rw.n == 0 {
		rw.w.WriteString("[\n")
	} else {
		rw.w.WriteString(",\n")
	}
	rw.w.Write(line)
	rw.n++
}

func (rw *recordWriter) close() {
	if rw.n == 0 {
		rw.w.WriteString("[]")
		return
	}
	rw.w.WriteString("\n]")
}

func writeRecords(ctx context.Context, r *archive.Reader, rw *recordWriter, m *Manifest, keep func(archive.Record) bool) error {
	nested := map[archive.Key]bool{}
	err := r.Each(archive.KindDRSJob, func(job archive.Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !keep(job) {
			return nil
		}
		b := AppendObject(rw.line[:0], job)
		b = append(b, `,"logItems":[`...)
		first := true
		ref := archive.JobRef{JobID: job.ID, Region: job.Region, Account: job.Account}
		err := r.JobLog(ref, func(it archive.Record) error {
			if !keep(it) {
				return nil
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = AppendObject(b, it)
			b = append(b, '}')
			nested[it.Key] = true
			m.Counts[archive.KindDRSJobLogItem]++
			return nil
		})
		if err != nil {
			return fmt.Errorf("export log of job %s: %w", job.ID, err)
		}
		b = append(b, "]}"...)
		rw.top(b)
		rw.line = b
		m.Counts[archive.KindDRSJob]++
		return nil
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	// Log items whose job record is missing still appear, once, at top level.
	err = r.Each(archive.KindDRSJobLogItem, func(it archive.Record) error {
		if nested[it.Key] || !keep(it) {
			return nil
		}
		rw.top(append(AppendObject(rw.line[:0], it), '}'))
		m.Counts[archive.KindDRSJobLogItem]++
		return nil
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for _, k := range archive.Kinds {
		if k == archive.KindDRSJob || k == archive.KindDRSJobLogItem {
			continue // written above
		}
		err := r.Each(k, func(rec archive.Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !keep(rec) {
				return nil
			}
			rw.line = append(AppendObject(rw.line[:0], rec), '}')
			rw.top(rw.line)
			m.Counts[k]++
			return nil
		})
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	rw.close()
	for _, c := range m.Counts {
		m.Records += c
	}
	return nil
}
