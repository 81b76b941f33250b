package archive_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/joblist"
)

// TestVerifyDerivedCatchesEdits: an entry removed from, or pointed
// elsewhere in, the identity index or the job-log index is reported; the
// untouched archive has no report.
func TestVerifyDerivedCatchesEdits(t *testing.T) {
	build := func(t *testing.T) string {
		dir := archivetest.Dir(t)
		st := archivetest.Open(t, dir)
		ref := archive.JobRef{JobID: "drsjob-00000000000000001", Region: "us-east-1", Account: "123456789012"}
		err := st.Update(func(w *archive.Writer) error {
			for i := range 2 {
				if _, err := w.PutLatest(job(fmt.Sprintf("drsjob-%017d", i+1), t0, `{}`)); err != nil {
					return err
				}
			}
			var items []archive.LogItem
			for i := range 3 {
				items = append(items, archive.LogItem{Job: ref, Pos: i, Record: archive.Record{Time: t0, FirstSeen: t0, LastSeen: t0, Data: []byte(fmt.Sprintf(`{"event":"E%d"}`, i))}})
			}
			_, err := w.PutLogItems(items)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	problems := func(t *testing.T, dir string) []string {
		st := archivetest.Open(t, dir)
		var out []string
		err := st.View(func(r *archive.Reader) error {
			return r.VerifyDerived(context.Background(), func(err error) { out = append(out, err.Error()) })
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	edit := func(t *testing.T, dir string, fn func(tx *bolt.Tx) error) {
		db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Update(fn); err != nil {
			t.Fatal(err)
		}
	}
	firstKey := func(tx *bolt.Tx, bucket string) []byte {
		k, _ := tx.Bucket([]byte(bucket)).Cursor().First()
		return append([]byte(nil), k...)
	}
	tests := []struct {
		name string
		edit func(tx *bolt.Tx) error
		want string
	}{
		{"identity removed", func(tx *bolt.Tx) error { return tx.Bucket([]byte("ids")).Delete(firstKey(tx, "ids")) }, "has records but no entry"},
		{"identity pointed at another object", func(tx *bolt.Tx) error {
			ids := tx.Bucket([]byte("ids"))
			c := ids.Cursor()
			k1, v1 := c.First()
			k1 = append([]byte(nil), k1...)
			_, v2 := c.Next()
			v2 = append([]byte(nil), v2...)
			_ = v1
			return ids.Put(k1, v2)
		}, "of another object"},
		{"job log removed", func(tx *bolt.Tx) error { return tx.Bucket([]byte("joblog")).Delete(firstKey(tx, "joblog")) }, "in no job's list"},
		{"job log cut short", func(tx *bolt.Tx) error {
			return editList(tx, func(keys []archive.Key) []archive.Key { return keys[:2] })
		}, "in no job's list"},
		{"job log reordered", func(tx *bolt.Tx) error {
			return editList(tx, func(keys []archive.Key) []archive.Key {
				keys[0], keys[1] = keys[1], keys[0]
				return keys
			})
		}, "which is not that item"},
		{"job log lists a key twice", func(tx *bolt.Tx) error {
			return editList(tx, func(keys []archive.Key) []archive.Key { return append(keys, keys[0]) })
		}, "is listed twice"},
		{"job log lists a record that is not archived", func(tx *bolt.Tx) error {
			return editList(tx, func(keys []archive.Key) []archive.Key {
				keys[2][15]++
				return keys
			})
		}, "which is not archived"},
		{"job log damaged", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("joblog"))
			k, v := b.Cursor().First()
			return b.Put(bytes.Clone(k), bytes.Clone(v[:len(v)-1]))
		}, "is malformed"},
		{"job log of raw keys", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("joblog"))
			k, v := b.Cursor().First()
			keys, err := joblist.Decode[archive.Key](nil, v)
			if err != nil {
				return err
			}
			var raw []byte
			for _, key := range keys {
				raw = append(raw, key[:]...)
			}
			return b.Put(bytes.Clone(k), raw)
		}, "is malformed"},
	}
	clean := build(t)
	if p := problems(t, clean); len(p) != 0 {
		t.Fatalf("the untouched archive: %q", p)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := build(t)
			edit(t, dir, tt.edit)
			p := problems(t, dir)
			if len(p) == 0 || !strings.Contains(strings.Join(p, "\n"), tt.want) {
				t.Errorf("reports %q, want one saying %q", p, tt.want)
			}
		})
	}
}

// editList rewrites the first entry of the job-log index, a job's list of
// log item keys, with edit.
func editList(tx *bolt.Tx, edit func([]archive.Key) []archive.Key) error {
	b := tx.Bucket([]byte("joblog"))
	k, v := b.Cursor().First()
	keys, err := joblist.Decode[archive.Key](nil, v)
	if err != nil {
		return err
	}
	return b.Put(bytes.Clone(k), joblist.Append(nil, edit(keys)))
}
