package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// writeKeyPair writes a fixed ed25519 key pair as PEM files, as openssl
// writes them, and returns their paths.
func writeKeyPair(t *testing.T, seed byte) (privPath, pubPath string) {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	pk, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pp, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	d := t.TempDir()
	privPath, pubPath = filepath.Join(d, "sign.pem"), filepath.Join(d, "sign.pub.pem")
	os.WriteFile(privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600)
	os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pp}), 0o600)
	return privPath, pubPath
}

func TestSignedExport(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 8, Jobs: 5})
	dir := archivetest.Dir(t)
	syncCLI(t, dir, emu.URL())
	priv, pub := writeKeyPair(t, 1)
	_, otherPub := writeKeyPair(t, 2)
	out := filepath.Join(t.TempDir(), "audit.json")
	code, _, stderr := runCLI(t, "--archive", dir, "export", "--out", out, "--sign-key", priv, "--redact-tags")
	if code != 0 || !strings.Contains(stderr, "signed by key") {
		t.Fatalf("signed export: exit %d: %s", code, stderr)
	}
	doc, _ := os.ReadFile(out)
	if !bytes.Contains(doc, []byte(`"REDACTED"`)) || bytes.Contains(doc, []byte(`"quarterly-drill"`)) {
		t.Error("--redact-tags left tag values in the export")
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"signature checked", []string{"verify", "--export", out, "--public-key", pub}, 0, "signature verified"},
		{"signature not checked", []string{"verify", "--export", out}, 0, "signature NOT checked"},
		{"signature required", []string{"verify", "--export", out, "--require-signature"}, 1, "signature NOT checked"},
		{"another key", []string{"verify", "--export", out, "--public-key", otherPub}, 1, "signature does not verify"},
		{"a private key as public", []string{"verify", "--export", out, "--public-key", priv}, 2, "--public-key"},
		{"public key without export", []string{"--archive", dir, "verify", "--public-key", pub}, 2, "give one of them"},
		{"no such export", []string{"verify", "--export", out + ".missing"}, 1, "no such file"},
		{"bad sign key", []string{"--archive", dir, "export", "--out", out + ".2", "--sign-key", pub}, 2, "--sign-key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
				t.Errorf("exit %d, output %q %q; want exit %d and %q", code, stdout, stderr, tc.code, tc.want)
			}
		})
	}

	// One changed byte anywhere fails the check.
	tampered := filepath.Join(t.TempDir(), "tampered.json")
	bad := bytes.Replace(doc, []byte(`"COMPLETED"`), []byte(`"COMPLETES"`), 1)
	os.WriteFile(tampered, bad, 0o600)
	if code, _, stderr := runCLI(t, "verify", "--export", tampered); code != 1 || !strings.Contains(stderr, "changed after it was written") {
		t.Errorf("tampered export: exit %d: %s", code, stderr)
	}

	// The key may come from the environment, and openssl's keys work.
	pemText, _ := os.ReadFile(priv)
	t.Setenv("ARCHIVER_SIGN_KEY", string(pemText))
	out2 := filepath.Join(t.TempDir(), "env.json")
	if code, _, stderr := runCLI(t, "--archive", dir, "export", "--out", out2); code != 0 || !strings.Contains(stderr, "signed by key") {
		t.Errorf("export signed from ARCHIVER_SIGN_KEY: exit %d: %s", code, stderr)
	}
	t.Setenv("ARCHIVER_SIGN_KEY", "")
	if openssl, err := exec.LookPath("openssl"); err == nil {
		d := t.TempDir()
		k, p := filepath.Join(d, "k.pem"), filepath.Join(d, "p.pem")
		if err := exec.Command(openssl, "genpkey", "-algorithm", "ed25519", "-out", k).Run(); err != nil {
			t.Skipf("openssl cannot make ed25519 keys here: %v", err)
		}
		if err := exec.Command(openssl, "pkey", "-in", k, "-pubout", "-out", p).Run(); err != nil {
			t.Fatal(err)
		}
		out3 := filepath.Join(d, "o.json")
		if code, _, stderr := runCLI(t, "--archive", dir, "export", "--out", out3, "--sign-key", k); code != 0 {
			t.Fatalf("export with an openssl key: %s", stderr)
		}
		if code, stdout, stderr := runCLI(t, "verify", "--export", out3, "--public-key", p); code != 0 || !strings.Contains(stdout, "signature verified") {
			t.Errorf("verify with an openssl key: exit %d: %s %s", code, stdout, stderr)
		}
	}
}
