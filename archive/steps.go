package archive

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/internal/outfile"
)

// StepBytes is how much a Writer of UpdateInSteps writes by default
// (record keys and stored values) before a Checkpoint commits. bbolt holds
// every page a transaction dirties in memory until it commits, several
// times what was written: a step bounds that.
const StepBytes = 16 << 20

// stepper is the copy of the archive file an UpdateInSteps writes to.
type stepper struct {
	db    *bolt.DB
	limit int
}

// UpdateInSteps runs fn like Update, but on a copy of the archive file,
// made beside it (a scratch file, see outfile.Scratch), in which each
// Checkpoint of fn's Writer commits and begins a new transaction once step
// bytes were written since the last (StepBytes if step <= 0), so that a
// large write never holds more than a step's dirty pages in memory.
// When fn returns nil, the copy is synced and renamed over the archive
// file, which from then on is the file the Store holds; on any error the
// copy is removed and the archive file stays as it was. Either way the
// change is all or nothing: a process killed midway leaves the archive
// file untouched and a scratch file that the next writer removes.
//
// The copy needs free disk space of about the archive file's size plus what
// fn writes. The exclusive lock on the archive file is held throughout;
// another process that waited for it finds the replaced file at the path
// and opens that (see Open). The Store must have been opened for writing.
func (s *Store) UpdateInSteps(ctx context.Context, step int, fn func(w *Writer) error) (err error) {
	if step <= 0 {
		step = StepBytes
	}
	if s.db.IsReadOnly() {
		return errors.New("archive opened read-only")
	}
	// The copy goes beside the file itself, and keeps its mode.
	target, err := filepath.EvalSymlinks(s.path)
	if err != nil {
		return fmt.Errorf("copy archive: %w", err)
	}
	info, err := os.Stat(target)
	if err != nil {
		return fmt.Errorf("copy archive: %w", err)
	}
	dir := filepath.Dir(target)
	f, err := outfile.Scratch(dir)
	if err != nil {
		return fmt.Errorf("copy archive: %w", err)
	}
	name := f.Name()
	var cp *bolt.DB
	placed := false
	defer func() {
		if err != nil && !placed {
			if cp != nil {
				cp.Close()
			}
			f.Close()
			os.Remove(name)
		}
	}()
	err = f.Chmod(info.Mode().Perm())
	if err == nil {
		err = s.db.View(func(tx *bolt.Tx) error {
			_, err := tx.WriteTo(ctxWriter{ctx, f})
			return err
		})
	}
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		return fmt.Errorf("copy archive to %s: %w", name, err)
	}
	// The copy is synced once, before the rename, rather than at every
	// step: until then it is nobody's archive.
	cp, err = bolt.Open(name, 0o600, &bolt.Options{Timeout: LockPoll, InitialMmapSize: initialMmapSize, NoSync: true})
	if err != nil {
		return fmt.Errorf("open the copy of the archive %s: %w", name, err)
	}
	tx, err := cp.Begin(true)
	if err != nil {
		return fmt.Errorf("copy of the archive: %w", err)
	}
	w := &Writer{Reader: Reader{tx: tx}, steps: &stepper{db: cp, limit: step}}
	err = fn(w)
	if err == nil {
		err = w.flushMutations()
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		_ = w.tx.Rollback()
		return err
	}
	if err = w.tx.Commit(); err != nil {
		return fmt.Errorf("commit to the copy of the archive: %w", err)
	}
	if err = cp.Sync(); err != nil {
		return fmt.Errorf("sync the copy of the archive: %w", err)
	}
	if err = os.Rename(name, target); err != nil {
		return fmt.Errorf("replace the archive file with its copy: %w", err)
	}
	// From here on the copy is the archive: it stays, whatever follows.
	placed = true
	old := s.db
	s.db = cp
	derr := syncDir(dir)
	if cerr := old.Close(); derr == nil && cerr != nil {
		derr = fmt.Errorf("close the replaced archive file: %w", cerr)
	}
	return derr
}

// Checkpoint commits what w wrote so far and carries on in a new
// transaction, when w is a Writer of UpdateInSteps that has written a
// step's worth since its last commit; otherwise it does nothing. Call it
// only where nothing read from the archive through w is still in use
// (records handed out by w are copies and stay valid; buckets and cursors
// do not).
func (w *Writer) Checkpoint() error {
	if w.steps == nil || w.written < w.steps.limit {
		return nil
	}
	if err := w.flushMutations(); err != nil {
		return err
	}
	if err := w.tx.Commit(); err != nil {
		return fmt.Errorf("commit to the copy of the archive: %w", err)
	}
	tx, err := w.steps.db.Begin(true)
	if err != nil {
		return fmt.Errorf("copy of the archive: %w", err)
	}
	w.tx, w.muts, w.extra, w.written = tx, w.muts[:0], nil, 0
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		// Windows cannot sync a directory (FlushFileBuffers refuses a
		// directory handle); NTFS journals the rename itself.
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// replaced reports whether the file at path is no longer the one before
// described (os.Stat of path just before it was opened): an UpdateInSteps
// renamed its copy over the archive file while this open waited for the
// lock of the old one. A file that did not exist before counts as
// replaced, so that the open is tried once more against what is there now.
func replaced(path string, before os.FileInfo, beforeErr error) bool {
	if beforeErr != nil {
		return true
	}
	now, err := os.Stat(path)
	return err != nil || !os.SameFile(before, now)
}
