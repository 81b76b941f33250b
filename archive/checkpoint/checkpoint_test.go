package checkpoint

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// counting returns the hash whose bytes are 0, 1, ..., 31.
func counting() (h [HashSize]byte) {
	for i := range h {
		h[i] = byte(i)
	}
	return h
}

func TestMarshalParseRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		c    Checkpoint
	}{
		{"empty tree", Checkpoint{Origin: "example.com/log", Size: 0, Hash: sha256.Sum256(nil)}},
		{"one leaf", Checkpoint{Origin: "example.com/log", Size: 1, Hash: counting()}},
		{"largest size", Checkpoint{Origin: "o", Size: 1<<64 - 1, Hash: counting()}},
		{"extensions", Checkpoint{Origin: "archiver-0a1b2c3d", Size: 42, Hash: counting(), Extensions: []string{"a", "b c", "— x"}}},
		{"unicode origin", Checkpoint{Origin: "journal d'audit – été", Size: 7, Hash: sha256.Sum256([]byte("x"))}},
		{"spaces in origin", Checkpoint{Origin: " leading and trailing ", Size: 10, Hash: counting()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.c.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			body := tt.c.Marshal()
			got, err := Parse(body)
			if err != nil {
				t.Fatalf("Parse(%q): %v", body, err)
			}
			if !equal(got, tt.c) {
				t.Fatalf("Parse(Marshal(c)) = %+v, want %+v", got, tt.c)
			}
			if again := got.Marshal(); string(again) != string(body) {
				t.Fatalf("Marshal(Parse(body)) = %q, want %q", again, body)
			}
			if n := strings.Count(string(body), "\n"); n != 3+len(tt.c.Extensions) {
				t.Fatalf("body has %d lines, want %d", n, 3+len(tt.c.Extensions))
			}
		})
	}
}

func TestParseRefusals(t *testing.T) {
	const hash = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	tests := []struct {
		name, body, want string
	}{
		{"empty", "", "empty"},
		{"no final newline", "o\n1\n" + hash, "does not end in a newline"},
		{"one line", "o\n", "1 lines, want at least 3"},
		{"two lines", "o\n1\n", "2 lines, want at least 3"},
		{"empty origin", "\n1\n" + hash + "\n", "line 1: empty"},
		{"blank line", "o\n1\n" + hash + "\n\next\n", "line 4: empty"},
		{"trailing blank line", "o\n1\n" + hash + "\n\n", "line 4: empty"},
		{"size with leading zero", "o\n01\n" + hash + "\n", `tree size "01" has a leading zero`},
		{"size 00", "o\n00\n" + hash + "\n", "leading zero"},
		{"negative size", "o\n-1\n" + hash + "\n", `tree size "-1" is not a decimal number`},
		{"plus sign", "o\n+1\n" + hash + "\n", "not a decimal number"},
		{"empty size", "o\n\n" + hash + "\n", "line 2: empty"},
		{"size with space", "o\n 1\n" + hash + "\n", "not a decimal number"},
		{"hex size", "o\n0x10\n" + hash + "\n", "not a decimal number"},
		{"huge size", "o\n18446744073709551616\n" + hash + "\n", "out of range"},
		{"very huge size", "o\n" + strings.Repeat("9", 100) + "\n" + hash + "\n", "out of range"},
		{"bad base64", "o\n1\n!!!!\n", "not standard base64"},
		{"unpadded base64", "o\n1\n" + strings.TrimSuffix(hash, "=") + "\n", "not standard base64"},
		{"url base64", "o\n1\n_-_-" + hash[4:] + "\n", "not standard base64"},
		{"non-canonical base64", "o\n1\n" + hash[:42] + "9=\n", "not standard base64"},
		{"short hash", "o\n1\nAAECAw==\n", "root hash is 4 bytes, want 32"},
		{"long hash", "o\n1\n" + strings.Repeat("A", 44) + "\n", "root hash is 33 bytes, want 32"},
		{"hex hash", "o\n1\n" + strings.Repeat("ab", 32) + "\n", "root hash is 48 bytes, want 32"},
		{"CR in origin", "o\r\n1\n" + hash + "\n", "line 1: holds a carriage return"},
		{"CRLF everywhere", "o\r\n1\r\n" + hash + "\r\n", "carriage return"},
		{"tab in origin", "a\tb\n1\n" + hash + "\n", "line 1: holds control character U+0009"},
		{"NUL in extension", "o\n1\n" + hash + "\nx\x00\n", "line 4: holds control character U+0000"},
		{"DEL in origin", "o\x7f\n1\n" + hash + "\n", "control character U+007F"},
		{"invalid UTF-8", "o\xff\n1\n" + hash + "\n", "line 1: is not valid UTF-8"},
		{"too large", "o\n1\n" + hash + "\n" + strings.Repeat("x\n", MaxSize/2), "more than the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.body))
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error containing %q", tt.body, c, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%q) error %q, want it to contain %q", tt.body, err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") || len(err.Error()) > 200 {
				t.Fatalf("error is not one short line: %q", err)
			}
		})
	}
}

func TestValidateRefusals(t *testing.T) {
	tests := []struct {
		name string
		c    Checkpoint
		want string
	}{
		{"empty origin", Checkpoint{Size: 1}, "line 1: empty origin"},
		{"newline in origin", Checkpoint{Origin: "a\nb"}, "line 1: origin holds a newline"},
		{"CR in origin", Checkpoint{Origin: "a\r"}, "carriage return"},
		{"empty extension", Checkpoint{Origin: "o", Extensions: []string{"x", ""}}, "line 5: empty extension line"},
		{"newline in extension", Checkpoint{Origin: "o", Extensions: []string{"x\n"}}, "line 4: extension holds a newline"},
		{"invalid UTF-8 extension", Checkpoint{Origin: "o", Extensions: []string{"\xc3"}}, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			}
			// What Validate refuses, Parse refuses too: Marshal's output is
			// not a body that gives back c.
			if got, err := Parse(tt.c.Marshal()); err == nil && equal(got, tt.c) {
				t.Fatalf("Parse(Marshal(c)) accepted the invalid checkpoint %+v", tt.c)
			}
		})
	}
}

// TestGolden compares Marshal with bodies written by hand from the C2SP
// tlog-checkpoint rules.
func TestGolden(t *testing.T) {
	tests := []struct {
		file string
		c    Checkpoint
	}{
		// RFC 6962: the root of the empty tree is the SHA-256 of nothing.
		{"empty-tree.txt", Checkpoint{Origin: "example.com/archiver/test-log", Size: 0, Hash: sha256.Sum256(nil)}},
		{"extensions.txt", Checkpoint{
			Origin:     "archiver.example/dr-audit",
			Size:       1<<64 - 1,
			Hash:       counting(),
			Extensions: []string{"an extension line", "— not a signature, an extension"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", "golden", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.c.Marshal(); string(got) != string(want) {
				t.Fatalf("Marshal() =\n%q\nwant (%s)\n%q", got, tt.file, want)
			}
			got, err := Parse(want)
			if err != nil {
				t.Fatalf("Parse(%s): %v", tt.file, err)
			}
			if !equal(got, tt.c) {
				t.Fatalf("Parse(%s) = %+v, want %+v", tt.file, got, tt.c)
			}
		})
	}
}

func TestParseNoExtensionsIsNil(t *testing.T) {
	c, err := Parse(Checkpoint{Origin: "o", Size: 3, Extensions: []string{}}.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if c.Extensions != nil {
		t.Fatalf("Extensions = %#v, want nil", c.Extensions)
	}
	if !slices.Equal(c.Extensions, []string{}) {
		t.Fatal("nil and empty extensions differ")
	}
}
