package s3dest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/buildinfo"
	"github.com/archiver-dev/archiver/query/export"
)

// RunOptions are those of an export to S3, as the export command takes
// them.
type RunOptions struct {
	// ArchiveDir is the archive's directory; LockTimeout the longest wait
	// for its lock.
	ArchiveDir  string
	LockTimeout time.Duration
	// Destination is s3://Bucket/Prefix, as recorded in the manifest and
	// in the archive's export marks.
	Destination    string
	Bucket, Prefix string
	// Dir, when set, is the directory the export goes to instead of S3
	// (Destination is then that directory, as recorded, and Bucket, the
	// lock, KMS and Client options are not used).
	Dir string
	// Select, when not nil, returns the keys of the records to export (the
	// answer of the filters); nil exports everything.
	Select func(ctx context.Context, st *archive.Store) (map[archive.Key]bool, error)
	// Filters is recorded in the manifest.
	Filters map[string]any
	// SinceLast exports only what was put since the last export to
	// Destination.
	SinceLast bool
	// PartBytes bounds a part's uncompressed size.
	PartBytes int
	// Partition is the dt granularity, PartitionDay or PartitionMonth.
	Partition string
	// Format is the parts' format, FormatJSONLines or FormatParquet.
	Format string
	// LockMode and RetainDays lock every object; KMSKeyID encrypts it.
	LockMode   types.ObjectLockMode
	RetainDays int
	KMSKeyID   string
	// Client says how to reach S3.
	Client ClientOptions
	// Version and Build name the archiver in the manifest.
	Version string
	Build   *buildinfo.Info
	// Now is the export's time; zero means time.Now.
	Now time.Time
	// JSON prints the summary as an export.Summary document on stdout
	// instead of a line on stderr.
	JSON bool
}

// NewExportID names an export: its time and a random suffix.
func NewExportID(t time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Run exports the archive in o.ArchiveDir to S3: the parts, then the
// manifest, then the archive's mark of how far the export to
// o.Destination got. It says what it did on stderr.
func Run(ctx context.Context, o RunOptions, stdout, stderr io.Writer) error {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	var store ObjectStore
	where := "s3://" + o.Bucket + "/"
	if o.Dir != "" {
		ds, err := NewDirStore(o.Dir)
		if err != nil {
			return err
		}
		store, where = ds, strings.TrimRight(o.Dir, "/")+"/"
	} else {
		client, err := NewClient(ctx, o.Client)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		store = NewStore(client, StoreOptions{
			Bucket: o.Bucket, LockMode: o.LockMode, KMSKeyID: o.KMSKeyID,
			RetainUntil: now.AddDate(0, 0, o.RetainDays),
		})
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
	po := Options{
		Version: o.Version, Build: o.Build, Now: now, ExportID: NewExportID(now), SchemaVersion: schema,
		Destination: o.Destination, Prefix: o.Prefix, PartBytes: o.PartBytes, Partition: o.Partition, Format: o.Format, Filters: o.Filters,
	}
	if o.Select != nil {
		if po.Only, err = o.Select(ctx, st); err != nil {
			return err
		}
	}
	var m Manifest
	var last archive.ExportMark
	var hadLast bool
	err = st.View(func(r *archive.Reader) error {
		var err error
		if last, hadLast, err = r.ExportMark(o.Destination); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if o.SinceLast && hadLast {
			po.Since, po.SinceTime = &last.Position, last.At
		}
		m, err = Write(ctx, r, store, po)
		return err
	})
	if err != nil {
		return err
	}
	if o.SinceLast && hadLast && m.Records == 0 {
		if o.JSON {
			return export.WriteSummary(stdout, export.Summary{Destination: o.Destination, SinceExport: last.ExportID, WroteNothing: true,
				ChainHead: m.Chain.Head, ChainLinks: m.Chain.Links})
		}
		fmt.Fprintf(stderr, "archiver export: nothing added or changed since export %s to %s; wrote nothing\n", last.ExportID, o.Destination)
		return nil
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("export: manifest: %w", err)
	}
	manifestKey := ManifestKey(o.Prefix, now)
	if err := store.Put(ctx, manifestKey, append(body, '\n'), "application/json"); err != nil {
		return err
	}
	// The mark is kept only once the manifest is written: an export that
	// failed part way is sent again whole by the next SinceLast.
	if err := st.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := recordMark(ctx, o, archive.ExportMark{
		Destination: o.Destination, Position: m.Position, ExportID: m.ExportID, At: now, Records: m.Records, Manifest: manifestKey,
	}, waiting); err != nil {
		return err
	}
	what := "everything"
	if m.SinceLast {
		what = "changes since export " + last.ExportID
	}
	if o.JSON {
		s := export.Summary{Destination: o.Destination, Records: m.Records, Parts: len(m.Objects), Manifest: where + manifestKey,
			ChainHead: m.Chain.Head, ChainLinks: m.Chain.Links}
		if m.SinceLast {
			s.SinceExport = last.ExportID
		}
		return export.WriteSummary(stdout, s)
	}
	fmt.Fprintf(stderr, "archiver export: %d records (%s) in %d parts to %s, manifest %s%s (chain head %.16s at link %d)\n",
		m.Records, what, len(m.Objects), o.Destination, where, manifestKey, m.Chain.Head, m.Chain.Links)
	return nil
}

// recordMark keeps in the archive how far the export to o.Destination got.
func recordMark(ctx context.Context, o RunOptions, mark archive.ExportMark, waiting func(string)) error {
	st, err := archive.Open(ctx, o.ArchiveDir, archive.Options{LockTimeout: o.LockTimeout, Waiting: waiting})
	if err != nil {
		return fmt.Errorf("export: record the export in the archive: %w", err)
	}
	defer st.Close()
	if err := st.Update(func(w *archive.Writer) error { return w.PutExportMark(mark) }); err != nil {
		return fmt.Errorf("export: record the export in the archive: %w", err)
	}
	return st.Close()
}
