package export_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/query/export"
)

// exportOf exports the fixture archive, signed with key when it is set.
func exportOf(t *testing.T, key ed25519.PrivateKey, redact bool) []byte {
	t.Helper()
	dir := archivetest.Dir(t)
	archivetest.Fixture(t, dir)
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var buf bytes.Buffer
	err = st.View(func(r *archive.Reader) error {
		_, err := export.Write(context.Background(), r, &buf, export.Options{
			Version: "test", Now: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), SchemaVersion: 6, TempDir: t.TempDir(),
			SignKey: key, RedactTags: redact,
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func join(head []byte, lines [][]byte, tail []byte) []byte {
	out := append([]byte(nil), head...)
	out = append(out, bytes.Join(lines, []byte(",\n"))...)
	return append(out, tail...)
}

// reseal recomputes the seal's hash as someone editing the file would, so
// that only the manifest's own hashes can tell.
func reseal(doc []byte) []byte {
	at := bytes.LastIndex(doc, []byte(",\n  \"seal\": "))
	if at < 0 {
		return doc
	}
	sum := sha256.Sum256(doc[:at])
	out := append([]byte(nil), doc[:at]...)
	return append(out, []byte(`,
  "seal": {"sha256":"`+hex.EncodeToString(sum[:])+"\"}\n}\n")...)
}

func TestVerifyExportClean(t *testing.T) {
	pub, priv := testKey(1)
	for _, tc := range []struct {
		name   string
		key    ed25519.PrivateKey
		check  ed25519.PublicKey
		redact bool
	}{{"unsigned", nil, nil, false}, {"signed", priv, pub, false}, {"signed, checked without a key", priv, nil, false}, {"redacted", nil, nil, true}} {
		t.Run(tc.name, func(t *testing.T) {
			doc := exportOf(t, tc.key, tc.redact)
			rep, problems := export.Verify(doc, tc.check)
			if len(problems) != 0 {
				t.Fatalf("a clean export does not verify: %v", problems)
			}
			if rep.Manifest.Records != 11 || rep.Signed != (tc.key != nil) || rep.Verified != (tc.check != nil) {
				t.Errorf("report %+v", rep)
			}
			if tc.redact != bytes.Contains(doc, []byte(`"REDACTED"`)) || tc.redact != (len(rep.Manifest.Redacted) == 1) {
				t.Errorf("redact %v: REDACTED in the export %v, manifest says %v", tc.redact, bytes.Contains(doc, []byte(`"REDACTED"`)), rep.Manifest.Redacted)
			}
		})
	}
}

// TestVerifyExportCatchesMutants makes 1,000 mutants of an export (byte
// flips, dropped, duplicated and reordered records, truncation; the record
// changes also resealed, as someone covering their tracks would) and checks
// that every one is caught, while the clean file passes.
func TestVerifyExportCatchesMutants(t *testing.T) {
	clean := exportOf(t, nil, false)
	if _, p := export.Verify(clean, nil); len(p) != 0 {
		t.Fatalf("the clean export does not verify: %v", p)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	head, lines, tail := archivetest.ExportParts(t, clean)
	mutate := []struct {
		name string
		fn   func() []byte
	}{
		{"flip a byte", func() []byte {
			d := append([]byte(nil), clean...)
			d[rng.IntN(len(d))] ^= byte(1 + rng.IntN(255))
			return d
		}},
		{"flip a byte of a record's data", func() []byte {
			ls := append([][]byte(nil), lines...)
			i := rng.IntN(len(ls))
			l := append([]byte(nil), ls[i]...)
			at := bytes.Index(l, []byte(`"data":`)) + len(`"data":`) + 1
			l[at+rng.IntN(len(l)-at-1)] ^= 0x01
			ls[i] = l
			return join(head, ls, tail)
		}},
		{"drop a record", func() []byte {
			ls := append([][]byte(nil), lines...)
			i := rng.IntN(len(ls))
			return join(head, append(ls[:i], ls[i+1:]...), tail)
		}},
		{"duplicate a record", func() []byte {
			ls := append([][]byte(nil), lines...)
			i := rng.IntN(len(ls))
			ls = append(ls[:i+1], ls[i:]...)
			return join(head, ls, tail)
		}},
		{"swap two records", func() []byte {
			ls := append([][]byte(nil), lines...)
			i, j := rng.IntN(len(ls)), rng.IntN(len(ls))
			for bytes.Equal(ls[i], ls[j]) {
				j = rng.IntN(len(ls))
			}
			ls[i], ls[j] = ls[j], ls[i]
			return join(head, ls, tail)
		}},
		{"truncate", func() []byte { return clean[:rng.IntN(len(clean))] }},
	}
	n := 0
	for n < 1000 {
		for _, m := range mutate {
			for _, resealed := range []bool{false, true} {
				if resealed && (m.name == "flip a byte" || m.name == "truncate") {
					// Resealing covers any byte of the manifest; what it
					// cannot cover is a change to the records.
					continue
				}
				d := m.fn()
				if resealed {
					d = reseal(d)
				}
				if bytes.Equal(d, clean) {
					continue // a flip back to itself is no mutant
				}
				n++
				if _, p := export.Verify(d, nil); len(p) == 0 {
					t.Errorf("mutant %d (%s, resealed %v) passed:\n%s", n, m.name, resealed, d)
				}
			}
		}
	}
	t.Logf("%d mutants, all caught", n)
}

// TestVerifyExportSignature shows what only a signature can catch: a
// forger who rewrites a record and every hash after it.
func TestVerifyExportSignature(t *testing.T) {
	pub, priv := testKey(2)
	doc := exportOf(t, priv, false)
	head, lines, tail := archivetest.ExportParts(t, doc)
	forged := bytes.Replace(lines[0], []byte(`"COMPLETED"`), []byte(`"FAILEDXX!"`), 1)
	if bytes.Equal(forged, lines[0]) {
		t.Fatal("the first record has no COMPLETED to forge")
	}
	oldSum, newSum := sha256.Sum256(lines[0]), sha256.Sum256(forged)
	lines[0] = forged
	recs := bytes.Join(lines, []byte(",\n"))
	head = bytes.Replace(head, []byte(hex.EncodeToString(oldSum[:])), []byte(hex.EncodeToString(newSum[:])), 1)
	var m struct {
		Manifest struct {
			RecordsSHA256 string `json:"recordsSHA256"`
		} `json:"manifest"`
	}
	if err := json.Unmarshal(append(append([]byte(nil), head...), []byte("]}")...), &m); err != nil || m.Manifest.RecordsSHA256 == "" {
		t.Fatalf("manifest: %v", err)
	}
	whole := append([]byte("[\n"), recs...)
	whole = append(whole, "\n]"...)
	ws := sha256.Sum256(whole)
	head = bytes.Replace(head, []byte(m.Manifest.RecordsSHA256), []byte(hex.EncodeToString(ws[:])), 1)
	// The seal keeps its signature; its hash is recomputed.
	forgedDoc := join(head, lines, tail)
	at := bytes.LastIndex(forgedDoc, []byte(",\n  \"seal\": "))
	var seal export.Seal
	json.Unmarshal(forgedDoc[at+len(",\n  \"seal\": "):len(forgedDoc)-3], &seal)
	sum := sha256.Sum256(forgedDoc[:at])
	seal.SHA256 = hex.EncodeToString(sum[:])
	sb, _ := json.Marshal(seal)
	forgedDoc = append(append(append([]byte(nil), forgedDoc[:at]...), ",\n  \"seal\": "...), append(sb, "\n}\n"...)...)

	if _, p := export.Verify(forgedDoc, nil); len(p) != 0 {
		t.Fatalf("the forgery is not consistent, so this test shows nothing: %v", p)
	}
	_, p := export.Verify(forgedDoc, pub)
	if len(p) != 1 || !strings.Contains(p[0].Error(), "signature does not verify") {
		t.Errorf("with the public key, problems %v; want the signature refused", p)
	}
	other, _ := testKey(3)
	if _, p := export.Verify(doc, other); len(p) != 1 {
		t.Errorf("another key: problems %v; want the signature refused", p)
	}
}

// testKey returns a fixed ed25519 key pair.
func testKey(seed byte) (ed25519.PublicKey, ed25519.PrivateKey) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return priv.Public().(ed25519.PublicKey), priv
}
