package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/migrations"
)

// ErrBackupExists is returned when a backup would replace an existing file
// and was not told to.
var ErrBackupExists = errors.New("file exists")

// BackupOptions control Backup.
type BackupOptions struct {
	// Force replaces an existing file, and a temporary file left beside it
	// by a backup that did not finish.
	Force bool
	// LockTimeout and Waiting are those of the read-only Open of the
	// archive.
	LockTimeout time.Duration
	Waiting     func(msg string)
}

// BackupResult says what a backup copied.
type BackupResult struct {
	// Size is the size of the copy in bytes.
	Size int64
	// Schema is the copy's schema version, and Position its change-log
	// position: the copy holds every change up to it.
	Schema   int
	Position uint64
	// Counts are its records by kind.
	Counts map[Kind]int
}

// Backup writes a consistent copy of the archive file in dir to path while
// syncs go on: the copy is the snapshot of one read transaction (bbolt's
// Tx.WriteTo) of a read-only open. Writers wait for the file lock while the
// copy is written, as they wait for any reader, and no longer: the archive
// is closed before the copy is checked.
//
// The copy goes to path.tmp (mode 0600), is synced to disk, checked
// (bbolt's consistency check and the schema version) and only then renamed
// to path, so a failed backup never leaves a partial file under path. An
// existing path is replaced only with o.Force.
func Backup(ctx context.Context, dir, path string, o BackupOptions) (BackupResult, error) {
	var res BackupResult
	if err := refuseSelf(filepath.Join(dir, FileName), path); err != nil {
		return res, err
	}
	if !o.Force {
		if _, err := os.Lstat(path); err == nil {
			return res, fmt.Errorf("backup to %s: %w (pass --force to replace it)", path, ErrBackupExists)
		}
	}
	s, err := Open(ctx, dir, Options{ReadOnly: true, LockTimeout: o.LockTimeout, Waiting: o.Waiting})
	if err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	defer s.Close()
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) && o.Force {
		if err = os.Remove(tmp); err == nil {
			f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		}
	}
	if errors.Is(err, fs.ErrExist) {
		return res, fmt.Errorf("backup to %s: %s exists: another backup is running, or one was stopped (remove it, or pass --force)", path, tmp)
	}
	if err != nil {
		return res, fmt.Errorf("backup to %s: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	err = s.view(func(tx *bolt.Tx) error {
		r := &Reader{tx: tx}
		var err error
		if res.Position, err = r.Position(); err != nil {
			return err
		}
		if res.Schema, err = migrations.Version(tx); err != nil {
			return err
		}
		res.Counts = map[Kind]int{}
		for _, k := range Kinds {
			if res.Counts[k], err = r.Count(k); err != nil {
				return err
			}
		}
		res.Size, err = tx.WriteTo(ctxWriter{ctx, f})
		return err
	})
	if err != nil {
		return res, fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return res, fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return res, fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := s.Close(); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	if err := CheckFile(tmp); err != nil {
		return res, fmt.Errorf("backup to %s: the copy fails its check: %w", path, err)
	}
	if err := place(tmp, path, o.Force); err != nil {
		return res, fmt.Errorf("backup to %s: %w", path, err)
	}
	done = true
	return res, nil
}

// refuseSelf refuses a backup over the archive file itself.
func refuseSelf(archivePath, path string) error {
	a, err := os.Stat(archivePath)
	if err != nil {
		return nil
	}
	if b, err := os.Stat(path); err == nil && os.SameFile(a, b) {
		return fmt.Errorf("backup to %s: that is the archive itself", path)
	}
	return nil
}

// place moves the finished copy tmp to path and syncs the directory. Without
// force it links rather than renames, which fails if path appeared
// meanwhile instead of replacing it.
func place(tmp, path string, force bool) error {
	if force {
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
	} else {
		err := os.Link(tmp, path)
		switch {
		case errors.Is(err, fs.ErrExist):
			return fmt.Errorf("%w (pass --force to replace it)", ErrBackupExists)
		case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.ENOTSUP), errors.Is(err, syscall.EXDEV):
			// No hard links on this file system: check, then rename.
			if _, err := os.Lstat(path); err == nil {
				return fmt.Errorf("%w (pass --force to replace it)", ErrBackupExists)
			}
			if err := os.Rename(tmp, path); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if err := os.Remove(tmp); err != nil {
				return err
			}
		}
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// CheckFile opens the bbolt file at path read-only and checks that it is an
// archive this archiver reads: bbolt's consistency check over every page,
// and a schema version it knows.
func CheckFile(path string) error {
	if err := checkPages(path); err != nil {
		return err
	}
	var db *bolt.DB
	err := protect(path, func() error {
		var err error
		db, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: LockPoll, PreLoadFreelist: true})
		return err
	})
	if errors.Is(err, ErrDamaged) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%w (%v)", ErrNotArchive, err)
	}
	defer db.Close()
	return protect(path, func() error {
		return db.View(func(tx *bolt.Tx) error {
			var errs []error
			for err := range tx.Check() {
				errs = append(errs, err)
			}
			if len(errs) > 0 {
				return errors.Join(errs...)
			}
			v, err := migrations.Version(tx)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrNotArchive, err)
			}
			if v == 0 {
				return fmt.Errorf("%w (no schema version)", ErrNotArchive)
			}
			if _, err := migrations.Pending(v); err != nil {
				return err
			}
			return nil
		})
	})
}

// ctxWriter stops a long copy when its context ends.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
