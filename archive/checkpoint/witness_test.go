package checkpoint

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestFileName(t *testing.T) {
	tests := []struct {
		c    Checkpoint
		want string
	}{
		{Checkpoint{Origin: "o", Size: 5, Hash: counting()}, "00000000000000000005-0001020304050607.checkpoint"},
		{Checkpoint{Origin: "o", Size: 0, Hash: sha256.Sum256(nil)}, "00000000000000000000-e3b0c44298fc1c14.checkpoint"},
		{Checkpoint{Origin: "o", Size: 1<<64 - 1}, "18446744073709551615-0000000000000000.checkpoint"},
	}
	for _, tt := range tests {
		if got := FileName(tt.c); got != tt.want {
			t.Errorf("FileName(size %d) = %q, want %q", tt.c.Size, got, tt.want)
		}
	}
}

func TestWriteFileReadDir(t *testing.T) {
	dir := t.TempDir()
	key := testKey("a")
	const name = "archive-signer"
	// Written out of order; two share a size (a fork, which an auditor must
	// see), and some are signed.
	cps := []struct {
		c    Checkpoint
		sign bool
	}{
		{Checkpoint{Origin: "log", Size: 100, Hash: sha256.Sum256([]byte("100"))}, true},
		{Checkpoint{Origin: "log", Size: 9, Hash: sha256.Sum256([]byte("9"))}, false},
		{Checkpoint{Origin: "log", Size: 100, Hash: sha256.Sum256([]byte("fork"))}, false},
		{Checkpoint{Origin: "log", Size: 0, Hash: sha256.Sum256(nil)}, true},
		{Checkpoint{Origin: "log", Size: 10, Hash: sha256.Sum256([]byte("10")), Extensions: []string{"x"}}, true},
	}
	written := map[string][]byte{}
	for _, cp := range cps {
		var signed []byte
		if cp.sign {
			var err error
			if signed, err = Sign(cp.c, name, key); err != nil {
				t.Fatal(err)
			}
		}
		path, err := WriteFile(dir, cp.c, signed)
		if err != nil {
			t.Fatalf("WriteFile(size %d): %v", cp.c.Size, err)
		}
		if path != filepath.Join(dir, FileName(cp.c)) {
			t.Fatalf("WriteFile wrote %s, want %s", path, FileName(cp.c))
		}
		want := signed
		if want == nil {
			want = cp.c.Marshal()
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s holds %q (%v), want %q", path, got, err, want)
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != FileMode {
			t.Fatalf("%s: mode %v (%v), want %v", path, fi.Mode().Perm(), err, FileMode)
		}
		written[path] = want
	}
	// Files a witness directory ignores.
	for name, content := range map[string]string{
		"README":    "not a checkpoint",
		"notes.txt": "o\n1\n",
		".00000000000000000001-x.checkpoint.tmp-1-abcdefabcdef": "partial",
		".hidden.checkpoint": "partial",
		"checkpoint":         "no extension",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.checkpoint"), 0o700); err != nil {
		t.Fatal(err)
	}

	files, err := ReadFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(cps) {
		t.Fatalf("ReadFiles: %d files, want %d", len(files), len(cps))
	}
	for i, f := range files {
		if !bytes.Equal(f.Data, written[f.Path]) {
			t.Fatalf("%s: Data %q, want %q", f.Path, f.Data, written[f.Path])
		}
		if i > 0 {
			prev := files[i-1]
			if prev.Checkpoint.Size > f.Checkpoint.Size || prev.Checkpoint.Size == f.Checkpoint.Size && prev.Path >= f.Path {
				t.Fatalf("ReadFiles not sorted by size then name: %s before %s", prev.Path, f.Path)
			}
		}
		if f.Signed {
			c, err := Open(f.Data, pubOf(key), name)
			if err != nil || !equal(c, f.Checkpoint) {
				t.Fatalf("Open(%s) = %+v, %v", f.Path, c, err)
			}
		}
	}
	cs, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []string
	for _, c := range cs {
		sizes = append(sizes, strconv.FormatUint(c.Size, 10))
	}
	if got := strings.Join(sizes, " "); got != "0 9 10 100 100" {
		t.Fatalf("ReadDir sizes %s, want 0 9 10 100 100", got)
	}
	if !equal(cs[2], cps[4].c) {
		t.Fatalf("ReadDir[2] = %+v, want %+v", cs[2], cps[4].c)
	}

	// Writing the same checkpoint again is fine; a different file for the
	// same name is refused and leaves the file as it was.
	c := cps[0].c
	signed, _ := Sign(c, name, key)
	path := filepath.Join(dir, FileName(c))
	if p, err := WriteFile(dir, c, signed); err != nil || p != path {
		t.Fatalf("rewriting the same file: %s, %v", p, err)
	}
	conflicts := []struct {
		name   string
		c      Checkpoint
		signed []byte
		want   string
	}{
		{"unsigned over signed", c, nil, "the same checkpoint, with other signatures"},
		{"another signer", c, mustSign(t, c, "witness", testKey("w")), "the same checkpoint, with other signatures"},
		{"another origin", Checkpoint{Origin: "other-log", Size: c.Size, Hash: c.Hash}, nil, `it holds "log" size 100`},
		{"another extension", Checkpoint{Origin: "log", Size: c.Size, Hash: c.Hash, Extensions: []string{"e"}}, nil, "not \"log\""},
		// Same size and first 8 bytes of the hash, different hash.
		{"same hash prefix", Checkpoint{Origin: "log", Size: c.Size, Hash: withLastByte(c.Hash)}, nil, "it holds"},
	}
	for _, tt := range conflicts {
		t.Run(tt.name, func(t *testing.T) {
			_, err := WriteFile(dir, tt.c, tt.signed)
			if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("WriteFile = %v, want %v containing %q", err, ErrConflict, tt.want)
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, signed) {
				t.Fatalf("%s changed: %q, %v", path, got, err)
			}
		})
	}
	if again, err := ReadDir(dir); err != nil || len(again) != len(cs) {
		t.Fatalf("after the refusals ReadDir = %d, %v, want %d", len(again), err, len(cs))
	}
}

func mustSign(t *testing.T, c Checkpoint, name string, key []byte) []byte {
	t.Helper()
	b, err := Sign(c, name, key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func withLastByte(h [HashSize]byte) [HashSize]byte {
	h[HashSize-1] ^= 0xff
	return h
}

func TestWriteFileRefusals(t *testing.T) {
	dir := t.TempDir()
	c := Checkpoint{Origin: "log", Size: 3, Hash: counting()}
	other := Checkpoint{Origin: "log", Size: 4, Hash: counting()}
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		dir    string
		c      Checkpoint
		signed []byte
		want   string
	}{
		{"invalid checkpoint", dir, Checkpoint{Size: 1}, nil, "empty origin"},
		{"signed note of another checkpoint", dir, c, mustSign(t, other, "n", testKey("a")), "the signed note is of"},
		{"signed bytes that are no checkpoint", dir, c, []byte("hello\n"), "want at least 3"},
		{"missing directory", filepath.Join(dir, "missing"), c, nil, "witness directory"},
		{"not a directory", notDir, c, nil, "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := WriteFile(tt.dir, tt.c, tt.signed)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("WriteFile: %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if cs, err := ReadDir(dir); err != nil || len(cs) != 0 {
		t.Fatalf("ReadDir after refusals = %v, %v; want nothing written", cs, err)
	}
}

func TestReadDirRefusals(t *testing.T) {
	t.Run("missing directory", func(t *testing.T) {
		if _, err := ReadDir(filepath.Join(t.TempDir(), "missing")); err == nil {
			t.Fatal("ReadDir of a missing directory succeeded")
		}
	})
	t.Run("malformed checkpoint file", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := WriteFile(dir, Checkpoint{Origin: "log", Size: 1, Hash: counting()}, nil); err != nil {
			t.Fatal(err)
		}
		bad := filepath.Join(dir, "00000000000000000002-0000000000000000.checkpoint")
		if err := os.WriteFile(bad, []byte("log\n02\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ReadDir(dir)
		if err == nil || !strings.Contains(err.Error(), bad) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("ReadDir: %v, want one line naming %s", err, bad)
		}
	})
	t.Run("too large", func(t *testing.T) {
		dir := t.TempDir()
		big := filepath.Join(dir, "big.checkpoint")
		if err := os.WriteFile(big, bytes.Repeat([]byte("x"), MaxSize+1), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadDir(dir); err == nil || !strings.Contains(err.Error(), "limit") {
			t.Fatalf("ReadDir: %v, want the size limit", err)
		}
	})
}
