package index_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// firstJobKeys returns the keys of the log of the first job of dir's
// archive that has at least two items.
func firstJobKeys(t *testing.T, dir string) (archive.JobRef, []archive.Key) {
	t.Helper()
	st := archivetest.Open(t, dir)
	defer st.Close()
	var job archive.JobRef
	var keys []archive.Key
	err := st.View(func(r *archive.Reader) error {
		return r.EachJobKeys(func(j archive.JobRef, ks []archive.Key) error {
			if keys == nil && len(ks) >= 2 {
				job, keys = j, append([]archive.Key(nil), ks...)
			}
			return nil
		})
	})
	if err != nil || keys == nil {
		t.Fatalf("no job with two log items: %v", err)
	}
	return job, keys
}

// editLogItems changes the log items' bucket of dir's archive file
// directly, below the archive's writer.
func editLogItems(t *testing.T, dir string, edit func(b *bolt.Bucket) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { return edit(tx.Bucket([]byte(kinds.DRSJobLogItem))) }); err != nil {
		t.Fatal(err)
	}
}

// rebuild rebuilds dir's index from its archive, opened read-only.
func rebuild(t *testing.T, dir string) error {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	return st.View(func(r *archive.Reader) error {
		_, err := index.Rebuild(context.Background(), dir, r)
		return err
	})
}

// TestRebuildOddJobLogs rebuilds the index of archives whose log items do
// not agree with their job-log index, as no writer makes them: two items
// that name one place in their log, and a log that names an item the
// archive no longer holds. The first must still give the job its document
// as the archive reads (from its job-log index); the second must fail
// with an error that names the job.
func TestRebuildOddJobLogs(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 31})
	good := archivetest.Dir(t)
	syncOnce(t, good, emu)
	if err := rebuild(t, good); err != nil {
		t.Fatal(err)
	}
	if d, pending := diff(t, good); len(d) != 0 || pending != 0 {
		t.Fatalf("the index of the undamaged archive differs from it: %v (%d pending)", d, pending)
	}

	t.Run("two items in one place", func(t *testing.T) {
		dir := archivetest.Dir(t)
		syncOnce(t, dir, emu)
		j, keys := firstJobKeys(t, dir)
		// The first item takes the second's value, position included.
		editLogItems(t, dir, func(b *bolt.Bucket) error {
			return b.Put(keys[0][:], bytes.Clone(b.Get(keys[1][:])))
		})
		st := archivetest.Open(t, dir)
		err := st.View(func(r *archive.Reader) error {
			a, _, err := r.Get(kinds.DRSJobLogItem, keys[0])
			if err != nil {
				return err
			}
			b, _, err := r.Get(kinds.DRSJobLogItem, keys[1])
			if err != nil {
				return err
			}
			if a.Pos == nil || b.Pos == nil || *a.Pos != *b.Pos {
				t.Fatalf("the edit did not give two items one place: %v and %v", a.Pos, b.Pos)
			}
			return nil
		})
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := rebuild(t, dir); err != nil {
			t.Fatalf("rebuild: %v", err)
		}
		if d, pending := diff(t, dir); len(d) != 0 || pending != 0 {
			t.Errorf("the rebuilt index differs from the archive: %v (%d pending)", d, pending)
		}
		if got := search(t, dir, "jobID:"+j.JobID); len(got) == 0 {
			t.Errorf("job %s is not found by its ID after the rebuild", j.JobID)
		}
	})

	t.Run("a log item gone", func(t *testing.T) {
		dir := archivetest.Dir(t)
		syncOnce(t, dir, emu)
		j, keys := firstJobKeys(t, dir)
		editLogItems(t, dir, func(b *bolt.Bucket) error { return b.Delete(keys[1][:]) })
		err := rebuild(t, dir)
		if err == nil || !strings.Contains(err.Error(), j.JobID) || !strings.Contains(err.Error(), "missing record") {
			t.Errorf("rebuild: %v; want an error naming %s and its missing record", err, j.JobID)
		}
	})
}
