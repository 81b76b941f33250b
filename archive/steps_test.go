package archive_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
)

// TestUpdateInStepsFailure: whatever stops an UpdateInSteps after some of
// its steps committed, the archive file stays byte for byte as it was and
// the copy is gone.
func TestUpdateInStepsFailure(t *testing.T) {
	errInjected := errors.New("injected")
	tests := []struct {
		name string
		// stop is called after the first step committed; it returns the
		// error fn returns.
		stop func(cancel context.CancelFunc) error
		want error
	}{
		{"fn fails", func(context.CancelFunc) error { return errInjected }, errInjected},
		{"context cancelled", func(cancel context.CancelFunc) error { cancel(); return nil }, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := archivetest.Dir(t)
			st := archivetest.Open(t, dir)
			if err := st.Update(func(w *archive.Writer) error {
				_, err := w.PutLatest(job("drsjob-0123456789abcdef0", t0, `{"status":"COMPLETED"}`))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			before, err := os.ReadFile(st.Path())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var pos uint64
			err = st.UpdateInSteps(ctx, 1, func(w *archive.Writer) error {
				for i, id := range []string{"drsjob-0123456789abcdef1", "drsjob-0123456789abcdef2"} {
					if _, err := w.PutLatest(job(id, t0.Add(time.Duration(i)*time.Minute), `{"status":"STARTED"}`)); err != nil {
						return err
					}
					if err := w.Checkpoint(); err != nil {
						return err
					}
				}
				pos, _ = w.Position()
				return tc.stop(cancel)
			})
			if !errors.Is(err, tc.want) {
				t.Fatalf("UpdateInSteps: %v, want %v", err, tc.want)
			}
			if pos < 3 {
				t.Fatalf("change-log position %d inside the steps: the steps did not commit", pos)
			}
			after, err := os.ReadFile(st.Path())
			if err != nil {
				t.Fatal(err)
			}
			if string(after) != string(before) {
				t.Error("the archive file changed")
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			// A note of a page check may stand beside the file.
			entries = slices.DeleteFunc(entries, func(e os.DirEntry) bool { return e.Name() == archive.CheckedFile })
			if len(entries) != 1 || entries[0].Name() != archive.FileName {
				t.Errorf("archive directory holds %v, want only %s", entries, archive.FileName)
			}
			var n int
			_ = st.View(func(r *archive.Reader) error { n, _ = r.Count(kinds.DRSJob); return nil })
			if n != 1 {
				t.Errorf("the open store reads %d jobs, want 1", n)
			}
		})
	}
}

// TestOpenAfterUpdateInSteps: an Open that waited for the lock while an
// UpdateInSteps replaced the archive file opens the new file, not the one
// it waited on; the new file keeps the old one's mode; and the Store that
// replaced it reads and writes the new file too.
func TestOpenAfterUpdateInSteps(t *testing.T) {
	for _, readOnly := range []bool{false, true} {
		t.Run(map[bool]string{false: "writer", true: "reader"}[readOnly], func(t *testing.T) {
			ctx := context.Background()
			dir := archivetest.Dir(t)
			st := archivetest.Open(t, dir)
			if err := st.Update(func(w *archive.Writer) error {
				_, err := w.PutLatest(job("drsjob-0123456789abcdef0", t0, `{"status":"COMPLETED"}`))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			// Group readers, say: the replacing file keeps the mode.
			if err := os.Chmod(st.Path(), 0o640); err != nil {
				t.Fatal(err)
			}
			old, err := os.Stat(st.Path())
			if err != nil {
				t.Fatal(err)
			}
			waiting := make(chan struct{})
			opened := make(chan *archive.Store, 1)
			failed := make(chan error, 1)
			go func() {
				s, err := archive.Open(ctx, dir, archive.Options{ReadOnly: readOnly, LockTimeout: time.Minute,
					Waiting: func(string) { close(waiting) }})
				if err != nil {
					failed <- err
					return
				}
				opened <- s
			}()
			select {
			case <-waiting:
			case err := <-failed:
				t.Fatalf("open while the archive was held: %v", err)
			}
			err = st.UpdateInSteps(ctx, 1, func(w *archive.Writer) error {
				for i, id := range []string{"drsjob-0123456789abcdef1", "drsjob-0123456789abcdef2"} {
					if _, err := w.PutLatest(job(id, t0.Add(time.Duration(i)*time.Minute), `{"status":"STARTED"}`)); err != nil {
						return err
					}
					if err := w.Checkpoint(); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			now, err := os.Stat(filepath.Join(dir, archive.FileName))
			if err != nil {
				t.Fatal(err)
			}
			if os.SameFile(old, now) {
				t.Fatal("UpdateInSteps did not replace the archive file")
			}
			if now.Mode().Perm() != 0o640 {
				t.Errorf("the replacing archive file has mode %v, want 0640 as the one it replaced", now.Mode().Perm())
			}
			// The replacing store goes on in the new file.
			if err := st.Update(func(w *archive.Writer) error {
				_, err := w.PutLatest(job("drsjob-0123456789abcdef3", t0, `{"status":"PENDING"}`))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			var s *archive.Store
			select {
			case s = <-opened:
			case err := <-failed:
				t.Fatalf("open that waited: %v", err)
			}
			defer s.Close()
			var n int
			if err := s.View(func(r *archive.Reader) error { n, err = r.Count(kinds.DRSJob); return err }); err != nil {
				t.Fatal(err)
			}
			if n != 4 {
				t.Errorf("the open that waited reads %d jobs, want the 4 of the new file", n)
			}
		})
	}
}
