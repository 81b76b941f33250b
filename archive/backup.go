package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/outfile"
	"github.com/archiver-dev/archiver/migrations"
)

// ErrBackupExists is returned when a backup would replace an existing file
// and was not told to.
var ErrBackupExists = outfile.ErrExists

// BackupOptions control Backup.
type BackupOptions struct {
	// Force replaces an existing regular file.
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
// The copy goes to a temporary file beside path (mode 0600, see package
// outfile), is synced to disk, checked (bbolt's consistency check and the
// schema version) and only then renamed to path, so a failed backup never
// leaves a partial file under path. An existing regular file is replaced
// only with o.Force. A FIFO or device is written to in place, after the copy
// was checked in a scratch file.
func Backup(ctx context.Context, dir, path string, o BackupOptions) (BackupResult, error) {
	var res BackupResult
	if err := refuseSelf(filepath.Join(dir, FileName), path); err != nil {
		return res, err
	}
	if err := outfile.Check(path, outfile.Options{Force: o.Force}); err != nil {
		return res, fmt.Errorf("backup to %w", err)
	}
	out, err := outfile.Create(ctx, path, outfile.Options{Force: o.Force})
	if err != nil {
		return res, fmt.Errorf("backup to %w", err)
	}
	defer out.Abort()
	s, err := Open(ctx, dir, Options{ReadOnly: true, LockTimeout: o.LockTimeout, Waiting: o.Waiting})
	if err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	defer s.Close()
	// A FIFO or device cannot be checked once written: the copy goes to a
	// scratch file first, and from there, checked, to the output.
	var f io.Writer = out
	var scratch *os.File
	if out.Kind() != outfile.Regular {
		if scratch, err = outfile.Scratch(""); err != nil {
			return res, fmt.Errorf("backup to %s: %w", path, err)
		}
		defer os.Remove(scratch.Name())
		defer scratch.Close()
		f = scratch
	}
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
		for _, k := range kinds.Names() {
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
	if err := out.Sync(); err != nil {
		return res, fmt.Errorf("backup to %w", err)
	}
	if err := s.Close(); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	check := out.Staged()
	if scratch != nil {
		check = scratch.Name()
	}
	if err := CheckFile(check); err != nil {
		return res, fmt.Errorf("backup to %s: the copy fails its check: %w", path, err)
	}
	if scratch != nil {
		if _, err := scratch.Seek(0, io.SeekStart); err != nil {
			return res, fmt.Errorf("backup to %s: %w", path, err)
		}
		if _, err := io.Copy(ctxWriter{ctx, out}, scratch); err != nil {
			return res, fmt.Errorf("backup to %s: %w", path, err)
		}
	}
	if err := out.Commit(); err != nil {
		return res, fmt.Errorf("backup to %w", err)
	}
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
