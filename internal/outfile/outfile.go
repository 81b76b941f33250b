package outfile

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"syscall"

	"github.com/archiver-dev/archiver/internal/process"
)

// ErrExists is returned when the output is an existing regular file and
// Options.Force is not set.
var ErrExists = errors.New("file exists")

// ErrStdout is returned for "-" when Options.Stdout is nil.
var ErrStdout = errors.New("standard output (-) is not accepted here")

// DefaultMode is the mode of a file written without Options.Mode.
const DefaultMode fs.FileMode = 0o600

// Options control Create.
type Options struct {
	// Force replaces an existing regular file.
	Force bool
	// Mode is the mode of a new or replaced regular file; 0 is DefaultMode.
	// A FIFO or device keeps its own.
	Mode fs.FileMode
	// Stdout receives the output when the path is "-"; nil refuses "-" with
	// ErrStdout.
	Stdout io.Writer
}

// Kind says how a File is written.
type Kind int

const (
	// Regular is a new or replaced regular file, written atomically.
	Regular Kind = iota
	// InPlace is a FIFO or a character or block device, written to as it is.
	InPlace
	// Stdout is standard output ("-").
	Stdout
)

// File is an output being written. Write to it, then Commit; Abort (safe to
// defer, and a no-op after Commit) drops a regular file's temporary file.
type File struct {
	path   string // as given
	target string // path after following symbolic links
	kind   Kind
	mode   fs.FileMode
	force  bool
	f      *os.File  // the temporary file, or the FIFO or device
	w      io.Writer // where Write goes
	done   bool
}

// Check says whether Create would refuse path (an existing regular file
// without Force, a directory, a socket, "-" without Stdout) without writing
// anything, so that a command can refuse before it starts its work.
func Check(path string, o Options) error {
	_, _, err := classify(path, o)
	return err
}

// Create opens path for writing as the package documentation describes.
// ctx bounds only the wait for a FIFO's reader. Create also removes the
// leftovers of dead writers (see Clean) in the directory it writes a
// temporary file in and in os.TempDir().
func Create(ctx context.Context, path string, o Options) (*File, error) {
	target, kind, err := classify(path, o)
	if err != nil {
		return nil, err
	}
	Clean(os.TempDir())
	out := &File{path: path, target: target, kind: kind, mode: o.Mode, force: o.Force}
	if out.mode == 0 {
		out.mode = DefaultMode
	}
	switch kind {
	case Stdout:
		out.w = o.Stdout
		return out, nil
	case InPlace:
		f, err := openInPlace(ctx, target)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out.f, out.w = f, f
		return out, nil
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	Clean(dir)
	for range 100 {
		name := filepath.Join(dir, "."+base+".tmp-"+strconv.Itoa(os.Getpid())+"-"+random())
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, out.mode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the temporary name means nothing to the user
			}
			return nil, fmt.Errorf("%s: create a file in %s: %w", path, dir, err)
		}
		// The umask does not decide the mode of what archiver writes.
		if err := f.Chmod(out.mode); err != nil {
			f.Close()
			os.Remove(name)
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out.f, out.w = f, f
		return out, nil
	}
	return nil, fmt.Errorf("%s: no free temporary name in %s", path, dir)
}

// classify follows path's symbolic links and says how it would be written,
// or why not.
func classify(path string, o Options) (string, Kind, error) {
	if path == "-" {
		if o.Stdout == nil {
			return "", 0, ErrStdout
		}
		return "", Stdout, nil
	}
	target, err := resolve(path)
	if err != nil {
		return "", 0, err
	}
	fi, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return target, Regular, nil
	case err != nil:
		return "", 0, fmt.Errorf("%s: %w", path, err)
	}
	switch m := fi.Mode(); {
	case m.IsRegular():
		if !o.Force {
			return "", 0, fmt.Errorf("%s: %w (pass --force to replace it)", path, ErrExists)
		}
		return target, Regular, nil
	case m&(fs.ModeNamedPipe|fs.ModeDevice) != 0:
		return target, InPlace, nil
	case m.IsDir():
		return "", 0, fmt.Errorf("%s: is a directory", path)
	default:
		return "", 0, fmt.Errorf("%s: not a regular file, FIFO or device (%v)", path, m.Type())
	}
}

// resolve follows the symbolic links of path's last element, which may
// end at a path that does not exist yet.
func resolve(path string) (string, error) {
	p := path
	for range 40 {
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return p, nil
		}
		link, err := os.Readlink(p)
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(p), link)
		}
		p = link
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// openInPlace opens a FIFO or device write-only, as it is. Opening a FIFO
// waits for its reader, as long as ctx allows.
func openInPlace(ctx context.Context, path string) (*os.File, error) {
	type result struct {
		f   *os.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		ch <- result{f, err}
	}()
	select {
	case r := <-ch:
		return r.f, r.err
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.f != nil {
				r.f.Close()
			}
		}()
		return nil, fmt.Errorf("wait for a reader: %w", ctx.Err())
	}
}

// Write writes p to the output.
func (f *File) Write(p []byte) (int, error) { return f.w.Write(p) }

// Kind says how the output is written.
func (f *File) Kind() Kind { return f.kind }

// Path is the file written: the path given, its symbolic links followed;
// "-" for standard output.
func (f *File) Path() string {
	if f.kind == Stdout {
		return "-"
	}
	return f.target
}

// Dir is the directory a scratch file for this output belongs in: that of
// a regular file (the same file system), else "" (os.TempDir()).
func (f *File) Dir() string {
	if f.kind != Regular {
		return ""
	}
	return filepath.Dir(f.target)
}

// Staged is the temporary file a regular output is written to until
// Commit, so that it can be checked first; "" for the other kinds.
func (f *File) Staged() string {
	if f.kind != Regular || f.f == nil {
		return ""
	}
	return f.f.Name()
}

// Sync flushes what was written to disk (a no-op for standard output and
// for FIFOs and devices that cannot sync).
func (f *File) Sync() error {
	if f.f == nil {
		return nil
	}
	if err := f.f.Sync(); err != nil && !(f.kind == InPlace && (errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP))) {
		return fmt.Errorf("%s: %w", f.path, err)
	}
	return nil
}

// Commit makes the output complete: a regular file is synced and renamed
// into place (refused with ErrExists if a file appeared there meanwhile and
// Force is not set) and its directory synced; a FIFO or device is synced
// where it can be and closed. Standard output is left open.
func (f *File) Commit() error {
	if f.done {
		return errors.New("outfile: commit after commit or abort")
	}
	if err := f.Sync(); err != nil {
		f.Abort()
		return err
	}
	if f.kind != Regular {
		f.done = true
		if f.f != nil {
			if err := f.f.Close(); err != nil {
				return fmt.Errorf("%s: %w", f.path, err)
			}
		}
		return nil
	}
	if err := f.f.Close(); err != nil {
		f.Abort()
		return fmt.Errorf("%s: %w", f.path, err)
	}
	if err := place(f.f.Name(), f.target, f.force); err != nil {
		f.Abort()
		return fmt.Errorf("%s: %w", f.path, err)
	}
	f.done = true
	return syncDir(filepath.Dir(f.target))
}

// Abort gives up the output: a regular file's temporary file is removed
// and whatever was at its path stays as it was; a FIFO or device is closed.
// After Commit it does nothing.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	if f.f == nil {
		return
	}
	f.f.Close()
	if f.kind == Regular {
		os.Remove(f.f.Name())
	}
}

// place moves tmp to path. Without force it links rather than renames,
// which fails if path appeared meanwhile instead of replacing it.
func place(tmp, path string, force bool) error {
	if force {
		return os.Rename(tmp, path)
	}
	err := os.Link(tmp, path)
	switch {
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%w (pass --force to replace it)", ErrExists)
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.ENOTSUP), errors.Is(err, syscall.EXDEV), errors.Is(err, syscall.EMLINK):
		// No hard links here: check, then rename.
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%w (pass --force to replace it)", ErrExists)
		}
		return os.Rename(tmp, path)
	case err != nil:
		return err
	}
	return os.Remove(tmp)
}

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
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// Scratch creates a scratch file, archiver-scratch-PID-RANDOM, in dir ("":
// os.TempDir()), mode 0600, after removing the scratch files of dead
// writers there. The caller closes and removes it.
func Scratch(dir string) (*os.File, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	Clean(dir)
	for range 100 {
		name := filepath.Join(dir, ScratchPrefix+strconv.Itoa(os.Getpid())+"-"+random())
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("scratch file: %w", err)
		}
		return f, nil
	}
	return nil, fmt.Errorf("scratch file: no free name in %s", dir)
}

// ScratchPrefix begins the name of every scratch file.
const ScratchPrefix = "archiver-scratch-"

// The names of a writer's temporary and scratch files, compiled when first
// needed.
var (
	tempName    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\..+\.tmp-([0-9]+)-[0-9a-f]{12}$`) })
	scratchName = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^` + ScratchPrefix + `([0-9]+)-[0-9a-f]{12}$`)
	})
)

// Leftover reports whether name (a base name) is a temporary or scratch
// file of a writer, and that writer's process id.
func Leftover(name string) (pid int, ok bool) {
	m := tempName().FindStringSubmatch(name)
	if m == nil {
		m = scratchName().FindStringSubmatch(name)
	}
	if m == nil {
		return 0, false
	}
	pid, err := strconv.Atoi(m[1])
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

// Clean removes from dir the temporary and scratch files of writers whose
// process is no longer alive. Those of live processes (another archiver at
// work, or this one) stay. Errors are ignored: a leftover that cannot go
// now goes next time.
func Clean(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, ok := Leftover(e.Name())
		if !ok || !e.Type().IsRegular() || pid == os.Getpid() || process.Alive(pid) {
			continue
		}
		os.Remove(filepath.Join(dir, e.Name()))
	}
}

func random() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
