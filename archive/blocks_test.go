package archive_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/reczip"
)

// blockState reads, with bbolt alone, how many log items refer to each
// block and how many each block counts.
func blockState(t *testing.T, dir string) (refs, live map[uint64]int) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	refs, live = map[uint64]int{}, map[uint64]int{}
	err = db.View(func(tx *bolt.Tx) error {
		err := tx.Bucket([]byte(kinds.DRSJobLogItem)).ForEach(func(k, v []byte) error {
			if reczip.IsRef(v) {
				id, _, err := reczip.ParseRef(v)
				if err != nil {
					return err
				}
				refs[id]++
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket([]byte(reczip.BlocksBucket)).ForEach(func(k, v []byte) error {
			n, err := reczip.BlockLive(v)
			live[binary.BigEndian.Uint64(k)] = n
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return refs, live
}

// checkBlocks checks that every block is referred to by as many log items
// as it counts, and that there are blocks at all.
func checkBlocks(t *testing.T, dir string, step string) {
	t.Helper()
	refs, live := blockState(t, dir)
	if len(live) == 0 {
		t.Fatalf("%s: no blocks: the test proves nothing", step)
	}
	for id, n := range live {
		if refs[id] != n {
			t.Errorf("%s: block %d counts %d records, %d refer to it", step, id, n, refs[id])
		}
	}
	for id := range refs {
		if _, ok := live[id]; !ok {
			t.Errorf("%s: block %d is referred to and missing", step, id)
		}
	}
}

// TestBlocksFollowTheirRecords writes log items in blocks, then writes
// some again (in place and at new times), trims a log and prunes old
// jobs: each block always counts the records that refer to it, a block
// none refers to is gone, every log reads back as written, and verify
// passes.
func TestBlocksFollowTheirRecords(t *testing.T) {
	dir := archivetest.Dir(t)
	jobs, perJob := 30, archive.TrainAt/20
	want := compressFixture(t, dir, jobs, perJob)
	checkBlocks(t, dir, "written")
	checkLogs(t, dir, want)
	refs, _ := blockState(t, dir)
	in := 0
	for _, n := range refs {
		in += n
	}
	if in != jobs*perJob {
		t.Fatalf("%d of %d log items are in blocks; want all", in, jobs*perJob)
	}

	st := archivetest.Open(t, dir)
	refOf := func(i int) archive.JobRef {
		return archive.JobRef{JobID: fmt.Sprintf("drsjob-%017x", i*48271), Region: "us-east-1", Account: "123456789012"}
	}
	// Job 15: items 3 and 20 written again with other data at the same
	// time (in place), item 7 at a later time (a new key).
	j5 := refOf(15)
	var again []archive.LogItem
	for _, p := range []int{3, 7, 20} {
		at := t0.Add(15*time.Hour + time.Duration(p)*time.Minute)
		if p == 7 {
			at = at.Add(time.Second)
		}
		data := strings.Replace(logItemData(15, p), `"rawError":""`, `"rawError":"capacity"`, 1)
		want[j5][p] = data
		again = append(again, archive.LogItem{Job: j5, Pos: p, Record: archive.Record{Time: at, FirstSeen: t0, LastSeen: t0.Add(time.Hour), Data: json.RawMessage(data)}})
	}
	// Job 16: its log trimmed to 10 items.
	j6 := refOf(16)
	want[j6] = want[j6][:10]
	err := st.Update(func(w *archive.Writer) error {
		if _, err := w.PutLogItems(again); err != nil {
			return err
		}
		n, err := w.TrimLog(j6, 10)
		if err == nil && n != perJob-10 {
			err = fmt.Errorf("trimmed %d items, want %d", n, perJob-10)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	checkBlocks(t, dir, "after writes and a trim")
	checkLogs(t, dir, want)
	_, before := blockState(t, dir)

	// The first ten jobs pruned.
	st = archivetest.Open(t, dir)
	var pruned map[archive.Key]bool
	err = st.Update(func(w *archive.Writer) error {
		plan, err := w.PlanPrune(t0.Add(10 * time.Hour))
		if err != nil {
			return err
		}
		if plan.Counts[kinds.DRSJobLogItem] == 0 {
			return errors.New("prune plan: no log items")
		}
		pruned = plan.Keys
		return w.Prune(plan, []byte("test"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for ref := range want {
		if ref.JobID <= refOf(9).JobID && len(ref.JobID) == len(refOf(9).JobID) {
			delete(want, ref)
		}
	}
	checkBlocks(t, dir, "after a prune")
	checkLogs(t, dir, want)
	if _, after := blockState(t, dir); len(after) >= len(before) || len(pruned) == 0 {
		t.Errorf("%d blocks before the prune of %d records, %d after; want fewer", len(before), len(pruned), len(after))
	}
}

// TestRecordsOutliveTheirBlocks reads every log item of many more blocks
// than a reader keeps, in key order and again job by job from the last,
// keeping each record: the memory of the blocks a reader drops is reused,
// and no record read before may change with it.
func TestRecordsOutliveTheirBlocks(t *testing.T) {
	dir := archivetest.Dir(t)
	want := compressFixture(t, dir, 30, archive.TrainAt/20)
	refs, live := blockState(t, dir)
	if len(live) <= 2*archive.BlockCacheSize || len(refs) == 0 {
		t.Fatalf("%d blocks: too few to fill a reader's cache twice", len(live))
	}
	wantData := map[string]bool{}
	for _, items := range want {
		for _, d := range items {
			wantData[d] = true
		}
	}
	st := archivetest.Open(t, dir)
	var kept []archive.Record
	err := st.View(func(r *archive.Reader) error {
		err := r.EachBetween(kinds.DRSJobLogItem, time.Time{}, time.Time{}, func(rec archive.Record) error {
			kept = append(kept, rec)
			return nil
		})
		if err != nil {
			return err
		}
		jobs := make([]archive.JobRef, 0, len(want))
		for ref := range want {
			jobs = append(jobs, ref)
		}
		slices.SortFunc(jobs, func(a, b archive.JobRef) int { return strings.Compare(b.JobID, a.JobID) })
		for _, ref := range jobs {
			err := r.JobLog(ref, func(rec archive.Record) error {
				kept = append(kept, rec)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != 2*len(wantData) {
		t.Fatalf("read %d log items, want %d twice", len(kept), len(wantData))
	}
	for i, rec := range kept {
		if !wantData[string(rec.Data)] {
			t.Fatalf("record %d (%x) changed after it was read: %.80s", i, rec.Key, rec.Data)
		}
	}
}

// TestBorrowedReads reads every log item in place (EachBorrowed,
// GetBorrowed), copying each while it is valid: the bytes are those the
// copying reads give.
func TestBorrowedReads(t *testing.T) {
	dir := archivetest.Dir(t)
	compressFixture(t, dir, 12, archive.TrainAt/20)
	st := archivetest.Open(t, dir)
	err := st.View(func(r *archive.Reader) error {
		var copied, borrowed, got []string
		var keys []archive.Key
		if err := r.Each(kinds.DRSJobLogItem, func(rec archive.Record) error {
			copied = append(copied, string(rec.Data))
			keys = append(keys, rec.Key)
			return nil
		}); err != nil {
			return err
		}
		if err := r.EachBorrowed(kinds.DRSJobLogItem, func(rec archive.Record) error {
			borrowed = append(borrowed, string(rec.Data))
			return nil
		}); err != nil {
			return err
		}
		for i := len(keys) - 1; i >= 0; i-- {
			rec, ok, err := r.GetBorrowed(kinds.DRSJobLogItem, keys[i])
			if err != nil || !ok {
				return fmt.Errorf("get %x: %v, found %v", keys[i], err, ok)
			}
			got = append(got, string(rec.Data))
		}
		slices.Reverse(got)
		if len(copied) == 0 {
			return errors.New("no log items: the test proves nothing")
		}
		if !slices.Equal(borrowed, copied) || !slices.Equal(got, copied) {
			return errors.New("borrowed reads differ from copying ones")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDamagedBlock damages blocks and references in the ways a file can
// be damaged: verify reports each, reads fail with an error naming the
// record, never a panic.
func TestDamagedBlock(t *testing.T) {
	base := archivetest.Dir(t)
	compressFixture(t, base, 30, archive.TrainAt/20)
	cases := []struct {
		name string
		// damage changes the file; it returns the key of a record whose
		// read must fail or differ ("" if none), and what verify must
		// report.
		damage func(tx *bolt.Tx, items, blocks *bolt.Bucket) (victim []byte, report string, err error)
	}{
		{"block cut short", func(tx *bolt.Tx, items, blocks *bolt.Bucket) ([]byte, string, error) {
			k, v := firstRef(items)
			id, _, _ := reczip.ParseRef(v)
			bv := bytes.Clone(blocks.Get(reczip.BlockKey(id)))
			return k, fmt.Sprintf("%x", k), blocks.Put(reczip.BlockKey(id), bv[:len(bv)-9])
		}},
		{"block missing", func(tx *bolt.Tx, items, blocks *bolt.Bucket) ([]byte, string, error) {
			k, v := firstRef(items)
			id, _, _ := reczip.ParseRef(v)
			return k, "block " + fmt.Sprint(id) + " is missing", blocks.Delete(reczip.BlockKey(id))
		}},
		{"reference cut short", func(tx *bolt.Tx, items, blocks *bolt.Bucket) ([]byte, string, error) {
			k, v := firstRef(items)
			return k, fmt.Sprintf("%x", k), items.Put(k, bytes.Clone(v[:len(v)-1]))
		}},
		{"reference to another place", func(tx *bolt.Tx, items, blocks *bolt.Bucket) ([]byte, string, error) {
			k, v := firstRef(items)
			id, i, _ := reczip.ParseRef(v)
			return k, fmt.Sprintf("%x", k), items.Put(k, reczip.AppendRef(nil, id, i+1))
		}},
		{"count changed", func(tx *bolt.Tx, items, blocks *bolt.Bucket) ([]byte, string, error) {
			_, v := firstRef(items)
			id, _, _ := reczip.ParseRef(v)
			bv := blocks.Get(reczip.BlockKey(id))
			n, _ := reczip.BlockLive(bv)
			nv, err := reczip.WithLive(bv, n-1)
			if err != nil {
				return nil, "", err
			}
			return nil, fmt.Sprintf("block %d: it counts %d records referring to it, %d do", id, n-1, n), blocks.Put(reczip.BlockKey(id), nv)
		}},
		{"block no record refers to", func(tx *bolt.Tx, items, blocks *bolt.Bucket) ([]byte, string, error) {
			_, v := firstRef(items)
			id, _, _ := reczip.ParseRef(v)
			orphan, _ := blocks.NextSequence()
			return nil, fmt.Sprintf("block %d: no record refers to it", orphan), blocks.Put(reczip.BlockKey(orphan), bytes.Clone(blocks.Get(reczip.BlockKey(id))))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyArchive(t, base)
			var victim []byte
			var report string
			db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bolt.Tx) error {
				var err error
				victim, report, err = c.damage(tx, tx.Bucket([]byte(kinds.DRSJobLogItem)), tx.Bucket([]byte(reczip.BlocksBucket)))
				return err
			})
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			problems, readErr := verifyAndRead(t, dir)
			found := false
			for _, p := range problems {
				found = found || strings.Contains(p, report)
			}
			if !found {
				t.Errorf("verify found %q; want a problem saying %q", problems, report)
			}
			if victim != nil && readErr != nil && !strings.Contains(readErr.Error(), fmt.Sprintf("%x", victim)) {
				t.Errorf("read error %q does not name record %x", readErr, victim)
			}
			if victim == nil && readErr != nil {
				t.Errorf("read error %v; the records are whole", readErr)
			}
		})
	}
}

// firstRef returns the first log item stored in a block, and its value.
func firstRef(items *bolt.Bucket) ([]byte, []byte) {
	c := items.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if reczip.IsRef(v) {
			return bytes.Clone(k), bytes.Clone(v)
		}
	}
	panic(errors.New("no log item in a block"))
}

// copyArchive copies the archive file in dir to a new directory.
func copyArchive(t *testing.T, dir string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(dir, archive.FileName))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "archive")
	if err := os.MkdirAll(out, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, archive.FileName), src, 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestItemsWithErrorsStoredAlone: log items that carry an error (the
// kind's StoreAlone rule) are compressed each on its own, the others of
// their page in blocks, and all read back as written.
func TestItemsWithErrorsStoredAlone(t *testing.T) {
	dir := archivetest.Dir(t)
	want := compressFixture(t, dir, 30, archive.TrainAt/20)
	ref := archive.JobRef{JobID: "drsjob-00000000000000fail", Region: "us-east-1", Account: "123456789012"}
	var items []archive.LogItem
	failing := map[int]bool{}
	for p := 0; p < 40; p++ {
		data := logItemData(77, p)
		if p%7 == 3 {
			data = strings.Replace(data, `"rawError":""`, `"rawError":"InsufficientInstanceCapacity"`, 1)
			failing[p] = true
		}
		want[ref] = append(want[ref], data)
		items = append(items, archive.LogItem{Job: ref, Pos: p, Record: archive.Record{
			Time: t0.Add(77*time.Hour + time.Duration(p)*time.Minute), FirstSeen: t0, LastSeen: t0, Data: json.RawMessage(data)}})
	}
	st := archivetest.Open(t, dir)
	var keys []archive.Key
	err := st.Update(func(w *archive.Writer) error {
		if _, err := w.PutLogItems(items); err != nil {
			return err
		}
		return w.JobLog(ref, func(rec archive.Record) error { keys = append(keys, rec.Key); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if len(keys) != len(items) {
		t.Fatalf("the log holds %d items, want %d", len(keys), len(items))
	}
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(kinds.DRSJobLogItem))
		for p, k := range keys {
			v := b.Get(k[:])
			switch {
			case failing[p] && !reczip.IsCompressed(v):
				t.Errorf("item %d carries an error and is not stored alone", p)
			case !failing[p] && !reczip.IsRef(v) && !((p == 0 || failing[p-1]) && (p == len(keys)-1 || failing[p+1])):
				// An item between two alone (or the log's end) is a run of
				// one, itself alone.
				t.Errorf("item %d carries no error, has a neighbour that carries none, and is not in a block", p)
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	checkBlocks(t, dir, "written")
	checkLogs(t, dir, want)
}
