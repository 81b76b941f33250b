package reczip

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/internal/recfmt"
)

// samples are logical values of log items, as the archive stores them.
func samples(t testing.TB, n int) [][]byte {
	t.Helper()
	var out [][]byte
	for i := 0; i < n; i++ {
		h := recfmt.Header{Kind: "drs.jobLogItem", Region: "us-east-1", Account: "123456789012",
			JobID: fmt.Sprintf("drsjob-%017x", i/10), Pos: i % 10, HasPos: true}
		data := fmt.Sprintf(`{"event":"SNAPSHOT_%d","eventData":{"sourceServerID":"s-%017x"},"logDateTime":"2026-03-04T10:%02d:00Z"}`, i%5, i*7919, i%60)
		v, err := recfmt.Append(nil, &h, []byte(data))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// table returns a database with one log item dictionary, and its table in
// a read transaction (closed at cleanup).
func table(t testing.TB) (*bolt.DB, *Table) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucket([]byte(Bucket)); err != nil {
			return err
		}
		_, err := For(tx).Add(1, samples(t, 200))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin(false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	return db, For(tx)
}

func TestRoundTrip(t *testing.T) {
	_, zt := table(t)
	for i, v := range samples(t, 50) {
		sv, ok, err := zt.AppendStored(nil, 1, v)
		if err != nil || !ok {
			t.Fatalf("sample %d: compressed %v, %v", i, ok, err)
		}
		if len(sv) >= len(v) || !IsCompressed(sv) {
			t.Errorf("sample %d: %d bytes stored for %d", i, len(sv), len(v))
		}
		got, err := zt.Logical(sv)
		if err != nil || !bytes.Equal(got, v) {
			t.Errorf("sample %d: reads back %q, %v", i, got, err)
		}
		if got, err := zt.Logical(v); err != nil || !bytes.Equal(got, v) {
			t.Errorf("sample %d: a plain value reads back %q, %v", i, got, err)
		}
	}
	// A kind without a dictionary is stored plainly.
	v := samples(t, 1)[0]
	if sv, ok, err := zt.AppendStored(nil, 2, v); err != nil || ok || !bytes.Equal(sv, v) {
		t.Errorf("kind without a dictionary: %v, %v", ok, err)
	}
}

// FuzzLogical: whatever a stored value holds, reading it gives the
// logical value or an error, never a panic, and a value read without an
// error is a record in the recfmt layout.
func FuzzLogical(f *testing.F) {
	_, zt := table(f)
	for _, v := range samples(f, 3) {
		sv, _, err := zt.AppendStored(nil, 1, v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(sv)
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		out, err := zt.Logical(v)
		if err != nil {
			return
		}
		if IsCompressed(v) && (len(out) == 0 || out[0] != recfmt.Marker) {
			t.Fatalf("%x reads as %x, not a record", v, out)
		}
	})
}

// TestTrainRefuses: samples that make no dictionary give ErrTrain, which
// the archive takes as "store plainly", never a failed write.
func TestTrainRefuses(t *testing.T) {
	cases := []struct {
		name    string
		samples [][]byte
	}{
		{"too few", samples(t, MinSamples-1)},
		{"empty values", make([][]byte, 100)},
		{"one byte each", bytes.Split(bytes.Repeat([]byte("a,"), 100), []byte(","))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Train(c.samples, 1)
			if err == nil {
				// The builder may still make something of it; then it
				// must be a dictionary a codec can load.
				if _, err := newCodec(1, d); err != nil {
					t.Errorf("trained a dictionary no codec loads: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrTrain) {
				t.Errorf("error %v does not wrap ErrTrain", err)
			}
		})
	}
}
