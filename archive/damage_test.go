package archive

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// FuzzCheckPages: the checks of a file's meta and pages never panic nor
// run away on any bytes; a file they pass, bbolt walks (every bucket, every
// key) without a fault or panic that protect does not turn into an error.
func FuzzCheckPages(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), FileName)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := checkSize(path); err != nil && !errors.Is(err, ErrDamaged) {
			t.Fatalf("checkSize: %v is no damage", err)
		}
		if err := checkPages(path); err != nil {
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("checkPages: %v is no damage", err)
			}
			return
		}
		if len(data) == 0 {
			return
		}
		var db *bolt.DB
		err := protect(path, func() error {
			var err error
			db, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, PreLoadFreelist: true})
			return err
		})
		if err != nil {
			return
		}
		// Close as a Store does: a read stopped by a broken page may leave
		// bbolt holding its own locks.
		s := &Store{db: db, path: path}
		defer s.Close()
		_ = s.view(func(tx *bolt.Tx) error {
			return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				return b.ForEach(func(k, v []byte) error { return nil })
			})
		})
	})
}

// TestOpenOfBrokenFreeList: a free list whose count is absurd is refused
// as damaged, by the first open and every later one, before bbolt
// allocates what the count says (which would end the process).
func TestOpenOfBrokenFreeList(t *testing.T) {
	for _, tc := range []struct {
		name  string
		count uint16
		ids   []uint64
	}{
		{"absurd count", 0xFFFF, []uint64{1 << 40}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st, err := Open(t.Context(), dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, FileName)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// A meta page: a 16-byte page header, magic, version, page size
			// and flags, the root bucket (16 bytes), then the free list's
			// page ID.
			// The meta in use is the one of the later transaction (at 64).
			ps := int(binary.LittleEndian.Uint32(b[16+8:]))
			m := 0
			if binary.LittleEndian.Uint64(b[ps+64:]) > binary.LittleEndian.Uint64(b[64:]) {
				m = ps
			}
			free := int(binary.LittleEndian.Uint64(b[m+16+32:]))
			at := free * ps
			if ps < 1024 || at+ps > len(b) {
				t.Fatalf("page size %d, free list at page %d of a %d-byte file", ps, free, len(b))
			}
			binary.LittleEndian.PutUint16(b[at+10:], tc.count)
			for i, id := range tc.ids {
				binary.LittleEndian.PutUint64(b[at+16+8*i:], id)
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				_, err := Open(t.Context(), dir, Options{LockTimeout: 2 * time.Second})
				if !errors.Is(err, ErrDamaged) {
					t.Fatalf("open %d: %v, want the file refused as damaged", i+1, err)
				}
			}
		})
	}
}
