package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/archive/synclock"
	"github.com/archiver-dev/archiver/index"
)

// Options are a status request.
type Options struct {
	// ArchiveDir is the archive's directory.
	ArchiveDir string
	// Output is "table" or "json".
	Output string
	// LockTimeout bounds the wait for a running sync to release the archive
	// or the index.
	LockTimeout time.Duration
}

// Report is what status shows; its JSON is the --output json document.
type Report struct {
	Archive Archive  `json:"archive"`
	Index   Index    `json:"index"`
	Running *Running `json:"syncRunning,omitempty"`
	Syncs   []Sync   `json:"syncs"`
}

// Archive describes the archive file and its records.
type Archive struct {
	Path string `json:"path"`
	// SizeBytes is the file's apparent size; DiskBytes what it takes on
	// disk (bbolt grows its file ahead of use, sparsely).
	SizeBytes int64 `json:"sizeBytes"`
	DiskBytes int64 `json:"diskBytes"`
	Schema    int   `json:"schemaVersion"`
	// Position is the change-log position: it grows with every commit.
	Position uint64               `json:"position"`
	Records  map[archive.Kind]int `json:"records"`
	Total    int                  `json:"totalRecords"`
	// Deleted counts the objects AWS no longer lists, by kind; omitted
	// when there are none.
	Deleted map[archive.Kind]int `json:"deletedUpstream,omitempty"`
}

// Index states.
const (
	IndexCurrent = "current"    // has every committed record
	IndexBehind  = "behind"     // records committed that it has not reached
	IndexMissing = "missing"    // none yet
	IndexRebuild = "rebuild"    // another layout, or ahead of the archive: reindex
	IndexBroken  = "unreadable" // cannot be opened
)

// Index describes the full-text index and its lag.
type Index struct {
	State     string `json:"state"`
	SizeBytes int64  `json:"sizeBytes"`
	DiskBytes int64  `json:"diskBytes"`
	// Position is the archive change-log position the index reflects.
	Position uint64 `json:"position"`
	// ChangesBehind counts the commits, and RecordsBehind the records they
	// changed, that the index has not reached.
	ChangesBehind uint64 `json:"changesBehind"`
	RecordsBehind int    `json:"recordsBehind"`
	Note          string `json:"note,omitempty"`
}

// Running is a sync running now.
type Running struct {
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
}

// Sync is the last sync of one source, region and account.
type Sync struct {
	Source          string                 `json:"source"`
	Region          string                 `json:"region"`
	Account         string                 `json:"account"`
	Started         time.Time              `json:"started"`
	Finished        time.Time              `json:"finished"`
	DurationSeconds float64                `json:"durationSeconds"`
	ItemsRead       int64                  `json:"itemsRead"`
	ItemsByKind     map[archive.Kind]int64 `json:"itemsReadByKind"`
	RecordsAdded    int64                  `json:"recordsAdded"`
	AddedByKind     map[archive.Kind]int64 `json:"recordsAddedByKind"`
	OK              bool                   `json:"ok"`
	Error           string                 `json:"error,omitempty"`
	Note            string                 `json:"note,omitempty"`
	LastSuccess     *time.Time             `json:"lastSuccess,omitempty"`
	Runs            int64                  `json:"runs"`
	Failures        int64                  `json:"failures"`
}

// Run gathers the report of o's archive and writes it to stdout as a table
// (times relative to now) or as JSON. Waits for locks are told on stderr.
func Run(ctx context.Context, o Options, now time.Time, stdout, stderr io.Writer) error {
	rep, err := Gather(ctx, o, stderr)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	if o.Output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return WriteTable(stdout, rep, now)
}

// Gather reads everything status shows from one snapshot of the archive,
// and the index beside it.
func Gather(ctx context.Context, o Options, stderr io.Writer) (Report, error) {
	var rep Report
	st, err := archive.Open(ctx, o.ArchiveDir, archive.Options{
		ReadOnly:    true,
		LockTimeout: o.LockTimeout,
		Waiting:     func(msg string) { fmt.Fprintf(stderr, "archiver: %s\n", msg) },
	})
	if err != nil {
		return rep, err
	}
	defer st.Close()
	rep.Archive.Path = st.Path()
	if fi, err := os.Stat(st.Path()); err == nil {
		rep.Archive.SizeBytes, rep.Archive.DiskBytes = fi.Size(), diskBytes(fi)
	}
	if h, ok := synclock.Running(o.ArchiveDir); ok {
		rep.Running = &Running{PID: h.PID, Since: h.Since}
	}
	x, ixErr := index.Open(o.ArchiveDir, index.Options{ReadOnly: true, LockTimeout: o.LockTimeout})
	if errors.Is(ixErr, archive.ErrLocked) {
		return rep, ixErr
	}
	if ixErr == nil {
		defer x.Close()
	}
	if rep.Archive.Schema, err = st.SchemaVersion(); err != nil {
		return rep, err
	}
	err = st.View(func(r *archive.Reader) error {
		var err error
		if rep.Archive.Position, err = r.Position(); err != nil {
			return err
		}
		rep.Archive.Records = map[archive.Kind]int{}
		for _, k := range kinds.Names() {
			n, err := r.Count(k)
			if err != nil {
				return err
			}
			rep.Archive.Records[k] = n
			rep.Archive.Total += n
		}
		err = r.EachDeleted(func(m archive.Marking) error {
			if rep.Archive.Deleted == nil {
				rep.Archive.Deleted = map[archive.Kind]int{}
			}
			rep.Archive.Deleted[m.Kind]++
			return nil
		})
		if err != nil {
			return fmt.Errorf("status: %w", err)
		}
		runs, err := r.SyncRuns()
		if err != nil {
			return err
		}
		rep.Syncs = make([]Sync, 0, len(runs))
		for _, s := range runs {
			rep.Syncs = append(rep.Syncs, syncOf(s))
		}
		rep.Index = indexOf(o.ArchiveDir, x, ixErr, r)
		return nil
	})
	return rep, err
}

func syncOf(s archive.SyncRun) Sync {
	out := Sync{
		Source: s.Source, Region: s.Region, Account: s.Account,
		Started: s.Started, Finished: s.Finished, DurationSeconds: s.Duration().Seconds(),
		ItemsByKind: s.ItemsRead, AddedByKind: s.RecordsAdded,
		OK: s.OK(), Error: s.Error, Note: s.Note, Runs: s.Runs, Failures: s.Failures,
	}
	for _, n := range s.ItemsRead {
		out.ItemsRead += n
	}
	for _, n := range s.RecordsAdded {
		out.RecordsAdded += n
	}
	if !s.LastSuccess.IsZero() {
		t := s.LastSuccess
		out.LastSuccess = &t
	}
	return out
}

// indexOf says how far the index (x, or the error opening it) is behind
// the archive snapshot r.
func indexOf(dir string, x *index.Index, openErr error, r *archive.Reader) Index {
	var s Index
	switch {
	case errors.Is(openErr, index.ErrNoIndex):
		s.State, s.Note = IndexMissing, "no full-text index yet; the next sync or 'archiver reindex' makes one"
		return s
	case errors.Is(openErr, index.ErrOldIndex):
		s.State, s.Note = IndexRebuild, "made by another archiver version; the next sync or 'archiver reindex' rebuilds it"
	case openErr != nil:
		s.State, s.Note = IndexBroken, oneLine(openErr.Error())+" ('archiver reindex' rebuilds it)"
	}
	if name, err := os.ReadFile(filepath.Join(dir, index.CurrentFile)); err == nil {
		s.SizeBytes, s.DiskBytes = dirSize(filepath.Join(dir, strings.TrimSpace(string(name))))
	}
	if openErr != nil {
		return s
	}
	// An unreadable position is the index's fault, which a rebuild mends;
	// Lag reads it again, with the change log.
	if _, err := x.Position(); err != nil {
		s.State, s.Note = IndexBroken, oneLine(err.Error())+" ('archiver reindex' rebuilds it)"
		return s
	}
	lag, err := x.Lag(r)
	if err != nil {
		s.State, s.Note = IndexBroken, oneLine(err.Error())
		return s
	}
	s.Position = lag.IndexPosition
	if lag.Ahead() {
		s.State = IndexRebuild
		s.Note = fmt.Sprintf("at change %d, beyond the archive's %d: it belongs to another archive; the next sync or 'archiver reindex' rebuilds it",
			lag.IndexPosition, lag.ArchivePosition)
		return s
	}
	s.ChangesBehind = lag.Changes()
	s.RecordsBehind = len(lag.Records)
	s.State = IndexCurrent
	if s.ChangesBehind > 0 {
		s.State = IndexBehind
	}
	return s
}

// dirSize adds up the apparent sizes of the files under dir, and what
// they take on disk.
func dirSize(dir string) (size, disk int64) {
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if fi, err := d.Info(); err == nil && fi.Mode().IsRegular() {
			size += fi.Size()
			disk += diskBytes(fi)
		}
		return nil
	})
	return size, disk
}

// oneLine folds a multi-line message onto one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ; ")), " ")
}
