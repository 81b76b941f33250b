//go:build unix

package main

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// deadPID is the id of a process that has ended.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// writer is a command that writes a file the user names.
type writer struct {
	name string
	// args runs it with out as its output file.
	args func(out string) []string
	// force is its flag to replace a regular file; "" when it replaces one
	// every run by design (the metrics file).
	force string
	// check checks what it wrote, from a copy of the bytes in a regular
	// file.
	check func(t *testing.T, path string)
}

// writers syncs an emulator's history into a template archive and returns
// every writer, with fresh, which makes a copy of the archive for one run
// (prune removes records).
func writers(t *testing.T) (ws []writer, fresh func(t *testing.T) string) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 91, Jobs: 6})
	template := archivetest.Dir(t)
	syncCLI(t, template, emu.URL())
	jobs := recordTimes(t, template)[kinds.DRSJob]
	if len(jobs) == 0 || len(jobs) != len(emu.Jobs()) {
		t.Fatalf("%d jobs archived, the emulator has %d", len(jobs), len(emu.Jobs()))
	}
	var last time.Time
	for _, j := range jobs {
		if j.After(last) {
			last = j
		}
	}
	before := last.Add(time.Second).Format(time.RFC3339Nano) // every job goes
	fresh = func(t *testing.T) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(template, archive.FileName))
		if err != nil {
			t.Fatal(err)
		}
		dir := archivetest.Dir(t)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, archive.FileName), b, 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	everyJob := func(t *testing.T, path string) {
		t.Helper()
		if doc := readExport(t, path); doc.Manifest.Counts[string(kinds.DRSJob)] != len(emu.Jobs()) {
			t.Errorf("the export holds %d jobs, the emulator has %d", doc.Manifest.Counts[string(kinds.DRSJob)], len(emu.Jobs()))
		}
	}
	ws = []writer{
		{"export", func(out string) []string { return []string{"export", "--out", out} }, "--force", everyJob},
		{"backup", func(out string) []string { return []string{"backup", "--out", out} }, "--force", func(t *testing.T, path string) {
			if err := archive.CheckFile(path); err != nil {
				t.Errorf("the copy fails its check: %v", err)
			}
		}},
		{"prune", func(out string) []string {
			return []string{"prune", "--before", before, "--export", out, "--confirm"}
		}, "--force", everyJob},
		{"sync metrics", func(out string) []string {
			return []string{"sync", "--endpoint-url", emu.URL(), "--quiet", "--metrics-file", out}
		}, "", func(t *testing.T, path string) {
			b, _ := os.ReadFile(path)
			if !bytes.Contains(b, []byte("archiver_sync_last_success_timestamp_seconds{")) {
				t.Errorf("metrics file holds %q", b)
			}
		}},
	}
	return ws, fresh
}

// TestOutputPaths: every command that writes a file follows one rule: a new
// path or (with --force) a regular file is replaced atomically, a symlink
// is followed, and a FIFO or device is written to in place.
func TestOutputPaths(t *testing.T) {
	ws, fresh := writers(t)
	const junk = "not archiver's\n"
	for _, w := range ws {
		t.Run(w.name, func(t *testing.T) {
			run := func(t *testing.T, out string, force bool) (int, string) {
				t.Helper()
				args := w.args(out)
				if force && w.force != "" {
					args = append(args, w.force)
				}
				code, _, stderr := runCLI(t, append([]string{"--archive", fresh(t)}, args...)...)
				return code, stderr
			}
			written := func(t *testing.T, path string, mode fs.FileMode) {
				t.Helper()
				fi, err := os.Lstat(path)
				if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != mode {
					t.Fatalf("%s: %v %v, want a regular file %v", path, fi, err, mode)
				}
				w.check(t, path)
				noTemps(t, filepath.Dir(path))
			}
			mode := fs.FileMode(0o600)
			if w.force == "" {
				mode = 0o644
			}

			t.Run("new path", func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "out")
				if code, stderr := run(t, out, false); code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				written(t, out, mode)
			})

			t.Run("existing file", func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "out")
				os.WriteFile(out, []byte(junk), 0o600)
				code, stderr := run(t, out, false)
				if w.force == "" {
					// Replaced every run by design.
					if code != 0 {
						t.Fatalf("exit %d: %s", code, stderr)
					}
					written(t, out, mode)
					return
				}
				if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "file exists (pass --force to replace it)") {
					t.Errorf("exit %d, stderr %q: want 1 and one line asking for --force", code, stderr)
				}
				if b, _ := os.ReadFile(out); string(b) != junk {
					t.Errorf("the existing file was changed: %q", b)
				}
				noTemps(t, filepath.Dir(out))

				if code, stderr := run(t, out, true); code != 0 {
					t.Fatalf("with %s: exit %d: %s", w.force, code, stderr)
				}
				written(t, out, mode)
			})

			t.Run("symlink", func(t *testing.T) {
				target := filepath.Join(t.TempDir(), "target")
				os.WriteFile(target, []byte(junk), 0o600)
				link := filepath.Join(t.TempDir(), "link")
				if err := os.Symlink(target, link); err != nil {
					t.Fatal(err)
				}
				if code, stderr := run(t, link, true); code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
					t.Errorf("the link was replaced: %v %v", fi, err)
				}
				written(t, target, mode)
				noTemps(t, filepath.Dir(link))
			})

			t.Run("FIFO", func(t *testing.T) {
				dir := t.TempDir()
				fifo := filepath.Join(dir, "fifo")
				if err := syscall.Mkfifo(fifo, 0o600); err != nil {
					t.Fatal(err)
				}
				got := make(chan []byte, 1)
				go func() {
					f, err := os.Open(fifo)
					if err != nil {
						got <- nil
						return
					}
					defer f.Close()
					b, _ := io.ReadAll(f)
					got <- b
				}()
				if code, stderr := run(t, fifo, false); code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				b := <-got
				if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
					t.Errorf("the FIFO is now %v (%v)", fi, err)
				}
				noTemps(t, dir)
				copied := filepath.Join(t.TempDir(), "read")
				if err := os.WriteFile(copied, b, 0o600); err != nil {
					t.Fatal(err)
				}
				w.check(t, copied)
			})

			t.Run("/dev/null", func(t *testing.T) {
				if code, stderr := run(t, os.DevNull, false); code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				if fi, err := os.Lstat(os.DevNull); err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
					t.Fatalf("%s is now %v (%v)", os.DevNull, fi, err)
				}
			})
		})
	}
}

// TestLeftovers: the temporary and scratch files of a writer that was
// killed go with the next run of any writer; those of a live one stay, and
// do not stand in the way.
func TestLeftovers(t *testing.T) {
	ws, fresh := writers(t)
	for _, w := range ws {
		t.Run(w.name, func(t *testing.T) {
			tmp, outDir := t.TempDir(), t.TempDir()
			t.Setenv("TMPDIR", tmp)
			dead, live := strconv.Itoa(deadPID(t)), strconv.Itoa(os.Getpid())
			left := map[string]bool{ // path: kept
				filepath.Join(outDir, ".out.tmp-"+dead+"-0123456789ab"):          false,
				filepath.Join(outDir, ".earlier.json.tmp-"+dead+"-0123456789ab"): false,
				filepath.Join(tmp, "archiver-scratch-"+dead+"-0123456789ab"):     false,
				filepath.Join(outDir, ".out.tmp-"+live+"-0123456789ab"):          true,
				filepath.Join(tmp, "archiver-scratch-"+live+"-0123456789ab"):     true,
			}
			for p := range left {
				if err := os.WriteFile(p, []byte("left behind"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			code, _, stderr := runCLI(t, append([]string{"--archive", fresh(t)}, w.args(filepath.Join(outDir, "out"))...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for p, kept := range left {
				if _, err := os.Stat(p); kept != (err == nil) {
					t.Errorf("%s: kept %v, want %v", filepath.Base(p), err == nil, kept)
				}
			}
			w.check(t, filepath.Join(outDir, "out"))
		})
	}
}

// TestExportToClosedPipe: 'archiver export --out - | head' with the reader
// gone exits 141, quietly, and leaves no scratch file.
func TestExportToClosedPipe(t *testing.T) {
	env := hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 93, Jobs: 6})
	dir := archivetest.Dir(t)
	syncCLI(t, dir, emu.URL())
	tmp := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // the reader is gone before the first byte
	cmd := exec.Command(os.Args[0], "--archive", dir, "export", "--out", "-")
	cmd.Env = append(os.Environ(), append(env, "ARCHIVER_TEST_MAIN=1", "TMPDIR="+tmp)...)
	cmd.Stdout = w
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	w.Close()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 141 {
		t.Errorf("export into a closed pipe: %v, want exit status 141", err)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr %q, want nothing", stderr.String())
	}
	noTemps(t, tmp)
	if es, _ := os.ReadDir(tmp); len(es) != 0 {
		t.Errorf("left in the temporary directory: %v", es)
	}
}
