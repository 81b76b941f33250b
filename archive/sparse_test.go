package archive_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/archivetest"
)

// emptyBytes returns the bytes of the archive file in dir that free
// pages take, and those that hold nothing at all: free pages and the
// unused room of the pages buckets hold.
func emptyBytes(t *testing.T, dir string) (free, empty int64) {
	t.Helper()
	// Opened for writing, bbolt counts the free pages.
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := db.Stats()
	free = int64(st.FreePageN+st.PendingPageN) * int64(db.Info().PageSize)
	db.View(func(tx *bolt.Tx) error {
		empty = tx.Size()
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			s := b.Stats()
			empty -= int64(s.BranchInuse + s.LeafInuse)
			return nil
		})
	})
	return free, empty
}

// TestSparseByHalfEmptyPages: a file whose free pages are few but whose
// pages are about half empty (keys put in no order over many commits, as a
// first sync puts jobs) counts as sparse, and is rewritten, once.
func TestSparseByHalfEmptyPages(t *testing.T) {
	dir := archivetest.Dir(t)
	st, err := archive.Open(context.Background(), dir, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for c := 0; c < 300; c++ {
		err := st.Update(func(w *archive.Writer) error {
			for i := 0; i < 20; i++ {
				j := archive.JobRef{JobID: fmt.Sprintf("drsjob-%017x", rng.Uint64()>>4), Region: "us-east-1", Account: "123456789012"}
				if err := w.SetJobState(j, archive.JobState{LogItems: i}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	free, empty := emptyBytes(t, dir)
	if empty-free < 64<<10 {
		t.Fatalf("free pages %d bytes, nothing in %d: no half-empty pages; the test proves nothing", free, empty)
	}
	// Between the two: free pages alone would not count.
	defer archive.SetSparse(0, free+(empty-free)/2)()
	before, after, done, err := archive.CompactSparseFile(context.Background(), dir, archive.Options{})
	if err != nil || !done || after >= before {
		t.Fatalf("rewritten %v (%d to %d bytes), %v; want a smaller file", done, before, after, err)
	}
	if _, _, done, err := archive.CompactSparseFile(context.Background(), dir, archive.Options{}); err != nil || done {
		t.Errorf("a file just rewritten: rewritten %v, %v; want it left alone", done, err)
	}
	archivetest.Check(t, dir)
}
