package archive

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

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
