package archive_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
)

// deletedFixture archives three jobs seen at t0, then sweeps a listing at
// t0+1h that held only the first: the other two are marked.
func deletedFixture(t *testing.T, dir string) {
	t.Helper()
	st := archivetest.Open(t, dir)
	defer st.Close()
	err := st.Update(func(w *archive.Writer) error {
		for i := 0; i < 3; i++ {
			id := fmt.Sprintf("drsjob-%017d", i)
			if _, err := w.PutLatest(job(id, t0, fmt.Sprintf(`{"jobID":%q}`, id))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(func(w *archive.Writer) error {
		n, err := w.SweepDeleted(kinds.DRSJob, "us-east-1", "123456789012", map[string]bool{"drsjob-00000000000000000": true}, t0.Add(time.Hour), nil)
		if err == nil && n != 2 {
			err = fmt.Errorf("swept %d, want 2", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMarkDeletedAndUnmark(t *testing.T) {
	dir := archivetest.Dir(t)
	deletedFixture(t, dir)
	st := archivetest.Open(t, dir)
	defer st.Close()
	check := func(want map[string]bool) {
		t.Helper()
		err := st.View(func(r *archive.Reader) error {
			for i := 0; i < 3; i++ {
				id := fmt.Sprintf("drsjob-%017d", i)
				m, ok, err := r.Deleted(kinds.DRSJob, id, "us-east-1", "123456789012")
				if err != nil {
					return err
				}
				if ok != want[id] {
					t.Errorf("%s: marked %v, want %v", id, ok, want[id])
				}
				if ok && (!m.DeletedUpstreamAt.Equal(t0.Add(time.Hour)) || !m.LastSeen.Equal(t0)) {
					t.Errorf("%s: deletedUpstreamAt %v lastSeen %v; want %v and %v", id, m.DeletedUpstreamAt, m.LastSeen, t0.Add(time.Hour), t0)
				}
			}
			n := 0
			if err := r.EachDeleted(func(archive.Marking) error { n++; return nil }); err != nil {
				return err
			}
			if n != len(want) {
				t.Errorf("EachDeleted: %d markings, want %d", n, len(want))
			}
			var problems []error
			if _, err := r.VerifyChain(context.Background(), func(err error) { problems = append(problems, err) }); err != nil {
				return err
			}
			if len(problems) != 0 {
				t.Errorf("verify: %v", problems)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	check(map[string]bool{"drsjob-00000000000000001": true, "drsjob-00000000000000002": true})

	tests := []struct {
		name string
		op   func(w *archive.Writer) (bool, error)
		want bool
		left map[string]bool
	}{
		{"marking again changes nothing", func(w *archive.Writer) (bool, error) {
			return w.MarkDeleted(kinds.DRSJob, "drsjob-00000000000000001", "us-east-1", "123456789012", t0.Add(2*time.Hour))
		}, false, map[string]bool{"drsjob-00000000000000001": true, "drsjob-00000000000000002": true}},
		{"an object the archive lacks is not marked", func(w *archive.Writer) (bool, error) {
			return w.MarkDeleted(kinds.DRSJob, "drsjob-99999999999999999", "us-east-1", "123456789012", t0.Add(2*time.Hour))
		}, false, map[string]bool{"drsjob-00000000000000001": true, "drsjob-00000000000000002": true}},
		{"unmark a marked object", func(w *archive.Writer) (bool, error) {
			return w.Unmark(kinds.DRSJob, "drsjob-00000000000000001", "us-east-1", "123456789012")
		}, true, map[string]bool{"drsjob-00000000000000002": true}},
		{"unmark an unmarked object", func(w *archive.Writer) (bool, error) {
			return w.Unmark(kinds.DRSJob, "drsjob-00000000000000000", "us-east-1", "123456789012")
		}, false, map[string]bool{"drsjob-00000000000000002": true}},
		{"another region is not swept", func(w *archive.Writer) (bool, error) {
			n, err := w.SweepDeleted(kinds.DRSJob, "eu-west-1", "123456789012", nil, t0.Add(2*time.Hour), nil)
			return n > 0, err
		}, false, map[string]bool{"drsjob-00000000000000002": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got bool
			err := st.Update(func(w *archive.Writer) error {
				var err error
				got, err = tt.op(w)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			check(tt.left)
		})
	}
}

// TestChainCatchesEditedMarkings edits the deleted bucket directly; verify
// must notice every edit.
func TestChainCatchesEditedMarkings(t *testing.T) {
	clean := archivetest.Dir(t)
	deletedFixture(t, clean)
	if p := chainProblems(t, clean); len(p) != 0 {
		t.Fatalf("the untouched archive has problems: %v", p)
	}
	first := func(b *bolt.Bucket) ([]byte, []byte) {
		k, v := b.Cursor().First()
		return append([]byte(nil), k...), append([]byte(nil), v...)
	}
	edits := []struct {
		name string
		edit func(tx *bolt.Tx) error
	}{
		{"move deletedUpstreamAt", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("deleted"))
			k, v := first(b)
			var m map[string]any
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			m["deletedUpstreamAt"] = t0.Add(5 * time.Hour)
			nv, err := json.Marshal(m)
			if err != nil {
				return err
			}
			return b.Put(k, nv)
		}},
		{"remove a marking", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("deleted"))
			k, _ := first(b)
			return b.Delete(k)
		}},
		{"mark an object that was listed", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("deleted"))
			k, v := first(b)
			nk := []byte(strings.Replace(string(k), "drsjob-00000000000000001", "drsjob-00000000000000000", 1))
			ids := tx.Bucket([]byte("ids"))
			var m map[string]any
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			m["key"] = fmt.Sprintf("%x", ids.Get(nk)[:archive.KeyLen])
			nv, err := json.Marshal(m)
			if err != nil {
				return err
			}
			return b.Put(nk, nv)
		}},
		{"copy a marking to an object that was listed", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("deleted"))
			k, v := first(b)
			return b.Put([]byte(strings.Replace(string(k), "drsjob-00000000000000001", "drsjob-00000000000000000", 1)), v)
		}},
	}
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "archive")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			copyFile(t, filepath.Join(clean, archive.FileName), filepath.Join(dir, archive.FileName))
			db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, &bolt.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(e.edit); err != nil {
				t.Fatal(err)
			}
			db.Close()
			if p := chainProblems(t, dir); len(p) == 0 {
				t.Errorf("%s went unnoticed", e.name)
			}
		})
	}
}
