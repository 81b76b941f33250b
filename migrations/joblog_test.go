package migrations_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/joblist"
	"github.com/archiver-dev/archiver/migrations"
)

// packStep is the step that packs the job-log index.
func packStep(t *testing.T) migrations.Step {
	t.Helper()
	for _, s := range migrations.Steps() {
		if s.Name == "packed-logs" {
			return s
		}
	}
	t.Fatal("no step packed-logs")
	return migrations.Step{}
}

// rawLists reads the job-log index of a file before the step: each job's
// entry as the list of raw 16-byte keys it is.
func rawLists(t *testing.T, tx *bolt.Tx) map[string][][16]byte {
	t.Helper()
	out := map[string][][16]byte{}
	err := tx.Bucket([]byte("joblog")).ForEach(func(k, v []byte) error {
		if len(v)%16 != 0 {
			t.Fatalf("entry %q is %d bytes, not a list of raw keys", k, len(v))
		}
		list := [][16]byte{}
		for i := 0; i < len(v); i += 16 {
			list = append(list, [16]byte(v[i:i+16]))
		}
		out[string(k)] = list
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// packedLists reads the job-log index of a file after the step.
func packedLists(t *testing.T, tx *bolt.Tx) (map[string][][16]byte, map[string][]byte) {
	t.Helper()
	lists, vals := map[string][][16]byte{}, map[string][]byte{}
	err := tx.Bucket([]byte("joblog")).ForEach(func(k, v []byte) error {
		keys, err := joblist.Decode[[16]byte]([][16]byte{}, v)
		if err != nil {
			t.Errorf("entry %q after the step: %v", k, err)
		}
		lists[string(k)], vals[string(k)] = keys, bytes.Clone(v)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return lists, vals
}

func rawKey(ns int64, seq uint64) [16]byte {
	var k [16]byte
	binary.BigEndian.PutUint64(k[:8], uint64(ns)^(1<<63))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

// TestPackJobLogs: on a file at schema 14, the step rewrites every entry of
// the job-log index, whatever keys it lists, into the packed layout that
// decodes to the same keys in the same order; each entry is smaller; the
// step run again changes nothing; an entry that claims to be packed but
// does not decode fails the step, naming the job.
func TestPackJobLogs(t *testing.T) {
	at := time.Date(2025, 9, 1, 2, 10, 35, 14471000, time.UTC).UnixNano()
	var long [][16]byte
	for i := range 300 {
		long = append(long, rawKey(at+int64(i)*3_000_017_000, 50_000+uint64(i)))
	}
	lists := map[string][][16]byte{
		"drsjob-00000000000000001\x00us-east-1\x00123456789012\x00": long,
		"drsjob-00000000000000002\x00us-east-1\x00123456789012\x00": {rawKey(at, 7)},
		"drsjob-00000000000000003\x00eu-west-1\x00123456789012\x00": {rawKey(at+5e9, 9), rawKey(at, 8), rawKey(at, 8), rawKey(at+1, 2)},
		"drsjob-00000000000000004\x00us-east-1\x00210987654321\x00": {rawKey(-1, 1), rawKey(time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano(), 2)},
		"drsjob-00000000000000005\x00us-east-1\x00123456789012\x00": {rawKey(math.MinInt64, math.MaxUint64), rawKey(math.MaxInt64, 0), rawKey(0, 1<<63)},
		"drsjob-00000000000000006\x00us-east-1\x00123456789012\x00": {},
	}
	db := openDB(t)
	err := db.Update(func(tx *bolt.Tx) error {
		for _, s := range migrations.Steps() {
			if s.Version <= 14 {
				if err := s.Apply(tx); err != nil {
					return err
				}
			}
		}
		if err := tx.Bucket([]byte(migrations.MetaBucket)).Put([]byte(migrations.VersionKey), []byte{0, 0, 0, 14}); err != nil {
			return err
		}
		for k, keys := range lists {
			var v []byte
			for _, key := range keys {
				v = append(v, key[:]...)
			}
			if err := tx.Bucket([]byte("joblog")).Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var before map[string][][16]byte
	db.View(func(tx *bolt.Tx) error { before = rawLists(t, tx); return nil })
	if len(before) != len(lists) {
		t.Fatalf("the file holds %d lists, want %d", len(before), len(lists))
	}

	step := packStep(t)
	err = db.Update(func(tx *bolt.Tx) error {
		done, err := migrations.Apply(tx)
		if !slices.ContainsFunc(done, func(s migrations.Step) bool { return s.Name == step.Name }) {
			t.Errorf("applied %s to a schema 14 file; want %s among them", names(done), step.Name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var vals map[string][]byte
	db.View(func(tx *bolt.Tx) error {
		var after map[string][][16]byte
		after, vals = packedLists(t, tx)
		for k, want := range before {
			if !slices.Equal(after[k], want) {
				t.Errorf("list of %q after the step: %x, want %x", k, after[k], want)
			}
			if len(want) > 0 && len(vals[k]) >= 16*len(want) {
				t.Errorf("list of %q: %d keys in %d bytes after the step", k, len(want), len(vals[k]))
			}
		}
		if len(after) != len(before) {
			t.Errorf("%d lists after the step, %d before", len(after), len(before))
		}
		if n := len(vals["drsjob-00000000000000001\x00us-east-1\x00123456789012\x00"]); n > 6*len(long) {
			t.Errorf("a log of %d items to the microsecond packed in %d bytes; want at most 6 a key", len(long), n)
		}
		if v, _ := migrations.Version(tx); v != migrations.Latest() {
			t.Errorf("version %d after the step, want %d", v, migrations.Latest())
		}
		return nil
	})

	// Run again, the step finds every entry packed and changes none.
	if err := db.Update(step.Apply); err != nil {
		t.Fatalf("the step run again: %v", err)
	}
	db.View(func(tx *bolt.Tx) error {
		_, again := packedLists(t, tx)
		for k, v := range vals {
			if !bytes.Equal(again[k], v) {
				t.Errorf("the step run again rewrote the list of %q: %x, was %x", k, again[k], v)
			}
		}
		return nil
	})

	// A damaged packed entry fails the step.
	damaged := "drsjob-00000000000000002\x00us-east-1\x00123456789012\x00"
	err = db.Update(func(tx *bolt.Tx) error {
		v := vals[damaged]
		return tx.Bucket([]byte("joblog")).Put([]byte(damaged), v[:len(v)-1])
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(step.Apply)
	if err == nil || !strings.Contains(err.Error(), "drsjob-00000000000000002") {
		t.Errorf("the step on a damaged entry: %v; want an error naming the job", err)
	}
}

// TestSchema14Upgrade migrates the schema 14 fixture: every job's log reads
// back, item by item, as the raw lists of the fixture list it, and the
// archive verifies clean.
func TestSchema14Upgrade(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "archive")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("testdata", "schema14.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, archive.FileName)
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var before map[string][][16]byte
	db.View(func(tx *bolt.Tx) error { before = rawLists(t, tx); return nil })
	db.Close()
	items := 0
	for _, l := range before {
		items += len(l)
	}
	if len(before) < 2 || items < 5 {
		t.Fatalf("the fixture holds %d job logs of %d items: the test proves nothing", len(before), items)
	}

	ctx := context.Background()
	from, done, err := archive.Migrate(ctx, dir, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	step := packStep(t)
	if from != 14 || !slices.ContainsFunc(done, func(s migrations.Step) bool { return s.Name == step.Name }) {
		t.Fatalf("migrate: from schema %d, applied %s; want %s applied to schema 14", from, names(done), step.Name)
	}
	st, err := archive.Open(ctx, dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, err := range st.Check() {
		t.Errorf("consistency check: %v", err)
	}
	err = st.View(func(r *archive.Reader) error {
		for prefix, want := range before {
			parts := strings.Split(strings.TrimSuffix(prefix, "\x00"), "\x00")
			ref := archive.JobRef{JobID: parts[0], Region: parts[1], Account: parts[2]}
			var got [][16]byte
			err := r.JobLog(ref, func(rec archive.Record) error {
				if rec.Pos == nil || *rec.Pos != len(got) || rec.JobID != ref.JobID {
					t.Errorf("log of %s: item %d has position %v, job %q", ref.JobID, len(got), rec.Pos, rec.JobID)
				}
				got = append(got, [16]byte(rec.Key))
				return nil
			})
			if err != nil {
				return err
			}
			if !slices.Equal(got, want) {
				t.Errorf("log of %s: keys %x, want %x", ref.JobID, got, want)
			}
		}
		if err := r.VerifyDerived(context.Background(), func(err error) { t.Errorf("verify after the upgrade: %v", err) }); err != nil {
			return err
		}
		_, err := r.VerifyChain(context.Background(), func(err error) { t.Errorf("verify after the upgrade: %v", err) })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
