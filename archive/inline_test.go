package archive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/reczip"
)

// TestCompressInLine: a writer that compresses on its own goroutine
// (Options.CompressInLine, as a sync's commits do) stores the very bytes a
// writer sharing the work among the cores stores, in writes large enough
// to be shared, and every record reads back as written.
func TestCompressInLine(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	}
	// The first write trains the dictionary, in one archive copied for
	// both (training is not deterministic); each later write holds enough
	// log items, and blocks of them, to be shared among two goroutines.
	writes := []int{archive.TrainAt + 100, 1500, 1500, 700}
	want := logHistory{}
	write := func(dir string, inLine bool, writes []int, from int) {
		st, err := archive.Open(context.Background(), dir, archive.Options{CompressInLine: inLine})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		for w, n := range writes {
			var items []archive.LogItem
			for i := range n {
				job := (from+w)*100 + i/50
				ref := archive.JobRef{JobID: fmt.Sprintf("drsjob-%017x", job*48271), Region: "us-east-1", Account: "123456789012"}
				data := logItemData(job, i%50)
				if !inLine {
					want[ref] = append(want[ref], data)
				}
				items = append(items, archive.LogItem{Job: ref, Pos: i % 50, Record: archive.Record{
					Time: t0.Add(time.Duration(job)*time.Hour + time.Duration(i%50)*time.Minute), FirstSeen: t0, LastSeen: t0, Data: json.RawMessage(data)}})
			}
			if err := st.Update(func(w *archive.Writer) error {
				_, err := w.PutLogItems(items)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	shared := archivetest.Dir(t)
	write(shared, false, writes[:1], 0)
	inLine := copyArchive(t, shared)
	write(shared, false, writes[1:], 1)
	write(inLine, true, writes[1:], 1)
	checkLogs(t, inLine, want)
	if plain, compressed := storedForms(t, inLine, kinds.DRSJobLogItem); plain != 0 {
		t.Errorf("in line: %d log items plain, %d compressed; want none plain", plain, compressed)
	}
	for _, b := range []string{string(kinds.DRSJobLogItem), reczip.BlocksBucket} {
		s, l := bucketBytes(t, shared, b), bucketBytes(t, inLine, b)
		if len(s) == 0 {
			t.Errorf("bucket %s is empty", b)
		}
		if !bytes.Equal(s, l) {
			t.Errorf("bucket %s: in line %d bytes differ from the shared write's %d", b, len(l), len(s))
		}
	}
}

// bucketBytes returns every key and value of the top-level bucket name of
// the archive in dir, as stored, one after the other.
func bucketBytes(t *testing.T, dir, name string) []byte {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []byte
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(name))
		if b == nil {
			return fmt.Errorf("no bucket %s", name)
		}
		return b.ForEach(func(k, v []byte) error {
			out = append(append(out, k...), v...)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
