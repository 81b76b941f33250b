// Package archivetest gives tests a real archive in a temporary directory,
// checked for consistency when the test ends.
package archivetest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/archiver-dev/archiver/archive"
)

// Dir returns a fresh archive directory. At cleanup, if an archive was
// written there, bbolt's consistency check must pass over it.
func Dir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "archive")
	t.Cleanup(func() { Check(t, dir) })
	return dir
}

// Check fails the test if the archive in dir is not consistent. A directory
// with no archive passes.
func Check(t testing.TB, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, archive.FileName)); errors.Is(err, fs.ErrNotExist) {
		return
	}
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Errorf("consistency check: %v", err)
		return
	}
	defer st.Close()
	for _, err := range st.Check() {
		t.Errorf("consistency check: %v", err)
	}
}

// Open opens the archive in dir for writing and closes it at cleanup.
func Open(t testing.TB, dir string) *archive.Store {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{})
	if err != nil {
		t.Fatalf("open archive: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
