package archivetest

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
)

// MemStore is an object store in memory that refuses overwrites, as an S3
// export's store does: the ObjectStore of partitioned-export tests.
type MemStore struct {
	mu      sync.Mutex
	Objects map[string][]byte
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{Objects: map[string][]byte{}} }

// Put keeps a copy of body under key, which must not exist yet.
func (s *MemStore) Put(_ context.Context, key string, body []byte, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.Objects[key]; ok {
		return fmt.Errorf("%s exists", key)
	}
	s.Objects[key] = bytes.Clone(body)
	return nil
}

// GunzipLines returns the lines of the gzip'd text b.
func GunzipLines(t testing.TB, b []byte) []string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
}

// ExportParts splits an export document into what comes before the first
// record line, the record lines, and what comes after the last.
func ExportParts(t testing.TB, doc []byte) (head []byte, lines [][]byte, tail []byte) {
	t.Helper()
	start := bytes.Index(doc, []byte("\"records\": [\n")) + len("\"records\": [\n")
	end := bytes.LastIndex(doc, []byte("\n],\n  \"seal\""))
	if start < len("\"records\": [\n") || end < start {
		t.Fatalf("not an export with records:\n%s", doc)
	}
	lines = append(lines, bytes.Split(doc[start:end], []byte(",\n"))...)
	return doc[:start], lines, doc[end:]
}
