// Package retention removes old records from an archive, for a retention
// policy: it plans the prune, exports exactly the records it removes to a
// file made durable first, removes them in one transaction (archive.Prune)
// and brings the full-text index up to date.
package retention

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/synclock"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/internal/outfile"
	"github.com/archiver-dev/archiver/query/export"
)

// RunOptions are those of a prune, as the prune command takes them.
type RunOptions struct {
	// ArchiveDir is the archive's directory; LockTimeout the longest wait
	// for its file lock.
	ArchiveDir  string
	LockTimeout time.Duration
	// Before is the bound (see archive.PruneOptions).
	Before time.Time
	// Location is the zone Before is printed in; nil for UTC.
	Location *time.Location
	// Confirm removes the records; without it Run only says what would go.
	Confirm bool
	// Export is the file the removed records are exported to first; ""
	// for none. Force replaces an existing regular file.
	Export string
	Force  bool
	// Checkpoint says how the archive is checkpointed once records are
	// removed (see archive.PublishCheckpoint).
	Checkpoint archive.CheckpointOptions
	// ExportOptions are those of the export (version, build, signing key);
	// the schema version, scratch directory, records and filters are set
	// by Run.
	ExportOptions export.Options
}

// Run prunes the archive in o.ArchiveDir as o says (see
// archive.Prune), holding the sync lock, then brings the full-text index up
// to date; it says what it removed, or would remove, on stdout.
func Run(ctx context.Context, o RunOptions, stdout, stderr io.Writer) error {
	if o.Export != "" {
		// Refused before anything happens, even without --confirm.
		if err := outfile.Check(o.Export, outfile.Options{Force: o.Force}); err != nil {
			return fmt.Errorf("prune: --export %w", err)
		}
	}
	if _, err := os.Stat(filepath.Join(o.ArchiveDir, archive.FileName)); err != nil {
		return fmt.Errorf("prune: %s: %w", o.ArchiveDir, archive.ErrNoArchive)
	}
	lock, err := synclock.Take(o.ArchiveDir, time.Now())
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	defer lock.Unlock()
	if o.Location == nil {
		o.Location = time.UTC
	}
	say := func(msg string) { fmt.Fprintf(stderr, "archiver: %s\n", msg) }
	st, err := archive.Open(ctx, o.ArchiveDir, archive.Options{LockTimeout: o.LockTimeout, Waiting: say})
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	defer st.Close()
	schema, err := st.SchemaVersion()
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	po := archive.PruneOptions{Before: o.Before, Confirm: o.Confirm}
	if o.Confirm && o.Export != "" {
		out, err := outfile.Create(ctx, o.Export, outfile.Options{Force: o.Force})
		if err != nil {
			return fmt.Errorf("prune: --export %w", err)
		}
		defer out.Abort()
		eo := o.ExportOptions
		eo.SchemaVersion, eo.TempDir = schema, out.Dir()
		po.Export = export.ForPrune(out, eo, nil)
		po.Exported = out.Commit
	}
	res, err := archive.Prune(ctx, st, po)
	if err != nil {
		return err
	}
	what := countList(res.Counts)
	switch {
	case res.Records == 0:
		fmt.Fprintf(stdout, "archiver prune: nothing is older than %s\n", o.Before.In(o.Location).Format(time.RFC3339))
		return nil
	case !res.Removed:
		fmt.Fprintf(stdout, "archiver prune: would remove %d records older than %s (%s); nothing removed: add --confirm\n", res.Records, o.Before.In(o.Location).Format(time.RFC3339), what)
		return nil
	}
	if _, err := st.PublishCheckpoint(ctx, o.Checkpoint); err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	// The index drops what was removed.
	err = st.View(func(r *archive.Reader) error {
		_, err := index.Sync(ctx, o.ArchiveDir, r, o.LockTimeout)
		return err
	})
	if err != nil {
		say(fmt.Sprintf("the full-text index was not updated (%v); the next sync or 'archiver reindex' will", err))
	}
	to := "with no export"
	if res.Export != nil {
		to = "after exporting them to " + o.Export
	}
	fmt.Fprintf(stdout, "archiver prune: removed %d records older than %s (%s) %s\n", res.Records, o.Before.In(o.Location).Format(time.RFC3339), what, to)
	return nil
}

// countList renders counts by kind, such as "3 drs.job, 40 drs.jobLogItem".
func countList(counts map[archive.Kind]int) string {
	var parts []string
	for k, n := range counts {
		parts = append(parts, fmt.Sprintf("%d %s", n, k))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
