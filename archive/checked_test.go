package archive

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestCheckNote: a settled file whose pages pass is noted, and a later
// open of that same state skips the walk; a fresh file is not noted; an
// edit of the file is a new state, walked again, and its damage found.
func TestCheckNote(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "archive")
	st, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	path, note := filepath.Join(dir, FileName), filepath.Join(dir, CheckedFile)
	forget := func() { checked.Delete(path) } // as a new process would

	os.Remove(note)
	forget()
	if err := checkPagesOnce(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(note); err == nil {
		t.Fatal("a file modified just now was noted as checked")
	}

	past := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, past, past); err != nil {
		t.Fatal(err)
	}
	forget()
	if err := checkPagesOnce(path); err != nil {
		t.Fatal(err)
	}
	stamp, _, err := fileStamp(path)
	if b, rerr := os.ReadFile(note); err != nil || rerr != nil || string(b) != stamp {
		t.Fatalf("note %q (%v), want %q (%v)", b, rerr, stamp, err)
	}

	// Damage a page of the file (its first page past the two meta pages
	// and the free list: the root bucket's leaf) in a new state.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps := int(le.Uint32(b[metaOffset+8:]))
	m, _ := readMeta(fileReaderAt(b))
	root := int(m.root) * ps
	b[root+10], b[root+11] = 0xff, 0xff // the element count
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	later := past.Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	forget()
	if err := checkPagesOnce(path); !errors.Is(err, ErrDamaged) {
		t.Fatalf("check of an edited file: %v, want ErrDamaged", err)
	}
}

// fileReaderAt reads a file's bytes held in memory.
type fileReaderAt []byte

func (b fileReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, os.ErrInvalid
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, os.ErrInvalid
	}
	return n, nil
}
