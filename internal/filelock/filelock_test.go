package filelock_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/archiver-dev/archiver/internal/filelock"
)

func open(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestTryLock: a lock belongs to the open file. A second open of the same
// path cannot take it while the first holds it, can once it is released
// (by Unlock or by closing), and can read what the holder wrote meanwhile.
func TestTryLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	a, b := open(t, path), open(t, path)
	if err := filelock.TryLock(a); err != nil {
		t.Fatalf("first lock: %v", err)
	}
	if err := filelock.TryLock(b); !errors.Is(err, filelock.ErrLocked) {
		t.Fatalf("second lock while the first holds: %v, want ErrLocked", err)
	}
	const line = "pid 1, since 2026-01-02T03:04:05Z\n"
	if _, err := a.WriteString(line); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != line {
		t.Fatalf("read while locked: %q, %v; want %q", got, err, line)
	}
	if err := filelock.Unlock(a); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	if err := filelock.TryLock(b); err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	if err := filelock.TryLock(a); !errors.Is(err, filelock.ErrLocked) {
		t.Fatalf("lock while the other holds: %v, want ErrLocked", err)
	}
	b.Close()
	if err := filelock.TryLock(a); err != nil {
		t.Fatalf("lock after the holder closed: %v", err)
	}
}
