package checkpoint

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// testKey returns a fixed key made from seed.
func testKey(seed string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte(seed))
	return ed25519.NewKeyFromSeed(s[:])
}

func pubOf(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

func testCheckpoint() Checkpoint {
	return Checkpoint{Origin: "example.com/archiver/test-log", Size: 1234, Hash: counting(), Extensions: []string{"ext"}}
}

func TestSignIsANoteOfTheBody(t *testing.T) {
	key := testKey("a")
	c := testCheckpoint()
	const name = "archive-signer"
	signed, err := Sign(c, name, key)
	if err != nil {
		t.Fatal(err)
	}
	body := string(c.Marshal())
	if !strings.HasPrefix(string(signed), body+"\n— "+name+" ") {
		t.Fatalf("signed note %q does not begin with the body, a blank line and a signature line by %s", signed, name)
	}
	sigs := strings.TrimPrefix(string(signed), body+"\n")
	if !regexp.MustCompile(`^— archive-signer [A-Za-z0-9+/]{91}=\n$`).MatchString(sigs) {
		// 4 bytes of key hash and 64 of signature: 68 bytes, 92 base64 characters.
		t.Fatalf("signature lines %q, want one line of a 68-byte signature", sigs)
	}

	// golang.org/x/mod/sumdb/note accepts it with the verifier key...
	vkey, err := VerifierKey(name, pubOf(key))
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatalf("note.NewVerifier(%q): %v", vkey, err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		t.Fatalf("note.Open: %v", err)
	}
	if n.Text != body || len(n.Sigs) != 1 || n.Sigs[0].Name != name {
		t.Fatalf("note.Open = %+v, want the body signed once by %s", n, name)
	}

	// ...and refuses it with another key under the same name.
	other, err := VerifierKey(name, pubOf(testKey("b")))
	if err != nil {
		t.Fatal(err)
	}
	ov, err := note.NewVerifier(other)
	if err != nil {
		t.Fatal(err)
	}
	_, err = note.Open(signed, note.VerifierList(ov))
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		t.Fatalf("note.Open with another key: %v, want an UnverifiedNoteError", err)
	}

	// Open gives back the checkpoint.
	got, err := Open(signed, pubOf(key), name)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !equal(got, c) {
		t.Fatalf("Open = %+v, want %+v", got, c)
	}
}

func TestOpenRefusals(t *testing.T) {
	key := testKey("a")
	const name = "archive-signer"
	c := testCheckpoint()
	signed, err := Sign(c, name, key)
	if err != nil {
		t.Fatal(err)
	}
	otherSigned, err := Sign(c, "witness", testKey("w"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		signed []byte
		pub    ed25519.PublicKey
		signer string
		want   error
	}{
		{"another key", signed, pubOf(testKey("b")), name, ErrUnsigned},
		{"another name", signed, pubOf(key), "someone-else", ErrUnsigned},
		{"signed by someone else only", otherSigned, pubOf(key), name, ErrUnsigned},
		{"body alone", c.Marshal(), pubOf(key), name, ErrMalformed},
		{"empty", nil, pubOf(key), name, ErrMalformed},
		{"no signature lines", append(c.Marshal(), '\n'), pubOf(key), name, ErrMalformed},
		{"CRLF", bytes.ReplaceAll(signed, []byte("\n"), []byte("\r\n")), pubOf(key), name, ErrMalformed},
		{"signature line without dash", bytes.Replace(signed, []byte("— "), []byte("- "), 1), pubOf(key), name, ErrMalformed},
		{"signature replaced", append(append(c.Marshal(), '\n'), otherSigned[bytes.LastIndex(otherSigned, []byte("\n\n"))+2:]...), pubOf(testKey("w")), "witness", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Open(tt.signed, tt.pub, tt.signer)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open = %+v, %v; want %v", got, err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}

// TestOpenRefusesChanges flips bytes of the body and of the signature.
func TestOpenRefusesChanges(t *testing.T) {
	key := testKey("a")
	const name = "archive-signer"
	c := testCheckpoint()
	signed, err := Sign(c, name, key)
	if err != nil {
		t.Fatal(err)
	}
	bodyLen := len(c.Marshal())
	sigStart := bytes.LastIndex(signed, []byte(" ")) + 1
	changed := 0
	for i := range signed {
		var b byte
		switch {
		case i < bodyLen && signed[i] != '\n':
			b = signed[i] ^ 0x01 // printable ASCII stays printable
		case i >= sigStart+8 && i < len(signed)-4:
			// Within the signature past the key hash, away from the last
			// characters whose low bits base64 decoding may ignore.
			b = 'A'
			if signed[i] == 'A' {
				b = 'B'
			}
		default:
			continue
		}
		mod := bytes.Clone(signed)
		mod[i] = b
		changed++
		_, err := Open(mod, pubOf(key), name)
		if err == nil {
			t.Fatalf("Open accepted the note with byte %d changed from %q to %q", i, signed[i], b)
		}
		wantBad := i >= sigStart
		if wantBad && !errors.Is(err, ErrBadSignature) {
			t.Fatalf("byte %d of the signature changed: %v, want %v", i, err, ErrBadSignature)
		}
		if !wantBad && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrMalformed) {
			t.Fatalf("byte %d of the body changed: %v", i, err)
		}
	}
	if changed < 100 {
		t.Fatalf("only %d bytes changed: the test proves little", changed)
	}
}

func TestCosigned(t *testing.T) {
	c := testCheckpoint()
	signed, err := Sign(c, "archive-signer", testKey("a"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(signed, note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		t.Fatalf("note.Open: %v", err)
	}
	n = unverified.Note
	skey := signerKey(t, "witness", testKey("w"))
	ws, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := note.Sign(n, ws)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []struct {
		name string
		key  ed25519.PrivateKey
	}{{"archive-signer", testKey("a")}, {"witness", testKey("w")}} {
		got, err := Open(cosigned, pubOf(k.key), k.name)
		if err != nil || !equal(got, c) {
			t.Fatalf("Open by %s = %+v, %v", k.name, got, err)
		}
	}
	got, signedFlag, err := ParseUnverified(cosigned)
	if err != nil || !signedFlag || !equal(got, c) {
		t.Fatalf("ParseUnverified = %+v, %v, %v", got, signedFlag, err)
	}
}

// signerKey builds note's encoded signer key for key under name, as
// note.GenerateKey writes it, through the verifier key's hash.
func signerKey(t *testing.T, name string, key ed25519.PrivateKey) string {
	t.Helper()
	vkey, err := VerifierKey(name, pubOf(key))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(vkey, "+")
	if len(parts) != 3 {
		t.Fatalf("verifier key %q", vkey)
	}
	return "PRIVATE+KEY+" + name + "+" + parts[1] + "+" + b64(append([]byte{1}, key.Seed()...))
}

// TestSignMatchesNoteSigner checks Sign against note's own signer built
// from the encoded signer key: ed25519 is deterministic, so both must give
// the same bytes.
func TestSignMatchesNoteSigner(t *testing.T) {
	key := testKey("a")
	c := testCheckpoint()
	s, err := note.NewSigner(signerKey(t, "archive-signer", key))
	if err != nil {
		t.Fatal(err)
	}
	want, err := note.Sign(&note.Note{Text: string(c.Marshal())}, s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Sign(c, "archive-signer", key)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Sign =\n%s\nnote.Sign =\n%s", got, want)
	}
}

func TestSignRefusals(t *testing.T) {
	key := testKey("a")
	tests := []struct {
		name   string
		c      Checkpoint
		signer string
		key    ed25519.PrivateKey
		want   string
	}{
		{"invalid checkpoint", Checkpoint{}, "n", key, "empty origin"},
		{"empty name", testCheckpoint(), "", key, "empty signer name"},
		{"space in name", testCheckpoint(), "a b", key, "holds a space"},
		{"plus in name", testCheckpoint(), "a+b", key, `holds a "+"`},
		{"newline in name", testCheckpoint(), "a\nb", key, "holds a space"},
		{"control in name", testCheckpoint(), "a\x00b", key, "control character"},
		{"short key", testCheckpoint(), "n", key[:32], "private key is 32 bytes"},
		{"no key", testCheckpoint(), "n", nil, "private key is 0 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Sign(tt.c, tt.signer, tt.key)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Sign: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestVerifierKey(t *testing.T) {
	pub := pubOf(testKey("a"))
	vkey, err := VerifierKey("archive-signer", pub)
	if err != nil {
		t.Fatal(err)
	}
	// <name>+<key hash>+<base64 of 0x01 and the 32-byte key>, where the
	// key hash is the first 4 bytes of SHA-256(name, newline, 0x01, key).
	h := sha256.Sum256(append([]byte("archive-signer\n\x01"), pub...))
	if want := "archive-signer+" + hexOf(h[:4]) + "+" + b64(append([]byte{1}, pub...)); vkey != want {
		t.Fatalf("VerifierKey = %q, want %q", vkey, want)
	}
	if _, err := VerifierKey("archive-signer", pub[:31]); err == nil {
		t.Fatal("VerifierKey accepted a 31-byte key")
	}
	if _, err := VerifierKey("a b", pub); err == nil {
		t.Fatal("VerifierKey accepted a name with a space")
	}
}

func TestKeyName(t *testing.T) {
	a, b := pubOf(testKey("a")), pubOf(testKey("b"))
	na := KeyName(a)
	if !regexp.MustCompile(`^archiver-[0-9a-f]{8}$`).MatchString(na) {
		t.Fatalf("KeyName = %q, want archiver- and 8 hex digits", na)
	}
	sum := sha256.Sum256(a)
	if want := "archiver-" + hexOf(sum[:4]); na != want {
		t.Fatalf("KeyName = %q, want %q", na, want)
	}
	if KeyName(a) != na {
		t.Fatal("KeyName is not stable")
	}
	if KeyName(b) == na {
		t.Fatal("two keys have the same default name")
	}
	if _, err := VerifierKey(na, a); err != nil {
		t.Fatalf("the default name is not a valid signer name: %v", err)
	}
}

func TestParseUnverified(t *testing.T) {
	c := testCheckpoint()
	signed, err := Sign(c, "archive-signer", testKey("a"))
	if err != nil {
		t.Fatal(err)
	}
	body := c.Marshal()
	tests := []struct {
		name       string
		in         []byte
		wantSigned bool
		wantErr    string
	}{
		{"body", body, false, ""},
		{"signed", signed, true, ""},
		{"body with a blank line", append(bytes.Clone(body), "\nx\n"...), false, "malformed"},
		{"bad signature line", append(append(bytes.Clone(body), '\n'), "— name !!!\n"...), false, "malformed"},
		{"signed note of something else", append([]byte("hello\n\n"), signed[len(body)+1:]...), false, "body"},
		{"empty", nil, false, "empty"},
		{"bad body", []byte("o\n01\nx\n"), false, "leading zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotSigned, err := ParseUnverified(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseUnverified = %+v, %v, %v; want an error containing %q", got, gotSigned, err, tt.wantErr)
				}
				return
			}
			if err != nil || gotSigned != tt.wantSigned || !equal(got, c) {
				t.Fatalf("ParseUnverified = %+v, %v, %v; want %+v, %v", got, gotSigned, err, c, tt.wantSigned)
			}
		})
	}
}
