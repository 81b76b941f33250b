package checkpoint

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/archiver-dev/archiver/internal/outfile"
)

// Ext ends the name of every checkpoint file in a witness directory.
const Ext = ".checkpoint"

// FileMode is the mode of a checkpoint file WriteFile writes: a checkpoint
// is public, made to be shared with auditors.
const FileMode fs.FileMode = 0o644

// ErrConflict is returned by WriteFile when the witness directory already
// holds a different file for the same tree size and root hash prefix.
var ErrConflict = errors.New("a different checkpoint file is already there")

// FileName is the name of c's file in a witness directory: the tree size
// zero-padded to 20 digits (so that names sort by size), "-", the first 16
// hex digits of the root hash, and Ext.
func FileName(c Checkpoint) string {
	return fmt.Sprintf("%020d-%s%s", c.Size, hex.EncodeToString(c.Hash[:8]), Ext)
}

// File is a checkpoint file read from a witness directory.
type File struct {
	// Path is the file's path: the directory joined with its name.
	Path string
	// Checkpoint is what the file says, its signatures unchecked.
	Checkpoint Checkpoint
	// Signed says whether the file is a signed note rather than a body alone.
	Signed bool
	// Data is the file's content, for Open to check its signatures.
	Data []byte
}

// ReadFiles reads every checkpoint file of a witness directory: every file
// whose name ends in Ext and does not begin with "." (temporary files do),
// following symbolic links; other files and subdirectories are ignored. Each
// is read with ParseUnverified, and one that does not parse is an error. The
// files come sorted by tree size, then by name.
func ReadFiles(dir string) ([]File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("witness directory: %w", err)
	}
	var files []File
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, Ext) || strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(dir, name)
		data, ok, err := readFile(path)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		c, signed, err := ParseUnverified(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		files = append(files, File{Path: path, Checkpoint: c, Signed: signed, Data: data})
	}
	slices.SortFunc(files, func(a, b File) int {
		return cmp.Or(cmp.Compare(a.Checkpoint.Size, b.Checkpoint.Size), strings.Compare(a.Path, b.Path))
	})
	return files, nil
}

// ReadDir reads the checkpoints of a witness directory, as ReadFiles does,
// sorted by tree size, then by file name. Their signatures are not checked:
// use ReadFiles and Open for that.
func ReadDir(dir string) ([]Checkpoint, error) {
	files, err := ReadFiles(dir)
	if err != nil {
		return nil, err
	}
	cs := make([]Checkpoint, len(files))
	for i, f := range files {
		cs[i] = f.Checkpoint
	}
	return cs, nil
}

// readFile reads a regular file of at most MaxSize bytes; ok is false for
// anything else than a regular file (a directory, a FIFO), which a witness
// directory ignores.
func readFile(path string) (data []byte, ok bool, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, false, fmt.Errorf("checkpoint file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, false, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("checkpoint file: %w", err)
	}
	defer f.Close()
	data, err = io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, false, fmt.Errorf("checkpoint file: %w", err)
	}
	if len(data) > MaxSize {
		return nil, false, fmt.Errorf("%s: more than the limit of %d bytes for a checkpoint", path, MaxSize)
	}
	return data, true, nil
}

// WriteFile writes c into the witness directory dir, which must exist, as
// FileName(c), and returns its path. The content is signed, a signed note
// whose body must be c (as Sign returns it), or c's body alone when signed
// is nil. The file is written atomically (a temporary file, synced, then
// linked into place) and never replaced: if the file is already there with
// the same content, WriteFile does nothing; with other content, it fails
// with ErrConflict, because a witness never rewrites history.
func WriteFile(dir string, c Checkpoint, signed []byte) (string, error) {
	if err := c.Validate(); err != nil {
		return "", fmt.Errorf("write checkpoint: %w", err)
	}
	data := signed
	if data == nil {
		data = c.Marshal()
	} else {
		got, _, err := ParseUnverified(signed)
		if err != nil {
			return "", fmt.Errorf("write checkpoint: %w", err)
		}
		if !equal(got, c) {
			return "", fmt.Errorf("write checkpoint: the signed note is of %v, not of %v", got, c)
		}
	}
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return "", fmt.Errorf("witness directory: %w", err)
	case !fi.IsDir():
		return "", fmt.Errorf("witness directory %s: not a directory", dir)
	}
	path := filepath.Join(dir, FileName(c))
	if done, err := same(path, data); done || err != nil {
		return path, err
	}
	out, err := outfile.Create(context.Background(), path, outfile.Options{Mode: FileMode})
	if errors.Is(err, outfile.ErrExists) {
		// Written meanwhile by another writer.
		_, err := same(path, data)
		return path, err
	}
	if err != nil {
		return "", fmt.Errorf("write checkpoint: %w", err)
	}
	defer out.Abort()
	if out.Kind() != outfile.Regular {
		return "", fmt.Errorf("write checkpoint %s: not a regular file", path)
	}
	if _, err := out.Write(data); err != nil {
		return "", fmt.Errorf("write checkpoint %s: %w", path, err)
	}
	if err := out.Commit(); err != nil {
		if errors.Is(err, outfile.ErrExists) {
			_, err := same(path, data)
			return path, err
		}
		return "", fmt.Errorf("write checkpoint: %w", err)
	}
	return path, nil
}

// same reports whether path exists with content data (true, nil), does not
// exist (false, nil), or exists with other content (ErrConflict).
func same(path string, data []byte) (bool, error) {
	_, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("checkpoint file: %w", err)
	}
	old, ok, err := readFile(path)
	if err != nil {
		return false, fmt.Errorf("write checkpoint: compare with the file already there: %w", err)
	}
	if !ok {
		return false, fmt.Errorf("write checkpoint %s: not a regular file", path)
	}
	if bytes.Equal(old, data) {
		return true, nil
	}
	return false, fmt.Errorf("write checkpoint %s: %w (%s)", path, ErrConflict, conflict(old, data))
}

// conflict says how an existing checkpoint file differs from what was to be
// written there.
func conflict(old, data []byte) string {
	oc, _, err := ParseUnverified(old)
	if err != nil {
		return "it is not a checkpoint"
	}
	nc, _, _ := ParseUnverified(data)
	if equal(oc, nc) {
		return "the same checkpoint, with other signatures"
	}
	return fmt.Sprintf("it holds %v, not %v", oc, nc)
}

// equal reports whether a and b are the same checkpoint.
func equal(a, b Checkpoint) bool {
	return a.Origin == b.Origin && a.Size == b.Size && a.Hash == b.Hash && slices.Equal(a.Extensions, b.Extensions)
}
