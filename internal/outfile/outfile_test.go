//go:build unix

package outfile

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// write creates path with o, writes data and commits.
func write(t *testing.T, path string, o Options, data string) error {
	t.Helper()
	f, err := Create(context.Background(), path, o)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := io.WriteString(f, data); err != nil {
		return err
	}
	return f.Commit()
}

// onlyFiles lists dir's names.
func onlyFiles(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestRegularFiles(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string) string // returns the path to write
		o       Options
		wantErr error
		// file is where the data must end up ("" when refused).
		file string
		mode fs.FileMode
	}{
		{"new path", func(t *testing.T, dir string) string { return filepath.Join(dir, "out") }, Options{}, nil, "out", 0o600},
		{"new path, metrics mode", func(t *testing.T, dir string) string { return filepath.Join(dir, "out") }, Options{Mode: 0o644}, nil, "out", 0o644},
		{"existing file", func(t *testing.T, dir string) string { return junk(t, dir, "out") }, Options{}, ErrExists, "", 0},
		{"existing file, forced", func(t *testing.T, dir string) string { return junk(t, dir, "out") }, Options{Force: true}, nil, "out", 0o600},
		{"symlink to existing file", func(t *testing.T, dir string) string {
			junk(t, dir, "target")
			return link(t, dir, "target", "link")
		}, Options{}, ErrExists, "", 0},
		{"symlink to existing file, forced", func(t *testing.T, dir string) string {
			junk(t, dir, "target")
			return link(t, dir, "target", "link")
		}, Options{Force: true}, nil, "target", 0o600},
		{"dangling symlink", func(t *testing.T, dir string) string { return link(t, dir, "target", "link") }, Options{}, nil, "target", 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tt.setup(t, dir)
			before := onlyFiles(t, dir)
			err := write(t, path, tt.o, "new contents")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if got := onlyFiles(t, dir); len(got) != len(before) {
					t.Errorf("a refused write left %v (before: %v)", got, before)
				}
				if b, _ := os.ReadFile(path); string(b) != "junk" {
					t.Errorf("%s holds %q after a refusal", path, b)
				}
				return
			}
			target := filepath.Join(dir, tt.file)
			fi, err := os.Lstat(target)
			if err != nil {
				t.Fatal(err)
			}
			if !fi.Mode().IsRegular() || fi.Mode().Perm() != tt.mode {
				t.Errorf("%s: mode %v, want a regular file %v", tt.file, fi.Mode(), tt.mode)
			}
			if b, _ := os.ReadFile(target); string(b) != "new contents" {
				t.Errorf("%s holds %q", tt.file, b)
			}
			if fi, err := os.Lstat(path); err != nil || (path != target && fi.Mode()&fs.ModeSymlink == 0) {
				t.Errorf("the symlink %s was replaced: %v %v", path, fi.Mode(), err)
			}
			for _, n := range onlyFiles(t, dir) {
				if _, ok := Leftover(n); ok {
					t.Errorf("temporary file %s left", n)
				}
			}
		})
	}
}

func junk(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func link(t *testing.T, dir, target, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	old := junk(t, dir, "out")
	f, err := Create(context.Background(), old, Options{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "half")
	if f.Staged() == "" || filepath.Dir(f.Staged()) != dir {
		t.Errorf("staged at %q, want beside the output", f.Staged())
	}
	f.Abort()
	if got := onlyFiles(t, dir); len(got) != 1 {
		t.Errorf("after abort: %v", got)
	}
	if b, _ := os.ReadFile(old); string(b) != "junk" {
		t.Errorf("abort changed the old file: %q", b)
	}
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		o    Options
	}{
		{"directory", dir, Options{Force: true}},
		{"stdout not allowed", "-", Options{}},
		{"no such directory", filepath.Join(dir, "nope", "out"), Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := write(t, tt.path, tt.o, "x"); err == nil {
				t.Errorf("%s: written", tt.path)
			}
		})
	}
	var b bytes.Buffer
	if err := write(t, "-", Options{Stdout: &b}, "to stdout"); err != nil || b.String() != "to stdout" {
		t.Errorf("stdout: %q, %v", b.String(), err)
	}
}

// TestInPlace: a FIFO and a device are written to as they are, never
// replaced.
func TestInPlace(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() {
		r, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(r)
		r.Close()
		got <- b
	}()
	if err := write(t, fifo, Options{}, "through the pipe"); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "through the pipe" {
		t.Errorf("the reader got %q", b)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the FIFO is now %v (%v)", fi.Mode(), err)
	}

	// A FIFO nobody reads: the wait ends with the context.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Create(ctx, fifo, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("no reader, cancelled: %v", err)
	}

	if err := write(t, os.DevNull, Options{}, "gone"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(os.DevNull); err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Fatalf("%s is now %v (%v)", os.DevNull, fi.Mode(), err)
	}
}

// deadPID is the id of a process that has ended.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestClean(t *testing.T) {
	dir := t.TempDir()
	dead, live := strconv.Itoa(deadPID(t)), strconv.Itoa(os.Getpid())
	names := map[string]bool{ // name: kept
		".out.json.tmp-" + dead + "-0123456789ab":      false,
		"archiver-scratch-" + dead + "-0123456789ab":   false,
		".out.json.tmp-" + live + "-0123456789ab":      true,
		"archiver-scratch-" + live + "-0123456789ab":   true,
		".out.json.tmp-" + dead + "-0123456789ab.keep": true, // not ours
		"out.json": true,
		"archiver-scratch-" + dead + "-0123456789": true, // too short
		".notes.tmp": true,
		"archiver-export-" + dead + "-0123456789ab.json": true,
	}
	for n := range names {
		junk(t, dir, n)
	}
	Clean(dir)
	for n, kept := range names {
		_, err := os.Stat(filepath.Join(dir, n))
		if kept != (err == nil) {
			t.Errorf("%s: kept %v, want %v", n, err == nil, kept)
		}
	}
	// Create cleans the directory it writes in.
	junk(t, dir, ".x.tmp-"+dead+"-0123456789ab")
	if err := write(t, filepath.Join(dir, "new"), Options{}, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".x.tmp-"+dead+"-0123456789ab")); err == nil {
		t.Error("Create left a dead writer's temporary file")
	}
}

func TestScratch(t *testing.T) {
	dir := t.TempDir()
	f, err := Scratch(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	pid, ok := Leftover(filepath.Base(f.Name()))
	if !ok || pid != os.Getpid() {
		t.Errorf("scratch %s: pid %d %v", f.Name(), pid, ok)
	}
	if fi, _ := f.Stat(); fi.Mode().Perm() != 0o600 {
		t.Errorf("scratch mode %v", fi.Mode())
	}
}

func FuzzLeftover(f *testing.F) {
	for _, s := range []string{".a.tmp-12-0123456789ab", "archiver-scratch-1-ffffffffffff", ".tmp-1-0123456789ab", "archiver-scratch--0123456789ab", ".a.tmp-99999999999999999999-0123456789ab"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		pid, ok := Leftover(name)
		if ok && pid <= 0 {
			t.Errorf("%q: pid %d", name, pid)
		}
	})
}
