package checkpoint

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics and accepts only the bodies
// Marshal writes: what it accepts is valid and marshals back to the same
// bytes.
func FuzzParse(f *testing.F) {
	f.Add([]byte("example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"))
	f.Add([]byte("o\n01\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := Parse(body)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of more than one line: %q", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted %q, which Validate refuses: %v", body, err)
		}
		if got := c.Marshal(); !bytes.Equal(got, body) {
			t.Fatalf("Parse(%q) = %+v, which marshals to %q", body, c, got)
		}
	})
}

// FuzzParseUnverified checks that ParseUnverified never panics, that an
// unsigned checkpoint it accepts is exactly a body, and that a signed one
// begins with its body and a blank line.
func FuzzParseUnverified(f *testing.F) {
	c := Checkpoint{Origin: "example.com/log", Size: 3, Hash: counting()}
	sn, err := Sign(c, "archive-signer", testKey("a"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sn)
	f.Add(c.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		c, signed, err := ParseUnverified(b)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of more than one line: %q", err)
			}
			return
		}
		body := c.Marshal()
		if !signed {
			if !bytes.Equal(body, b) {
				t.Fatalf("ParseUnverified(%q) = %+v, unsigned, which marshals to %q", b, c, body)
			}
			return
		}
		if !bytes.HasPrefix(b, append(body, '\n')) {
			t.Fatalf("ParseUnverified(%q) = %+v, signed, but the note does not begin with its body %q", b, c, body)
		}
		// Where the signature verifies, Open reads the same checkpoint.
		if oc, err := Open(b, pubOf(testKey("a")), "archive-signer"); err == nil && !equal(oc, c) {
			t.Fatalf("Open = %+v, ParseUnverified = %+v", oc, c)
		}
	})
}
