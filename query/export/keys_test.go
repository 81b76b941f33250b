package export_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"

	"github.com/archiver-dev/archiver/query/export"
)

func pemOf(t testing.TB, typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestParseKeys(t *testing.T) {
	pub, priv := testKey(9)
	pk, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pp, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	gotPriv, err := export.ParsePrivateKey(append([]byte("a comment\n"), pemOf(t, "PRIVATE KEY", pk)...))
	if err != nil || !gotPriv.Equal(priv) {
		t.Errorf("ParsePrivateKey: %v", err)
	}
	gotPub, err := export.ParsePublicKey(pemOf(t, "PUBLIC KEY", pp))
	if err != nil || !gotPub.Equal(pub) {
		t.Errorf("ParsePublicKey: %v", err)
	}
	for name, in := range map[string][]byte{
		"empty":          nil,
		"public as priv": pemOf(t, "PUBLIC KEY", pp),
		"garbage":        pemOf(t, "PRIVATE KEY", []byte("nope")),
	} {
		if _, err := export.ParsePrivateKey(in); !errors.Is(err, export.ErrBadKey) {
			t.Errorf("%s: ParsePrivateKey error %v", name, err)
		}
	}
	if _, err := export.ParsePublicKey(pemOf(t, "PRIVATE KEY", pk)); !errors.Is(err, export.ErrBadKey) {
		t.Errorf("a private key read as public: %v", err)
	}
}

func FuzzParseKeys(f *testing.F) {
	_, priv := testKey(4)
	pk, _ := x509.MarshalPKCS8PrivateKey(priv)
	f.Add(pemOf(f, "PRIVATE KEY", pk))
	f.Add(pemOf(f, "PUBLIC KEY", []byte{0x30, 0x2a}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if k, err := export.ParsePrivateKey(b); err == nil && len(k) != ed25519.PrivateKeySize {
			t.Fatalf("a private key of %d bytes", len(k))
		} else if err != nil && bytes.Contains([]byte(err.Error()), []byte("\n")) {
			t.Fatalf("error on two lines: %q", err)
		}
		if k, err := export.ParsePublicKey(b); err == nil && len(k) != ed25519.PublicKeySize {
			t.Fatalf("a public key of %d bytes", len(k))
		}
	})
}
