package s3dest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DirStore writes export objects as files under a directory, each key a
// path below it, never over an existing file. It is the ObjectStore of an
// export to a directory: the same layout as in S3, for engines that read
// files (DuckDB's read_json, ClickHouse's file()) or for a later
// 'aws s3 sync'.
type DirStore struct {
	root string
}

// NewDirStore returns a DirStore writing under root, which it creates when
// missing.
func NewDirStore(root string) (*DirStore, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return &DirStore{root: root}, nil
}

// Put writes body to the file key names under the root, creating its
// directories; an existing file is refused, as S3 refuses an existing key.
func (d *DirStore) Put(ctx context.Context, key string, body []byte, _ string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rel := filepath.FromSlash(key)
	if !filepath.IsLocal(rel) || strings.Contains(key, "\\") {
		return fmt.Errorf("export: key %q is not a path inside %s", key, d.root)
	}
	p := filepath.Join(d.root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("export: %s exists already: an export never replaces a file", p)
	} else if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := f.Write(body); err != nil {
		f.Close()
		return fmt.Errorf("export: write %s: %w", p, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("export: write %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("export: write %s: %w", p, err)
	}
	return nil
}

var _ ObjectStore = (*DirStore)(nil)
var _ ObjectStore = (*Store)(nil)
