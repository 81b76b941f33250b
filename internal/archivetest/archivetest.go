// Package archivetest gives tests a real archive in a temporary directory,
// checked for consistency when the test ends.
package archivetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
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

// Copy makes a fresh archive directory holding a copy of the archive file
// at path (a fixture, such as one of migrations/testdata) and returns the
// directory. The fixture itself is never written.
func Copy(t testing.TB, path string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "archive")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(filepath.Join(dir, archive.FileName), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
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

// Records returns how many records of every kind the archive in dir holds,
// and fails the test when it holds none: a test that counts on them would
// prove nothing.
func Records(t testing.TB, dir string) int {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open archive: %v", err)
	}
	defer st.Close()
	n := 0
	err = st.View(func(r *archive.Reader) error {
		for _, k := range kinds.Names() {
			if err := r.Each(k, func(archive.Record) error { n++; return nil }); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("the archive holds %d records (%v); the test proves nothing", n, err)
	}
	return n
}

// ContentHash returns a SHA-256 over every record in the archive in dir
// (kind, key, provenance and data) and the per-job sync state, so that a
// test can tell whether anything at all changed. A missing archive hashes
// as empty.
func ContentHash(t testing.TB, dir string) string {
	t.Helper()
	h := sha256.New()
	if _, err := os.Stat(filepath.Join(dir, archive.FileName)); errors.Is(err, fs.ErrNotExist) {
		return hex.EncodeToString(h.Sum(nil))
	}
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open archive: %v", err)
	}
	defer st.Close()
	err = st.View(func(r *archive.Reader) error {
		for _, k := range kinds.Names() {
			err := r.Each(k, func(rec archive.Record) error {
				b, err := json.Marshal(rec)
				if err != nil {
					return err
				}
				fmt.Fprintf(h, "%s %x %s\n", k, rec.Key, b)
				if rec.Kind == kinds.DRSJob {
					js, err := r.JobState(archive.JobRef{JobID: rec.ID, Region: rec.Region, Account: rec.Account})
					if err != nil {
						return err
					}
					fmt.Fprintf(h, "state %+v\n", js)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("hash archive: %v", err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
