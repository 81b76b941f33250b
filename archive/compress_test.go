package archive_test

import (
	"bytes"
	"context"
	"crypto/sha256"
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

// logHistory is what compressFixture wrote: every job's log, item data in
// position order.
type logHistory map[archive.JobRef][]string

// logItemData is the data of item pos of the log of job i, in the shape
// DRS gives it: a few events, server IDs and times, so that a dictionary
// has something to learn and each item still differs.
func logItemData(i, pos int) string {
	events := []string{"JOB_START", "SNAPSHOT_START", "SNAPSHOT_END", "CONVERSION_START", "CONVERSION_END", "LAUNCH_START", "LAUNCH_END", "JOB_END"}
	at := t0.Add(time.Duration(i)*time.Hour + time.Duration(pos)*time.Minute)
	return fmt.Sprintf(`{"event":%q,"eventData":{"conversionServerID":"i-%017x","rawError":"","sourceServerID":"s-%017x","targetInstanceID":"i-%017x"},"logDateTime":%q}`,
		events[pos%len(events)], i*7919+pos, i*104729, i*31+pos*17, at.Format(time.RFC3339))
}

// compressFixture writes jobs jobs with perJob log items each through the
// archive's API, one transaction a job, and returns the logs written.
func compressFixture(t *testing.T, dir string, jobs, perJob int) logHistory {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	want := logHistory{}
	for i := 0; i < jobs; i++ {
		id := fmt.Sprintf("drsjob-%017x", i*48271)
		ref := archive.JobRef{JobID: id, Region: "us-east-1", Account: "123456789012"}
		items := make([]archive.LogItem, perJob)
		for p := range items {
			data := logItemData(i, p)
			want[ref] = append(want[ref], data)
			items[p] = archive.LogItem{Job: ref, Pos: p, Record: archive.Record{
				Time: t0.Add(time.Duration(i)*time.Hour + time.Duration(p)*time.Minute), FirstSeen: t0, LastSeen: t0, Data: json.RawMessage(data)}}
		}
		err := st.Update(func(w *archive.Writer) error {
			if _, err := w.PutLatest(job(id, t0.Add(time.Duration(i)*time.Hour), fmt.Sprintf(`{"jobID":%q,"status":"COMPLETED","type":"LAUNCH"}`, id))); err != nil {
				return err
			}
			_, err := w.PutLogItems(items)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return want
}

// storedForms counts the records of kind stored plainly and compressed
// (alone or in blocks), reading the file with bbolt alone.
func storedForms(t *testing.T, dir string, kind archive.Kind) (plain, compressed int) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(kind)).ForEach(func(k, v []byte) error {
			if reczip.IsCompressed(v) || reczip.IsRef(v) {
				compressed++
			} else {
				plain++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return plain, compressed
}

// usedBytes is the size of the pages the archive in dir uses, free pages
// among them included: the file's end as bbolt sees it.
func usedBytes(t *testing.T, dir string) int64 {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	db.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n
}

// checkLogs reads every job's log back and compares it with want, and runs
// verify's checks of the chain and of the derived buckets.
func checkLogs(t *testing.T, dir string, want logHistory) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal("no logs to compare: the test proves nothing")
	}
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.View(func(r *archive.Reader) error {
		for ref, items := range want {
			var got []string
			if err := r.JobLog(ref, func(rec archive.Record) error {
				got = append(got, string(rec.Data))
				return nil
			}); err != nil {
				return err
			}
			if strings.Join(got, "\n") != strings.Join(items, "\n") {
				t.Errorf("log of %s reads back %d items, not the %d written (or other bytes)", ref.JobID, len(got), len(items))
			}
		}
		var problems []error
		if _, err := r.VerifyChain(context.Background(), func(err error) { problems = append(problems, err) }); err != nil {
			return err
		}
		if err := r.VerifyDerived(context.Background(), func(err error) { problems = append(problems, err) }); err != nil {
			return err
		}
		for _, p := range problems {
			t.Errorf("verify: %v", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRecordsCompressedAsWritten: once a kind has enough records, the
// write that gets there trains its dictionary and compresses what is
// stored, and later writes store compressed values; everything reads
// back as written and verify passes. A kind with few records stays plain.
func TestRecordsCompressedAsWritten(t *testing.T) {
	dir := archivetest.Dir(t)
	jobs, perJob := 30, archive.TrainAt/20
	want := compressFixture(t, dir, jobs, perJob)
	if jobs*perJob <= archive.TrainAt {
		t.Fatalf("%d log items do not pass the %d that train a dictionary", jobs*perJob, archive.TrainAt)
	}
	plain, compressed := storedForms(t, dir, kinds.DRSJobLogItem)
	if plain != 0 || compressed != jobs*perJob {
		t.Errorf("log items: %d plain and %d compressed; want all %d compressed", plain, compressed, jobs*perJob)
	}
	if plain, compressed := storedForms(t, dir, kinds.DRSJob); plain != jobs || compressed != 0 {
		t.Errorf("jobs: %d plain and %d compressed; want all %d plain (too few for a dictionary)", plain, compressed, jobs)
	}
	checkLogs(t, dir, want)

	// Stored gives the logical value, header and data, as the chain hashes it.
	st := archivetest.Open(t, dir)
	err := st.View(func(r *archive.Reader) error {
		return r.Each(kinds.DRSJobLogItem, func(rec archive.Record) error {
			v, err := r.Stored(rec.Kind, rec.Key)
			if err != nil {
				return err
			}
			if v[0] != 0xA1 || !bytes.HasSuffix(v, rec.Data) {
				return fmt.Errorf("stored value of %x is not the logical value", rec.Key)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}

	// A read that fn stops returns fn's error, having given the records in
	// key order up to there.
	enough := errors.New("enough")
	var keys []archive.Key
	err = st.View(func(r *archive.Reader) error {
		return r.Each(kinds.DRSJobLogItem, func(rec archive.Record) error {
			keys = append(keys, rec.Key)
			if len(keys) == 150 {
				return enough
			}
			return nil
		})
	})
	if !errors.Is(err, enough) || len(keys) != 150 {
		t.Errorf("stopped read: %v after %d records; want it stopped at 150", err, len(keys))
	}
	for i := 1; i < len(keys); i++ {
		if bytes.Compare(keys[i-1][:], keys[i][:]) >= 0 {
			t.Fatalf("records out of key order at %d", i)
		}
	}
}

// hashesOf is everything a record's hashes reach: the chain's head
// recomputed from its links, the transparency log's head, and the SHA-256
// of every record's logical value.
type hashesOf struct {
	chainHead string
	tree      archive.TreeHead
	values    map[archive.Key][32]byte
	content   string
}

func readHashes(t *testing.T, dir string) hashesOf {
	t.Helper()
	h := hashesOf{values: map[archive.Key][32]byte{}, content: archivetest.ContentHash(t, dir)}
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.View(func(r *archive.Reader) error {
		rep, err := r.VerifyChain(context.Background(), func(err error) { t.Errorf("verify: %v", err) })
		if err != nil {
			return err
		}
		h.chainHead = fmt.Sprintf("%d %x", rep.Head.N, rep.Head.Hash)
		if h.tree, err = r.TreeHead(); err != nil {
			return err
		}
		for _, kind := range kinds.Names() {
			err := r.Each(kind, func(rec archive.Record) error {
				v, err := r.Stored(kind, rec.Key)
				h.values[rec.Key] = sha256.Sum256(v)
				return err
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
	return h
}

// TestCompressingKeepsEveryHash compresses the records of an archive
// written plainly and finds every hash as it was: the chain recomputed
// from its links, the log's head, each record's logical value, and each
// record's inclusion proof checks against the root taken before.
func TestCompressingKeepsEveryHash(t *testing.T) {
	dir := archivetest.Dir(t)
	jobs, perJob := 10, 40
	want := compressFixture(t, dir, jobs, perJob)
	if plain, compressed := storedForms(t, dir, kinds.DRSJobLogItem); plain != jobs*perJob || compressed != 0 {
		t.Fatalf("before: %d plain and %d compressed log items; want all %d plain", plain, compressed, jobs*perJob)
	}
	before := readHashes(t, dir)
	defer archive.SetCompressBatch(64)()

	st, err := archive.Open(context.Background(), dir, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.CompressRecords(context.Background(), archive.CompressOptions{TrainAt: 100})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != jobs*perJob || len(res.Trained) != 1 || res.Trained[0] != kinds.DRSJobLogItem {
		t.Errorf("compressed %d records, trained %v; want %d log items and the log item dictionary", res.Records, res.Trained, jobs*perJob)
	}
	if wantTx := (jobs*perJob + 63) / 64; res.Transactions != wantTx {
		t.Errorf("%d transactions; want %d of at most 64 records", res.Transactions, wantTx)
	}
	if plain, compressed := storedForms(t, dir, kinds.DRSJobLogItem); plain != 0 || compressed != jobs*perJob {
		t.Errorf("after: %d plain and %d compressed log items; want all %d compressed", plain, compressed, jobs*perJob)
	}
	after := readHashes(t, dir)
	if after.chainHead != before.chainHead || after.tree != before.tree || after.content != before.content {
		t.Errorf("hashes moved: chain %s -> %s, log %v -> %v, content %s -> %s", before.chainHead, after.chainHead, before.tree, after.tree, before.content, after.content)
	}
	if len(after.values) != len(before.values) || len(before.values) == 0 {
		t.Errorf("%d records after, %d before", len(after.values), len(before.values))
	}
	for k, s := range before.values {
		if after.values[k] != s {
			t.Errorf("record %x: logical value changed", k)
		}
	}
	checkLogs(t, dir, want)

	// Every log item proves its inclusion against the root taken before.
	st, err = archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	proved := 0
	err = st.View(func(r *archive.Reader) error {
		tree, err := r.LogTree()
		if err != nil {
			return err
		}
		return r.Each(kinds.DRSJobLogItem, func(rec archive.Record) error {
			stored, err := r.Stored(rec.Kind, rec.Key)
			if err != nil {
				return err
			}
			p, err := tree.RecordProof(rec, stored, before.tree.Size)
			if err != nil {
				return err
			}
			if _, err := archive.VerifyRecordProof(rec.Kind, rec.Key, rec.Data, p, before.tree.Size, before.tree.Hash[:]); err != nil {
				return fmt.Errorf("log item %x: %w", rec.Key, err)
			}
			proved++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if proved != jobs*perJob {
		t.Errorf("%d log items proved; want %d", proved, jobs*perJob)
	}
	st.Close()

	// A second run finds nothing to do, and says so without a transaction.
	st2, err := archive.Open(context.Background(), dir, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := st2.CompressRecords(context.Background(), archive.CompressOptions{TrainAt: 100}); err != nil || res.Records != 0 || res.Transactions != 0 {
		t.Errorf("second run: %+v, %v; want nothing done", res, err)
	}
	st2.Close()

	// The file rewritten without its free pages uses fewer pages (the
	// file of so small an archive is as large as bbolt first makes it)
	// and holds the same archive.
	usedBefore := usedBytes(t, dir)
	if _, _, err := archive.CompactFile(context.Background(), dir, archive.Options{}); err != nil {
		t.Fatal(err)
	}
	if usedAfter := usedBytes(t, dir); usedAfter >= usedBefore {
		t.Errorf("rewritten file: %d bytes of pages, from %d; want fewer", usedAfter, usedBefore)
	}
	if again := readHashes(t, dir); again.chainHead != before.chainHead || again.tree != before.tree || again.content != before.content {
		t.Errorf("hashes moved when the file was rewritten")
	}
	checkLogs(t, dir, want)
	if plain, compressed := storedForms(t, dir, kinds.DRSJobLogItem); plain != 0 || compressed != jobs*perJob {
		t.Errorf("rewritten: %d plain and %d compressed log items", plain, compressed)
	}
}

var errKilled = errors.New("killed")

// TestCompressionStoppedMidway stops the compression after its first
// transaction, as a kill would: the archive holds records of both forms,
// verify passes, everything reads back, and the next run finishes.
func TestCompressionStoppedMidway(t *testing.T) {
	dir := archivetest.Dir(t)
	jobs, perJob := 40, 40
	want := compressFixture(t, dir, jobs, perJob)
	before := readHashes(t, dir)
	defer archive.SetCompressBatch(100)()
	restore := archive.SetCompressHook(func(archive.CompressResult) error { return errKilled })
	_, err := archive.CompressRecordsIn(context.Background(), dir, archive.Options{}, archive.CompressOptions{TrainAt: 100})
	restore()
	if !errors.Is(err, errKilled) {
		t.Fatalf("compression: %v; want it stopped", err)
	}
	if plain, compressed := storedForms(t, dir, kinds.DRSJobLogItem); compressed != 100 || plain != jobs*perJob-100 {
		t.Errorf("stopped: %d plain and %d compressed log items; want the first 100 compressed", plain, compressed)
	}
	checkLogs(t, dir, want)
	if mid := readHashes(t, dir); mid.chainHead != before.chainHead || mid.content != before.content {
		t.Errorf("hashes moved midway")
	}
	res, err := archive.CompressRecordsIn(context.Background(), dir, archive.Options{}, archive.CompressOptions{TrainAt: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != jobs*perJob-100 || len(res.Trained) != 0 {
		t.Errorf("the rest: %+v; want the other %d compressed with the dictionary already trained", res, jobs*perJob-100)
	}
	if plain, _ := storedForms(t, dir, kinds.DRSJobLogItem); plain != 0 {
		t.Errorf("%d log items still plain", plain)
	}
	checkLogs(t, dir, want)

	// The records gave up most of their pages: the file counts as sparse
	// and is rewritten, once. (A file just rewritten keeps a couple of free
	// pages of bbolt's own and the unused room of a page for each small
	// bucket, a large share of a file of a few dozen pages: the least
	// counted is 16 pages.)
	defer archive.SetSparse(0.10, 256<<10)()
	usedBefore := usedBytes(t, dir)
	if _, _, done, err := archive.CompactSparseFile(context.Background(), dir, archive.Options{}); err != nil || !done {
		t.Fatalf("sparse file: rewritten %v, %v; want it rewritten", done, err)
	}
	if used := usedBytes(t, dir); used >= usedBefore {
		t.Errorf("rewritten file: %d bytes of pages, from %d; want fewer", used, usedBefore)
	}
	if _, _, done, err := archive.CompactSparseFile(context.Background(), dir, archive.Options{}); err != nil || done {
		t.Errorf("a file just rewritten: rewritten %v, %v; want it left alone", done, err)
	}
	checkLogs(t, dir, want)
	if after := readHashes(t, dir); after.chainHead != before.chainHead || after.content != before.content {
		t.Errorf("hashes moved when the file was rewritten")
	}
}

// TestDamagedCompressedRecord damages one compressed value in each way a
// file can be damaged: verify names the record, and a read of it fails
// with an error that names it, never a panic.
func TestDamagedCompressedRecord(t *testing.T) {
	base := archivetest.Dir(t)
	compressFixture(t, base, 30, archive.TrainAt/20)
	// Log items written one at a time are compressed alone, not in blocks.
	st := archivetest.Open(t, base)
	ref := archive.JobRef{JobID: "drsjob-0000000000000alone", Region: "us-east-1", Account: "123456789012"}
	for p := 0; p < 5; p++ {
		err := st.Update(func(w *archive.Writer) error {
			_, err := w.PutLogItems([]archive.LogItem{{Job: ref, Pos: p, Record: archive.Record{
				Time: t0.Add(time.Duration(p) * time.Minute), FirstSeen: t0, LastSeen: t0, Data: json.RawMessage(logItemData(99, p))}}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	clean, err := os.ReadFile(filepath.Join(base, archive.FileName))
	if err != nil {
		t.Fatal(err)
	}
	// flip flips a byte of the frame from the middle on, the first whose
	// flip changes what the value reads as: a frame has bits that change
	// nothing (parts of its entropy tables), and a value that reads as
	// the same logical value is the same record.
	flip := func(zt *reczip.Table, v []byte) []byte {
		want, err := zt.Logical(v)
		if err != nil {
			t.Fatal(err)
		}
		for i := len(v) / 2; i < len(v); i++ {
			d := bytes.Clone(v)
			d[i] ^= 0x40
			if got, err := zt.Logical(d); err != nil || !bytes.Equal(got, want) {
				return d
			}
		}
		t.Fatal("no byte of the frame changes what it reads as")
		return nil
	}
	cases := []struct {
		name   string
		damage func(zt *reczip.Table, v []byte) []byte
		// reads says the damaged value decompresses, to other bytes (a
		// frame carries no checksum of its own): verify finds it by the
		// hash of the logical value, as it finds a plain value changed.
		reads bool
	}{
		{"byte flipped in the frame", flip, true},
		{"frame cut short", func(_ *reczip.Table, v []byte) []byte { return v[:len(v)-7] }, false},
		{"unknown dictionary", func(_ *reczip.Table, v []byte) []byte { return append([]byte{0xA2, 0x7F}, v[2:]...) }, false},
		{"dictionary ID cut", func(_ *reczip.Table, v []byte) []byte { return []byte{0xA2, 0x80} }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "archive")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, archive.FileName), clean, 0o600); err != nil {
				t.Fatal(err)
			}
			var victim []byte
			db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte(kinds.DRSJobLogItem))
				c2 := b.Cursor()
				for k, v := c2.First(); k != nil; k, v = c2.Next() {
					if reczip.IsCompressed(v) {
						victim = bytes.Clone(k)
						return b.Put(victim, c.damage(reczip.For(tx), bytes.Clone(v)))
					}
				}
				return errors.New("no record compressed alone")
			})
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			problems, readErr := verifyAndRead(t, dir)
			name := fmt.Sprintf("%x", victim)
			if len(problems) != 1 || !strings.Contains(problems[0], name) {
				t.Errorf("verify found %q; want one problem naming record %s", problems, name)
			}
			if readErr != nil && !strings.Contains(readErr.Error(), name) {
				t.Errorf("read error %q does not name record %s", readErr, name)
			}
			if readErr == nil && !c.reads {
				t.Errorf("the damaged value reads without an error")
			}
		})
	}
}

// verifyAndRead runs verify's checks of the chain on the archive in dir and
// reads every log item: it returns the problems verify found and the
// read's error.
func verifyAndRead(t *testing.T, dir string) (problems []string, readErr error) {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.View(func(r *archive.Reader) error {
		if _, err := r.VerifyChain(context.Background(), func(err error) { problems = append(problems, err.Error()) }); err != nil {
			return err
		}
		readErr = r.Each(kinds.DRSJobLogItem, func(archive.Record) error { return nil })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return problems, readErr
}

// TestSchema13Compressed upgrades the schema 13 fixture (what the archiver
// before compression wrote) and compresses its records: step 14 adds the
// dictionaries, the records compress, every hash stays as it was and
// verify passes.
func TestSchema13Compressed(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "migrations", "testdata", "schema13.db"))
	if err != nil {
		t.Fatal(err)
	}
	dir := archivetest.Dir(t)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, archive.FileName), src, 0o600); err != nil {
		t.Fatal(err)
	}
	from, done, err := archive.Migrate(context.Background(), dir, archive.Options{})
	if err != nil || from != 13 || len(done) == 0 || done[0].Version != 14 {
		t.Fatalf("migrate: from %d, steps %v, %v; want step 14 applied to schema 13 first", from, done, err)
	}
	plain, _ := storedForms(t, dir, kinds.DRSJobLogItem)
	if plain < reczip.MinSamples {
		t.Fatalf("the fixture holds %d log items, too few to train a dictionary: the test proves nothing", plain)
	}
	before := readHashes(t, dir)
	res, err := archive.CompressRecordsIn(context.Background(), dir, archive.Options{}, archive.CompressOptions{TrainAt: reczip.MinSamples})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Trained, kinds.DRSJobLogItem) {
		t.Errorf("trained %v; want the log items' dictionary", res.Trained)
	}
	if p, c := storedForms(t, dir, kinds.DRSJobLogItem); p+c != plain || c == 0 {
		t.Errorf("after: %d plain and %d compressed log items; want some of the %d compressed", p, c, plain)
	}
	after := readHashes(t, dir)
	if after.chainHead != before.chainHead || after.tree != before.tree || after.content != before.content || len(after.values) != len(before.values) {
		t.Errorf("hashes moved: chain %s -> %s, log %v -> %v", before.chainHead, after.chainHead, before.tree, after.tree)
	}
	for k, s := range before.values {
		if after.values[k] != s {
			t.Errorf("record %x: logical value changed", k)
		}
	}
}
