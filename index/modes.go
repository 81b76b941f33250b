package index

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Modes of what the index writes: the archive's contents are for its owner
// alone, and the index holds their words.
const (
	fileMode = 0o600
	dirMode  = 0o700
)

// restrictModes gives every file under path mode 0600 and every directory
// 0700. bleve creates its own files, some (index_meta.json) with 0666 less
// the umask; this makes the result independent of the umask.
func restrictModes(path string) error {
	return filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(fileMode)
		if d.IsDir() {
			mode = dirMode
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode().Perm() == mode {
			return nil
		}
		if err := os.Chmod(p, mode); err != nil {
			return fmt.Errorf("restrict modes of %s: %w", p, err)
		}
		return nil
	})
}
