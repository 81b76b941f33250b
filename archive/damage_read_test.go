package archive_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// TestReadOfBrokenFileStopped: a file damaged while it is open (past the
// checks at open) stops the read with ErrDamaged rather than the process:
// a page beyond the end of a file cut short faults, and the fault is
// recovered in the reading goroutine; and an open finds the damage.
func TestReadOfBrokenFileStopped(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "archive")
	ctx := context.Background()
	st, err := archive.Open(ctx, dir, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(func(w *archive.Writer) error {
		for i := 0; i < 400; i++ {
			rec := job(fmt.Sprintf("drsjob-%017x", i), t0.Add(time.Duration(i)*time.Minute), fmt.Sprintf(`{"jobID":"drsjob-%017x","status":"COMPLETED","pad":"%0500d"}`, i, i))
			if _, err := w.PutLatest(rec); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, archive.FileName)
	st, err = archive.Open(ctx, dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 64<<10); err != nil {
		t.Fatal(err)
	}
	n := 0
	err = st.View(func(r *archive.Reader) error {
		return r.Each(kinds.DRSJob, func(archive.Record) error { n++; return nil })
	})
	st.Close()
	if !errors.Is(err, archive.ErrDamaged) {
		t.Fatalf("reading %d records past the end of the file: %v; want ErrDamaged", n, err)
	}
	_, err = archive.Open(ctx, t.TempDir(), archive.Options{ReadOnly: true})
	if errors.Is(err, archive.ErrDamaged) {
		t.Fatal("an empty directory is damaged")
	}
	// This process checked the pages of path when it first opened it; a
	// copy under another path is checked afresh.
	copyDir := filepath.Join(t.TempDir(), "copy")
	os.MkdirAll(copyDir, 0o700)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(copyDir, archive.FileName), b, 0o600)
	var d *archive.DamagedError
	if _, err := archive.Open(ctx, copyDir, archive.Options{ReadOnly: true}); !errors.As(err, &d) {
		t.Fatalf("open of the file cut short: %v; want a DamagedError", err)
	}
}
