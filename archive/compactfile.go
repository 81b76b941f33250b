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
	return st.compactFile(ctx)
}

// Sparse files: a file of which pages no bucket holds and the unused room
// of the pages buckets hold take at least sparseShare, and sparseMin
// bytes, is rewritten by CompactSparseFile. (Variables for the tests.)
var (
	sparseShare       = 0.10
	sparseMin   int64 = 16 << 20
)

// CompactSparseFile is CompactFile for an archive file of which a large
// share holds nothing: free pages, and the room a page left unused when
// keys were put out of order (a first sync's many commits into buckets
// keyed by job leave their pages about half full; a prune frees what it
// removed). Another file is only looked at. It reports whether it
// rewrote the file.
func CompactSparseFile(ctx context.Context, dir string, o Options) (before, after int64, done bool, err error) {
	o.ReadOnly = false
	st, err := Open(ctx, dir, o)
	if err != nil {
		return 0, 0, false, err
	}
	defer func() {
		if cerr := st.Close(); err == nil {
			err = cerr
		}
	}()
	// The share is of the pages up to the file's end as bbolt sees it;
	// what the buckets hold is counted page by page (a pass over the
	// file's pages, in the page cache after a sync).
	var used, held int64
	err = st.view(func(tx *bolt.Tx) error {
		used = tx.Size()
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			s := b.Stats()
			held += int64(s.BranchInuse + s.LeafInuse)
			return nil
		})
	})
	if err != nil {
		return 0, 0, false, fmt.Errorf("compact archive file: %w", err)
	}
	info, err := os.Stat(st.path)
	if err != nil {
		return 0, 0, false, fmt.Errorf("compact archive file: %w", err)
	}
	if empty := used - held; empty < sparseMin || float64(empty) < sparseShare*float64(used) {
		return info.Size(), info.Size(), false, nil
	}
	before, after, err = st.compactFile(ctx)
	return before, after, err == nil, err
}

// compactFile rewrites the file of s, which must be open for writing.
func (s *Store) compactFile(ctx context.Context) (before, after int64, err error) {
	st := s
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
	// The copy grows a MiB at a time, not bbolt's 16 MiB: its end is
	// the file's end.
	cp.AllocSize = 1 << 20
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
