package archive_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/chain"
)

// chainFixture writes a small archive through the archive's own API: jobs
// updated in place, log items, observations, a trimmed log.
func chainFixture(t *testing.T, dir string) {
	t.Helper()
	st := archivetest.Open(t, dir)
	defer st.Close()
	for round := 0; round < 3; round++ {
		seen := t0.Add(time.Duration(round) * time.Hour)
		err := st.Update(func(w *archive.Writer) error {
			for i := 0; i < 8; i++ {
				id := fmt.Sprintf("drsjob-%017d", i)
				rec := job(id, t0.Add(-time.Duration(i)*time.Hour), fmt.Sprintf(`{"jobID":%q,"status":"STARTED","round":%d}`, id, min(round, i%2)))
				rec.FirstSeen, rec.LastSeen = seen, seen
				if _, err := w.PutLatest(rec); err != nil {
					return err
				}
				ref := archive.JobRef{JobID: id, Region: "us-east-1", Account: "123456789012"}
				for p := 0; p < 3+round; p++ {
					it := archive.Record{Time: t0.Add(time.Duration(p) * time.Minute), FirstSeen: seen, LastSeen: seen,
						Data: json.RawMessage(fmt.Sprintf(`{"event":"E%d","logDateTime":"x"}`, p))}
					if _, err := w.PutLogItem(ref, p, it); err != nil {
						return err
					}
				}
				if round == 2 && i == 3 {
					if _, err := w.TrimLog(ref, 2); err != nil {
						return err
					}
				}
			}
			c := seen
			obs := archive.Record{Kind: kinds.DRSSourceServer, ID: "s-1", Region: "us-east-1", Account: "123456789012",
				Time: c, CapturedAt: &c, FirstSeen: c, LastSeen: c, Data: json.RawMessage(fmt.Sprintf(`{"state":%d}`, round%2))}
			_, err := w.PutObservation(obs, []byte{byte(round % 2)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// chainProblems runs VerifyChain over the archive in dir.
func chainProblems(t *testing.T, dir string) []error {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		return []error{err}
	}
	defer st.Close()
	var problems []error
	err = st.View(func(r *archive.Reader) error {
		_, err := r.VerifyChain(context.Background(), func(err error) { problems = append(problems, err) })
		return err
	})
	if err != nil {
		problems = append(problems, err)
	}
	return problems
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	out.Close()
}

// recordBuckets are the buckets that hold records.
var recordBuckets = []string{"drs.job", "drs.jobLogItem", "drs.sourceServer"}

// TestChainCatchesDirectEdits edits the bbolt file directly, as someone
// bypassing archiver would, in many ways; each edit must be found.
func TestChainCatchesDirectEdits(t *testing.T) {
	clean := archivetest.Dir(t)
	chainFixture(t, clean)
	if p := chainProblems(t, clean); len(p) != 0 {
		t.Fatalf("the untouched archive has problems: %v", p)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	// pick returns a random key of bucket b.
	pick := func(b *bolt.Bucket) []byte {
		var keys [][]byte
		_ = b.ForEach(func(k, _ []byte) error { keys = append(keys, append([]byte(nil), k...)); return nil })
		return keys[rng.IntN(len(keys))]
	}
	edits := []struct {
		name string
		edit func(tx *bolt.Tx) error
	}{
		{"flip a byte of a record", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte(recordBuckets[rng.IntN(len(recordBuckets))]))
			k := pick(b)
			v := append([]byte(nil), b.Get(k)...)
			v[rng.IntN(len(v))] ^= byte(1 + rng.IntN(255))
			return b.Put(k, v)
		}},
		{"delete a record", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte(recordBuckets[rng.IntN(len(recordBuckets))]))
			return b.Delete(pick(b))
		}},
		{"copy a record to a new key", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte(recordBuckets[rng.IntN(len(recordBuckets))]))
			k := pick(b)
			nk := append([]byte(nil), k...)
			nk[15] ^= 0x80
			return b.Put(nk, b.Get(k))
		}},
		{"move a record to another kind", func(tx *bolt.Tx) error {
			from, to := tx.Bucket([]byte("drs.job")), tx.Bucket([]byte("drs.sourceServer"))
			k := pick(from)
			if err := to.Put(k, from.Get(k)); err != nil {
				return err
			}
			return from.Delete(k)
		}},
		{"flip a byte of a link", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("changes"))
			k := pick(b)
			v := append([]byte(nil), b.Get(k)...)
			v[rng.IntN(len(v))] ^= byte(1 + rng.IntN(255))
			return b.Put(k, v)
		}},
		{"drop a change-log entry", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("changes"))
			return b.Delete(pick(b))
		}},
		{"swap two change-log entries", func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("changes"))
			k1, k2 := pick(b), pick(b)
			for bytes.Equal(k1, k2) {
				k2 = pick(b)
			}
			v1, v2 := append([]byte(nil), b.Get(k1)...), append([]byte(nil), b.Get(k2)...)
			if err := b.Put(k1, v2); err != nil {
				return err
			}
			return b.Put(k2, v1)
		}},
		{"edit a record and forge its link's sum", func(tx *bolt.Tx) error {
			// The record then hashes to its link, but the link's entry no
			// longer recomputes to the hash it ends on.
			b := tx.Bucket([]byte("drs.job"))
			k := pick(b)
			v := append([]byte(nil), b.Get(k)...)
			v[len(v)-2] ^= 1
			if err := b.Put(k, v); err != nil {
				return err
			}
			sum := sha256.Sum256(v)
			ch := tx.Bucket([]byte("changes"))
			c := ch.Cursor()
			for ek, ev := c.Last(); ek != nil; ek, ev = c.Prev() {
				links, head, err := chain.ParseEntry(ev)
				if err != nil {
					return err
				}
				for i := range links {
					if links[i].Kind == 0 && bytes.Equal(links[i].Key[:], k) {
						links[i].Sum = sum
						// The links change; the head the entry ends on
						// stays the one stored.
						e, _ := chain.AppendEntry(nil, chain.Head{}, links)
						e = chain.AppendHead(e[:len(e)-chain.TrailerLen], head)
						return ch.Put(ek, e)
					}
				}
			}
			return fmt.Errorf("no link names job record %x", k)
		}},
		{"rewrite the head", func(tx *bolt.Tx) error {
			m := tx.Bucket([]byte("meta"))
			h := append([]byte(nil), m.Get([]byte("chainHead"))...)
			binary.BigEndian.PutUint64(h, binary.BigEndian.Uint64(h)-1)
			return m.Put([]byte("chainHead"), h)
		}},
	}
	n := 0
	for round := 0; round < 12; round++ {
		for _, e := range edits {
			n++
			dir := filepath.Join(t.TempDir(), "archive")
			os.MkdirAll(dir, 0o700)
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
				t.Errorf("mutant %d (%s) went unnoticed", n, e.name)
			}
		}
	}
	t.Logf("%d mutants of the bbolt file, all caught", n)
}

// TestWalksStopWhenInterrupted runs each walk of verify over an archive of
// more records than a walk looks at its context for, with its context
// done: each stops with the context's error, and runs through without it.
func TestWalksStopWhenInterrupted(t *testing.T) {
	dir := t.TempDir()
	st := archivetest.Open(t, dir)
	err := st.Update(func(w *archive.Writer) error {
		for i := 0; i < 50; i++ {
			id := fmt.Sprintf("drsjob-%017d", i)
			if _, err := w.PutLatest(job(id, t0.Add(time.Duration(i)*time.Minute), fmt.Sprintf(`{"jobID":%q,"status":"COMPLETED"}`, id))); err != nil {
				return err
			}
			ref := archive.JobRef{JobID: id, Region: "us-east-1", Account: "123456789012"}
			for p := 0; p < 100; p++ {
				it := archive.Record{Time: t0.Add(time.Duration(i)*time.Minute + time.Duration(p)*time.Millisecond), FirstSeen: t0, LastSeen: t0,
					Data: json.RawMessage(fmt.Sprintf(`{"event":"E%d","logDateTime":"x"}`, p))}
				if _, err := w.PutLogItem(ref, p, it); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		walk func(ctx context.Context, r *archive.Reader) error
	}{
		{"VerifyChain", func(ctx context.Context, r *archive.Reader) error {
			_, err := r.VerifyChain(ctx, func(err error) { t.Errorf("VerifyChain: %v", err) })
			return err
		}},
		{"RecomputeLog", func(ctx context.Context, r *archive.Reader) error {
			_, err := r.RecomputeLog(ctx, nil, nil)
			return err
		}},
		{"VerifyDerived", func(ctx context.Context, r *archive.Reader) error {
			return r.VerifyDerived(ctx, func(err error) { t.Errorf("VerifyDerived: %v", err) })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := st.View(func(r *archive.Reader) error { return tc.walk(done, r) })
			if !errors.Is(err, context.Canceled) {
				t.Errorf("interrupted: %v, want the context's error", err)
			}
			if err := st.View(func(r *archive.Reader) error { return tc.walk(context.Background(), r) }); err != nil {
				t.Errorf("not interrupted: %v", err)
			}
		})
	}
}
