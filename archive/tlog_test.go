package archive_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/archivetest"
)

// TestLogGrowsWithEveryWrite: every transaction's links are leaves; the
// tree the file stores is the one the change log recomputes to, at every
// size it passed through; each earlier head is consistent with the later
// one by an RFC 6962 consistency proof.
func TestLogGrowsWithEveryWrite(t *testing.T) {
	dir := archivetest.Dir(t)
	st := archivetest.Open(t, dir)
	var heads []archive.TreeHead
	head := func() archive.TreeHead {
		var th archive.TreeHead
		if err := st.View(func(r *archive.Reader) error {
			var err error
			th, err = r.TreeHead()
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return th
	}
	heads = append(heads, head())
	if heads[0].Size != 1 {
		t.Fatalf("a new archive's log has %d leaves, want the anchor alone", heads[0].Size)
	}
	for i := range 5 {
		err := st.Update(func(w *archive.Writer) error {
			for j := range i + 1 {
				if _, err := w.PutLatest(job(fmt.Sprintf("drsjob-%017d", i*10+j), t0.Add(time.Duration(i)*time.Hour), fmt.Sprintf(`{"n":%d}`, j))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		heads = append(heads, head())
	}
	if last := heads[len(heads)-1]; last.Size != 1+15 {
		t.Fatalf("log of %d leaves after 15 writes, want 16", last.Size)
	}
	sizes := make([]uint64, len(heads))
	for i, h := range heads {
		sizes[i] = h.Size
	}
	var got []archive.TreeHead
	err := st.View(func(r *archive.Reader) error {
		final, err := r.RecomputeLog(context.Background(), sizes, func(th archive.TreeHead) { got = append(got, th) })
		if err == nil && final != heads[len(heads)-1] {
			t.Errorf("recomputed %+v, the file stores %+v", final, heads[len(heads)-1])
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(heads) {
		t.Fatalf("recomputed %d heads, want %d", len(got), len(heads))
	}
	for i := range heads {
		if got[i] != heads[i] {
			t.Errorf("head %d: recomputed %+v, stored then %+v", i, got[i], heads[i])
		}
	}
	// The stored heads are consistent by proofs built from the recomputed
	// leaves.
	leaves := leafHashes(t, st)
	for i := 1; i < len(heads); i++ {
		a, b := heads[i-1], heads[i]
		nodes, err := proof.Consistency(a.Size, b.Size)
		if err != nil {
			t.Fatal(err)
		}
		hashes := make([][]byte, len(nodes.IDs))
		for k, id := range nodes.IDs {
			hashes[k] = subtreeHash(leaves, id.Index<<id.Level, (id.Index+1)<<id.Level)
		}
		p, err := nodes.Rehash(hashes, rfc6962.DefaultHasher.HashChildren)
		if err != nil {
			t.Fatal(err)
		}
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, a.Size, b.Size, p, a.Hash[:], b.Hash[:]); err != nil {
			t.Errorf("head %d to %d: %v", i-1, i, err)
		}
	}
}

// leafHashes returns the log's leaf hashes, recomputed from the change log.
func leafHashes(t *testing.T, st *archive.Store) [][]byte {
	t.Helper()
	var out [][]byte
	err := st.View(func(r *archive.Reader) error {
		return r.EachLeaf(func(data []byte) error {
			out = append(out, archive.LeafHash(data))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// subtreeHash is the RFC 6962 hash of leaves [lo, hi), clipped to the tree.
func subtreeHash(leaves [][]byte, lo, hi uint64) []byte {
	hi = min(hi, uint64(len(leaves)))
	if hi-lo == 1 {
		return leaves[lo]
	}
	k := uint64(1)
	for k*2 < hi-lo {
		k *= 2
	}
	return rfc6962.DefaultHasher.HashChildren(subtreeHash(leaves, lo, lo+k), subtreeHash(leaves, lo+k, hi))
}
