package archive

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/internal/outfile"
)

// CompactFile rewrites the archive file in dir without its free pages:
// bbolt never gives the file's space back, so an archive whose records
// were compressed in place (by migrate, after schema 14) keeps its old
// size until it is rewritten. The copy holds the same buckets, keys,
// values and sequences; it is written beside the file (outfile.Scratch),
// synced and renamed over it, so a process killed midway leaves the
// archive as it was. It takes the exclusive lock for the whole copy and
// returns the file's size before and after.
func CompactFile(ctx context.Context, dir string, o Options) (before, after int64, err error) {
	o.ReadOnly = false
	st, err := Open(ctx, dir, o)
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if cerr := st.Close(); err == nil {
			err = cerr
		}
	}()
	target, err := filepath.EvalSymlinks(st.path)
	if err != nil {
		return 0, 0, fmt.Errorf("compact archive file: %w", err)
	}
	info, err := os.Stat(target)
	if err != nil {
		return 0, 0, fmt.Errorf("compact archive file: %w", err)
	}
	before = info.Size()
	dirOf := filepath.Dir(target)
	f, err := outfile.Scratch(dirOf)
	if err != nil {
		return before, 0, fmt.Errorf("compact archive file: %w", err)
	}
	name := f.Name()
	if err := f.Chmod(info.Mode().Perm()); err != nil {
		f.Close()
		os.Remove(name)
		return before, 0, fmt.Errorf("compact archive file: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return before, 0, fmt.Errorf("compact archive file: %w", err)
	}
	// bbolt makes a new database of the empty scratch file.
	cp, err := bolt.Open(name, info.Mode().Perm(), &bolt.Options{Timeout: LockPoll, PageSize: st.db.Info().PageSize, NoSync: true, InitialMmapSize: initialMmapSize})
	if err != nil {
		os.Remove(name)
		return before, 0, fmt.Errorf("compact archive file: %w", err)
	}
	placed := false
	defer func() {
		if !placed {
			cp.Close()
			os.Remove(name)
		}
	}()
	err = protect(st.path, func() error { return bolt.Compact(cp, st.db, StepBytes) })
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = cp.Sync()
	}
	if err != nil {
		if errors.Is(err, ErrDamaged) {
			return before, 0, err
		}
		return before, 0, fmt.Errorf("compact archive file: %w", err)
	}
	if err := os.Rename(name, target); err != nil {
		return before, 0, fmt.Errorf("compact archive file: replace the archive file with its copy: %w", err)
	}
	placed = true
	old := st.db
	st.db = cp
	derr := syncDir(dirOf)
	if cerr := old.Close(); derr == nil && cerr != nil {
		derr = fmt.Errorf("close the replaced archive file: %w", cerr)
	}
	if derr != nil {
		return before, 0, derr
	}
	if info, err := os.Stat(target); err == nil {
		after = info.Size()
	}
	return before, after, nil
}
