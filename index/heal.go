package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/archiver-dev/archiver/archive"
)

// SyncOptions configure SyncWith.
type SyncOptions struct {
	// LockTimeout bounds the wait for the index's lock; default one minute.
	LockTimeout time.Duration
	// Rebuilt, if set, is told in a sentence when the index is rebuilt
	// rather than caught up, and why: it was damaged, made in another
	// layout, or ahead of the archive.
	Rebuilt func(msg string)
}

// SyncWith brings the index of the archive in dir up to the snapshot r,
// as Sync does, and heals it: an index that cannot be opened or read, or
// whose update fails on its own files, is rebuilt beside it from the
// archive (the source of truth) and swapped in, and o.Rebuilt is told. An
// index busy with another process, or a cancelled context, is no damage.
func SyncWith(ctx context.Context, dir string, r *archive.Reader, o SyncOptions) (int, error) {
	rebuild := func(why string) (int, error) {
		if o.Rebuilt != nil {
			o.Rebuilt(why)
		}
		n, err := Rebuild(ctx, dir, r)
		if err != nil {
			return n, fmt.Errorf("rebuild the full-text index: %w", err)
		}
		return n, nil
	}
	var x *Index
	err := guard(func() error {
		var err error
		x, err = Open(dir, Options{LockTimeout: o.LockTimeout})
		return err
	})
	if err != nil {
		if !damaged(ctx, err) {
			return 0, err
		}
		if errors.Is(err, ErrOldIndex) {
			return rebuild("the full-text index was made by another archiver version; rebuilding it")
		}
		return rebuild(fmt.Sprintf("the full-text index is damaged (%s); rebuilding it from the archive", oneLine(err.Error())))
	}
	pos, perr := x.Position()
	apos, aerr := r.Position()
	switch {
	case !x.current():
		x.Close()
		return rebuild("the full-text index was made by another archiver version; rebuilding it")
	case perr != nil:
		x.Close()
		return rebuild(fmt.Sprintf("the full-text index is damaged (%s); rebuilding it from the archive", oneLine(perr.Error())))
	case aerr == nil && pos > apos:
		x.Close()
		return rebuild(fmt.Sprintf("the full-text index is at change %d, beyond the archive's %d; rebuilding it", pos, apos))
	}
	var n int
	err = guard(func() error {
		var err error
		n, err = x.Update(ctx, r)
		return err
	})
	cerr := guard(x.Close)
	if err == nil {
		err = cerr
	}
	if err != nil && damaged(ctx, err) && !errors.Is(err, archive.ErrDamaged) {
		return rebuild(fmt.Sprintf("the full-text index could not be updated (%s); rebuilding it from the archive", oneLine(err.Error())))
	}
	return n, err
}

// damaged reports whether err, from opening or updating the index, is the
// index's own fault: not a lock held by another process, not a cancel, not
// an archive that cannot be read.
func damaged(ctx context.Context, err error) bool {
	switch {
	case ctx.Err() != nil, errors.Is(err, archive.ErrLocked), errors.Is(err, context.Canceled),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, archive.ErrDamaged):
		return false
	}
	return true
}

// guard runs fn, turning a panic of bleve on broken index files into an
// error.
func guard(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrDamaged, r)
		}
	}()
	return fn()
}

// ErrDamaged is returned when the index's files cannot be read; the
// archive holds everything the index does, and a rebuild mends it.
var ErrDamaged = errors.New("the full-text index is damaged")

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Check opens the current index of the archive in dir read-only, reads
// its position and closes it, to tell whether it is whole. It returns nil
// for no index at all (ErrNoIndex is no damage) and the error of an index
// busy with another process.
func Check(dir string, lockTimeout time.Duration) error {
	return guard(func() error {
		x, err := Open(dir, Options{ReadOnly: true, LockTimeout: lockTimeout})
		if errors.Is(err, ErrNoIndex) {
			return nil
		}
		if err != nil {
			return err
		}
		_, perr := x.Position()
		if _, err := x.Count(); err != nil && perr == nil {
			perr = err
		}
		if cerr := x.Close(); perr == nil {
			perr = cerr
		}
		return perr
	})
}

// RemoveLeftovers removes the index directories in dir that index.current
// does not name: what a rebuild or first index that was killed left
// behind. The caller must hold the archive's sync lock, which every writer
// of the index (sync, import, reindex) holds, so that no directory being
// built is removed. It returns the names removed.
func RemoveLeftovers(dir string) ([]string, error) {
	cur, err := currentName(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		// index.current is unreadable: nothing can be told to be left over.
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("remove leftover indexes in %s: %w", dir, err)
	}
	var removed []string
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, "index-") || !strings.HasSuffix(name, ".bleve") || name == cur {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return removed, fmt.Errorf("remove leftover index %s: %w", name, err)
		}
		removed = append(removed, name)
	}
	return removed, nil
}

// logMu serialises opens that borrow the standard logger's output.
var logMu sync.Mutex

// openBleve opens the bleve index at path. bleve opens an index whose
// segment files are damaged without an error: it logs each snapshot it
// cannot load (on the standard logger, which would put lines of its own
// on stderr), falls back to an older one or to none, and so serves a
// partial or empty index. What it logs while opening is caught here and
// makes the open fail with ErrDamaged; a panic on broken files does too.
func openBleve(path string, cfg map[string]any) (bleve.Index, error) {
	logMu.Lock()
	var logged bytes.Buffer
	out, flags := log.Writer(), log.Flags()
	log.SetOutput(&logged)
	log.SetFlags(0)
	var bi bleve.Index
	err := guard(func() error {
		var err error
		bi, err = bleve.OpenUsing(path, cfg)
		return err
	})
	log.SetOutput(out)
	log.SetFlags(flags)
	logMu.Unlock()
	if err != nil {
		return nil, err
	}
	if first, _, _ := strings.Cut(logged.String(), "\n"); strings.Contains(first, "unable to load") || strings.Contains(first, "missing") {
		bi.Close()
		return nil, fmt.Errorf("%w: %s", ErrDamaged, strings.TrimSpace(first))
	}
	return bi, nil
}
