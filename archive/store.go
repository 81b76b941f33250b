package archive

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	boltErrors "go.etcd.io/bbolt/errors"

	"github.com/archiver-dev/archiver/internal/outfile"
	"github.com/archiver-dev/archiver/migrations"
)

// FileName is the name of the bbolt file inside an archive directory.
const FileName = "archive.db"

// Errors returned by Open.
var (
	// ErrNoArchive is returned when a read-only open finds no archive file.
	ErrNoArchive = errors.New("no archive here")
	// ErrNotArchive is returned when the file exists but is not an archive.
	ErrNotArchive = errors.New("not an archiver archive")
	// ErrTooNew is returned when the file was written by a newer archiver.
	ErrTooNew = migrations.ErrTooNew
	// ErrNeedsMigration is returned when a read-only open finds an older schema.
	ErrNeedsMigration = errors.New("archive needs a schema upgrade")
	// ErrLocked is returned when the lock could not be had within the timeout.
	ErrLocked = errors.New("archive busy")
)

// BusyError is returned (matching ErrLocked) when the archive's file lock,
// or the index's, could not be had within the lock timeout.
type BusyError struct {
	// Dir is the archive directory.
	Dir string
	// Waited is how long the open waited.
	Waited time.Duration
	// Holder says who holds the lock, when the caller found out: "sync
	// running since 2026-03-04T02:17:00Z (pid 4242)". Empty means unknown.
	Holder string
}

// Error says the archive is busy, and who holds it when that is known.
func (e *BusyError) Error() string {
	if e.Holder != "" {
		return "archive busy: " + e.Holder
	}
	return "archive busy: another archiver process holds it"
}

// Unwrap makes a BusyError match ErrLocked.
func (e *BusyError) Unwrap() error { return ErrLocked }

// Options control how an archive is opened.
type Options struct {
	// ReadOnly opens with a shared lock; the file must exist.
	ReadOnly bool
	// LockTimeout bounds the wait for the file lock; zero means one minute.
	LockTimeout time.Duration
	// Waiting, if set, is called once when the lock is not free at once,
	// with a sentence saying what the open is waiting for.
	Waiting func(msg string)
}

// Store is an open archive file. Keep it open only for the span of a batch
// of writes or a read: while open it holds the file lock.
type Store struct {
	db   *bolt.DB
	path string
	// damaged is set when a transaction met a broken page: bbolt may have
	// been stopped holding its own locks, so Close does not wait on them
	// for long.
	damaged bool
}

// initialMmapSize is the address space mapped when an archive is opened. A
// growing file must be remapped, which makes bbolt copy every node of the
// open transaction out of the old map; mapping generously up front spares
// a large first sync most of those copies. It reserves address space only.
const initialMmapSize = 256 << 20

// pageSize is the bbolt page size of a new archive. Records are a few
// hundred bytes; 16 KiB pages hold dozens of them, so a commit writes (and
// issues system calls for) a quarter of the pages 4 KiB pages would need.
// An existing file keeps the page size it was created with.
const pageSize = 16 << 10

// LockPoll is how often a waiting Open tries the file lock again. bbolt
// itself retries every 50ms; archiver tries far more often, so that a reader
// gets in during the short pauses a running sync leaves between commits.
const LockPoll = 5 * time.Millisecond

// waitNotice is how long Open waits for the lock before saying so.
const waitNotice = 500 * time.Millisecond

// Path returns the archive file's path.
func (s *Store) Path() string { return s.path }

// Open opens (creating if needed, unless read-only) the archive in dir,
// waiting for the file lock and applying pending schema migrations.
func Open(ctx context.Context, dir string, o Options) (*Store, error) {
	path := filepath.Join(dir, FileName)
	if o.ReadOnly {
		if err := checkExists(dir, path); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create archive directory %s: %w", dir, err)
	}
	db, err := openLocked(ctx, path, o)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path}
	if err := s.checkSchema(o.ReadOnly); err != nil {
		db.Close()
		return nil, err
	}
	if !o.ReadOnly {
		outfile.Clean(dir) // copies of the archive left by killed writers
	}
	return s, nil
}

// checkExists makes sure an archive file is at path, for the opens that
// never create one.
func checkExists(dir, path string) error {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("open archive %s: %w (run 'archiver sync' to create one, or pass --archive)", dir, ErrNoArchive)
	}
	if err != nil {
		return fmt.Errorf("open archive %s: %w", dir, err)
	}
	if st.IsDir() {
		return fmt.Errorf("open archive %s: %s is a directory: %w", dir, path, ErrNotArchive)
	}
	if st.Size() == 0 {
		// A sync has just created the file and not yet written its first
		// page; a reader cannot use it, and must not try to.
		return fmt.Errorf("open archive %s: %w yet (a sync is creating it)", dir, ErrNoArchive)
	}
	return nil
}

func openLocked(ctx context.Context, path string, o Options) (*bolt.DB, error) {
	if err := checkSize(path); err != nil {
		return nil, fmt.Errorf("open archive %s: %w", path, err)
	}
	limit := o.LockTimeout
	if limit <= 0 {
		limit = time.Minute
	}
	start := time.Now()
	deadline := start.Add(limit)
	told := false
	for {
		// A timeout shorter than bbolt's own retry makes it try the lock
		// once; the waiting is done here, where it can be told and cancelled.
		if err := checkBroken(path); err != nil {
			// The lock waited for is this process's own, held by a read
			// that met a broken page and never let go.
			return nil, fmt.Errorf("open archive %s: %w", path, err)
		}
		before, beforeErr := os.Stat(path)
		var db *bolt.DB
		err := protect(path, func() error {
			var err error
			// The free list is read here, where a broken one is caught,
			// rather than by a consistency check's own goroutine.
			db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Nanosecond, ReadOnly: o.ReadOnly, InitialMmapSize: initialMmapSize, PageSize: pageSize, PreLoadFreelist: true})
			return err
		})
		if errors.Is(err, ErrDamaged) {
			// bbolt stopped inside Open, with the file locked and never
			// closed: any later open in this process would wait for that
			// lock for ever. It is refused at once instead.
			broken.Store(path, true)
			return nil, fmt.Errorf("open archive %s: %w", path, err)
		}
		if err == nil && replaced(path, before, beforeErr) {
			// The file locked is not the archive any more (see
			// UpdateInSteps): open the one at the path now.
			db.Close()
			continue
		}
		if err == nil {
			// With the lock held, no commit changes pages under the check.
			if err := checkPagesOnce(path); err != nil {
				db.Close()
				return nil, fmt.Errorf("open archive %s: %w", path, err)
			}
			return db, nil
		}
		switch {
		case errors.Is(err, boltErrors.ErrTimeout):
			if ctx.Err() != nil {
				return nil, fmt.Errorf("open archive %s: %w", path, ctx.Err())
			}
			if time.Now().After(deadline) {
				return nil, &BusyError{Dir: filepath.Dir(path), Waited: limit}
			}
			// A commit of a running sync takes a fraction of a second; say what
			// is happening only when the wait is longer than that.
			if !told && o.Waiting != nil && time.Since(start) > waitNotice {
				if o.ReadOnly {
					o.Waiting("waiting for a running sync to release the archive lock")
				} else {
					o.Waiting("waiting for other archiver processes to release the archive lock")
				}
				told = true
			}
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("open archive %s: %w", path, ctx.Err())
			case <-time.After(LockPoll):
			}
		case errors.Is(err, fs.ErrPermission), errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("open archive %s: %w", path, err)
		default:
			// bbolt's own complaints (invalid meta page, version mismatch,
			// checksum, file too small) all mean the file is not ours.
			return nil, fmt.Errorf("open archive %s: %w (%v)", path, ErrNotArchive, err)
		}
	}
}

// checkSchema refuses files from newer binaries and, when writable, brings
// older ones up to date in one transaction.
func (s *Store) checkSchema(readOnly bool) error {
	if readOnly {
		return s.view(func(tx *bolt.Tx) error {
			v, err := migrations.Version(tx)
			if err != nil {
				return fmt.Errorf("open archive %s: %w: %v", s.path, ErrNotArchive, err)
			}
			if v == 0 {
				return s.noSchema(tx)
			}
			todo, err := migrations.PendingIn(tx)
			if err != nil {
				if errors.Is(err, ErrTooNew) {
					return fmt.Errorf("open archive %s: %w; upgrade archiver to read it", s.path, err)
				}
				return fmt.Errorf("open archive %s: %w: %v", s.path, ErrNotArchive, err)
			}
			if v < migrations.Latest() {
				return fmt.Errorf("open archive %s: schema %d, this archiver writes %d: %w (run 'archiver migrate' to upgrade it)", s.path, v, migrations.Latest(), ErrNeedsMigration)
			}
			if len(todo) > 0 {
				return fmt.Errorf("open archive %s: schema %d lacks step %d (%s): %w (run 'archiver migrate' to upgrade it)", s.path, v, todo[0].Version, todo[0].Name, ErrNeedsMigration)
			}
			return nil
		})
	}
	upToDate := false
	_ = s.view(func(tx *bolt.Tx) error {
		if v, err := migrations.Version(tx); err == nil && v > 0 {
			todo, err := migrations.PendingIn(tx)
			upToDate = err == nil && len(todo) == 0
		}
		return nil
	})
	if upToDate {
		return nil // up to date: open without writing anything
	}
	return s.update(func(tx *bolt.Tx) error {
		v, err := migrations.Version(tx)
		if err != nil {
			return fmt.Errorf("open archive %s: %w: %v", s.path, ErrNotArchive, err)
		}
		if v == 0 && !isEmpty(tx) {
			return fmt.Errorf("open archive %s: %w (buckets present but no schema version)", s.path, ErrNotArchive)
		}
		if _, err := migrations.Apply(tx); err != nil {
			if errors.Is(err, ErrTooNew) {
				return fmt.Errorf("open archive %s: %w; upgrade archiver to write it", s.path, err)
			}
			return fmt.Errorf("open archive %s: %w", s.path, err)
		}
		return nil
	})
}

func isEmpty(tx *bolt.Tx) bool {
	empty := true
	_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return errStop })
	return empty
}

var errStop = errors.New("stop")

// Close releases the file and its lock.
func (s *Store) Close() error {
	if s.damaged {
		return s.closeDamaged()
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close archive %s: %w", s.path, err)
	}
	return nil
}

// view runs fn in a read transaction of s, a damaged page giving a
// DamagedError.
func (s *Store) view(fn func(tx *bolt.Tx) error) error {
	err := protect(s.path, func() error { return s.db.View(fn) })
	s.noteDamage(err)
	return err
}

func (s *Store) noteDamage(err error) {
	var d *DamagedError
	if errors.As(err, &d) {
		s.damaged = true
		// Any other open of the file in this process stops here too,
		// rather than wait for a lock a stuck read may never free.
		broken.Store(s.path, true)
	}
}

// update runs fn in a write transaction of s, a damaged page giving a
// DamagedError (and the transaction rolled back).
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	err := protect(s.path, func() error { return s.db.Update(fn) })
	s.noteDamage(err)
	return err
}

// Update runs fn in one write transaction: all of it commits or none does.
func (s *Store) Update(fn func(w *Writer) error) error {
	return s.update(func(tx *bolt.Tx) error {
		w := &Writer{Reader: Reader{tx: tx}}
		if err := fn(w); err != nil {
			return err
		}
		if err := w.autoCompress(); err != nil {
			return err
		}
		return w.flushMutations()
	})
}

// View runs fn in one read transaction, a consistent snapshot of the file.
func (s *Store) View(fn func(r *Reader) error) error {
	return s.view(func(tx *bolt.Tx) error {
		return fn(&Reader{tx: tx})
	})
}

// Check checks every page of the file (see checkPages), then runs bbolt's
// consistency check over it. A damaged file gives one DamagedError, whatever
// the number of problems found; nil means the file is whole.
func (s *Store) Check() []error {
	// bbolt's check trusts page headers and runs in a goroutine of its
	// own, where a fault cannot be caught: the pages are read and checked
	// here first.
	if err := checkPages(s.path); err != nil {
		return []error{err}
	}
	var errs []error
	err := s.view(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return nil
	})
	if err != nil {
		return []error{err}
	}
	if len(errs) > 0 {
		// Each is a page bbolt finds out of place: one damaged file.
		what := oneLineOf(errs[0].Error())
		if len(errs) > 1 {
			what += fmt.Sprintf(" (and %d more problems)", len(errs)-1)
		}
		return []error{damagedf(s.path, "%s", what)}
	}
	return nil
}

// SchemaVersion returns the file's schema version.
func (s *Store) SchemaVersion() (int, error) {
	var v int
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		v, err = migrations.Version(tx)
		return err
	})
	return v, err
}

// Pending reports, without changing anything, the schema version of the
// archive in dir and the migration steps that a writable open would apply
// to it, in order. It takes the shared lock, as a reader does, and never
// creates an archive. A file from a newer archiver gives ErrTooNew.
func Pending(ctx context.Context, dir string, o Options) (int, []migrations.Step, error) {
	path := filepath.Join(dir, FileName)
	if err := checkExists(dir, path); err != nil {
		return 0, nil, err
	}
	o.ReadOnly = true
	db, err := openLocked(ctx, path, o)
	if err != nil {
		return 0, nil, err
	}
	defer db.Close()
	s := &Store{db: db, path: path}
	return s.pending("read")
}

// Migrate brings the existing archive in dir up to the current schema in
// one write transaction, as a writable Open does, and closes it again. It
// returns the schema version the file had and the steps it applied, none
// if the file was up to date. A failed step leaves the file as it was.
func Migrate(ctx context.Context, dir string, o Options) (int, []migrations.Step, error) {
	path := filepath.Join(dir, FileName)
	if err := checkExists(dir, path); err != nil {
		return 0, nil, err
	}
	o.ReadOnly = false
	db, err := openLocked(ctx, path, o)
	if err != nil {
		return 0, nil, err
	}
	s := &Store{db: db, path: path}
	// The exclusive lock is held from here to the end: the steps read now
	// are the steps the upgrade applies.
	v, todo, err := s.pending("write")
	if err == nil {
		err = s.checkSchema(false)
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return v, nil, err
	}
	return v, todo, nil
}

// pending reads the schema version of an existing archive file, which must
// have one, and the steps it still needs; verb says what a file from a
// newer archiver cannot be opened to do.
func (s *Store) pending(verb string) (int, []migrations.Step, error) {
	var v int
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		if v, err = migrations.Version(tx); err != nil {
			return fmt.Errorf("open archive %s: %w: %v", s.path, ErrNotArchive, err)
		}
		if v == 0 {
			return s.noSchema(tx)
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	var todo []migrations.Step
	err = s.view(func(tx *bolt.Tx) error {
		var err error
		todo, err = migrations.PendingIn(tx)
		return err
	})
	if errors.Is(err, ErrTooNew) {
		return v, nil, fmt.Errorf("open archive %s: %w; upgrade archiver to %s it", s.path, err, verb)
	}
	if err != nil {
		return v, nil, fmt.Errorf("open archive %s: %w: %v", s.path, ErrNotArchive, err)
	}
	return v, todo, nil
}

// noSchema is the error for a file without a schema version. A bbolt file
// with nothing in it is what a sync leaves when it is stopped between
// creating the file and its first commit: no archive yet, and the next
// sync carries on. Anything else is not an archive.
func (s *Store) noSchema(tx *bolt.Tx) error {
	if isEmpty(tx) {
		return fmt.Errorf("open archive %s: %w yet (a sync is creating it, or was stopped before its first commit)", s.path, ErrNoArchive)
	}
	return fmt.Errorf("open archive %s: %w (no schema version)", s.path, ErrNotArchive)
}
