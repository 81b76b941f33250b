package archive_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/joblist"
)

// storedList reads the job-log index entry of ref with bbolt alone.
func storedList(t *testing.T, dir string, ref archive.JobRef) []byte {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v []byte
	db.View(func(tx *bolt.Tx) error {
		v = bytes.Clone(tx.Bucket([]byte("joblog")).Get([]byte(ref.JobID + "\x00" + ref.Region + "\x00" + ref.Account + "\x00")))
		return nil
	})
	return v
}

// TestJobListStoredPacked: the job-log index entry that writes leave (in
// batches, replacing items in place and at a new time, trimming) is the
// packed list of the keys the job's log reads back, in position order, in
// well under 16 bytes a key.
func TestJobListStoredPacked(t *testing.T) {
	dir := archivetest.Dir(t)
	st := archivetest.Open(t, dir)
	ref := archive.JobRef{JobID: "drsjob-00000000000000001", Region: "us-east-1", Account: "123456789012"}
	item := func(pos int, at time.Time, event string) archive.LogItem {
		return archive.LogItem{Job: ref, Pos: pos, Record: archive.Record{Time: at, FirstSeen: t0, LastSeen: t0,
			Data: []byte(fmt.Sprintf(`{"event":%q}`, event))}}
	}
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * (2*time.Second + 31*time.Microsecond)) }
	steps := []struct {
		name  string
		write func(w *archive.Writer) error
		// n is how many items the log then holds.
		n int
	}{
		{"two batches", func(w *archive.Writer) error {
			lb := w.LogBatch()
			for b := range 2 {
				var items []archive.LogItem
				for i := b * 60; i < (b+1)*60; i++ {
					items = append(items, item(i, at(i), fmt.Sprint("E", i)))
				}
				if _, err := lb.Put(items); err != nil {
					return err
				}
			}
			return lb.Flush()
		}, 120},
		{"items replaced, one at a new time", func(w *archive.Writer) error {
			_, err := w.PutLogItems([]archive.LogItem{item(3, at(3), "changed"), item(7, at(7).Add(-time.Hour), "moved"), item(120, at(120), "E120")})
			return err
		}, 121},
		{"trimmed", func(w *archive.Writer) error { _, err := w.TrimLog(ref, 100); return err }, 100},
	}
	for _, s := range steps {
		if err := st.Update(s.write); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		var read []archive.Key
		err := st.View(func(r *archive.Reader) error {
			return r.JobLog(ref, func(rec archive.Record) error {
				if rec.Pos == nil || *rec.Pos != len(read) {
					t.Errorf("%s: item %d has position %v", s.name, len(read), rec.Pos)
				}
				read = append(read, rec.Key)
				return nil
			})
		})
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if len(read) != s.n {
			t.Errorf("%s: %d items read, want %d", s.name, len(read), s.n)
		}
		st.Close()
		v := storedList(t, dir, ref)
		stored, err := joblist.Decode[archive.Key](nil, v)
		if err != nil {
			t.Fatalf("%s: the stored entry: %v", s.name, err)
		}
		if !slices.Equal(stored, read) {
			t.Errorf("%s: the entry lists %x; the log reads %x", s.name, stored, read)
		}
		if len(v) > 6*s.n {
			t.Errorf("%s: %d keys stored in %d bytes", s.name, s.n, len(v))
		}
		st = archivetest.Open(t, dir)
	}
	st.Close()
}

// TestDamagedJobList: a job-log index entry damaged in the file stops
// every read and write of that job's log with an error that names the job,
// never a panic, and verify reports it.
func TestDamagedJobList(t *testing.T) {
	ref := archive.JobRef{JobID: "drsjob-00000000000000001", Region: "us-east-1", Account: "123456789012"}
	build := func(t *testing.T) string {
		dir := archivetest.Dir(t)
		st := archivetest.Open(t, dir)
		err := st.Update(func(w *archive.Writer) error {
			if _, err := w.PutLatest(job(ref.JobID, t0, `{}`)); err != nil {
				return err
			}
			var items []archive.LogItem
			for i := range 4 {
				items = append(items, archive.LogItem{Job: ref, Pos: i, Record: archive.Record{Time: t0.Add(time.Duration(i) * time.Second), FirstSeen: t0, LastSeen: t0, Data: []byte(fmt.Sprintf(`{"event":"E%d"}`, i))}})
			}
			_, err := w.PutLogItems(items)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		return dir
	}
	damages := []struct {
		name  string
		spoil func(v []byte) []byte
	}{
		{"cut short", func(v []byte) []byte { return v[:len(v)-1] }},
		{"raw keys", func(v []byte) []byte { return make([]byte, 4*archive.KeyLen) }},
		{"huge count", func(v []byte) []byte { return []byte{joblist.Marker, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 2, 2} }},
		{"empty", func(v []byte) []byte { return []byte{} }},
	}
	uses := []struct {
		name string
		fn   func(st *archive.Store) error
	}{
		{"JobLog", func(st *archive.Store) error {
			return st.View(func(r *archive.Reader) error { return r.JobLog(ref, func(archive.Record) error { return nil }) })
		}},
		{"JobRecords", func(st *archive.Store) error {
			return st.View(func(r *archive.Reader) error {
				return r.JobRecords(ref.JobID, func(archive.Record) error { return nil })
			})
		}},
		{"PutLogItem", func(st *archive.Store) error {
			return st.Update(func(w *archive.Writer) error {
				_, err := w.PutLogItem(ref, 4, archive.Record{Time: t0, FirstSeen: t0, LastSeen: t0, Data: []byte(`{}`)})
				return err
			})
		}},
		{"TrimLog", func(st *archive.Store) error {
			return st.Update(func(w *archive.Writer) error { _, err := w.TrimLog(ref, 1); return err })
		}},
		{"PlanPrune", func(st *archive.Store) error {
			return st.View(func(r *archive.Reader) error { _, err := r.PlanPrune(t0.Add(time.Hour)); return err })
		}},
	}
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			dir := build(t)
			db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte("joblog"))
				k, v := b.Cursor().First()
				return b.Put(bytes.Clone(k), d.spoil(bytes.Clone(v)))
			})
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			st := archivetest.Open(t, dir)
			defer st.Close()
			for _, u := range uses {
				err := u.fn(st)
				if err == nil || !strings.Contains(err.Error(), ref.JobID) || !strings.Contains(err.Error(), "malformed") {
					t.Errorf("%s: %v; want an error naming %s's malformed job log", u.name, err, ref.JobID)
				}
			}
			var problems []string
			err = st.View(func(r *archive.Reader) error {
				return r.VerifyDerived(context.Background(), func(err error) { problems = append(problems, err.Error()) })
			})
			if err != nil {
				t.Fatal(err)
			}
			if p := strings.Join(problems, "\n"); !strings.Contains(p, ref.JobID) || !strings.Contains(p, "is malformed") {
				t.Errorf("verify reports %q; want the entry of %s malformed", problems, ref.JobID)
			}
		})
	}
}
