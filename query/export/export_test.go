package export_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/query/export"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestExportGolden(t *testing.T) {
	dir := archivetest.Dir(t)
	archivetest.Fixture(t, dir)
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var buf bytes.Buffer
	var m export.Manifest
	err = st.View(func(r *archive.Reader) error {
		var err error
		m, err = export.Write(context.Background(), r, &buf, export.Options{
			Version: "test", Now: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), SchemaVersion: 1, TempDir: t.TempDir(),
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "export.golden.json")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./query/ -run Golden -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("export differs from %s:\n%s", golden, buf.String())
	}

	// The document is JSON, the hash covers the records value exactly, and
	// every record's data is the stored bytes.
	var doc struct {
		Manifest json.RawMessage `json:"manifest"`
		Records  json.RawMessage `json:"records"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	sum := sha256.Sum256(doc.Records)
	if hex.EncodeToString(sum[:]) != m.RecordsSHA256 {
		t.Errorf("recordsSHA256 %s, records hash to %x", m.RecordsSHA256, sum)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"x-futureField":{"n":1.50}`)) || !bytes.Contains(buf.Bytes(), []byte(`{"jobID":"drsjob-2", "status":"STARTED"`)) {
		t.Error("job data is not verbatim in the export")
	}
	if m.Records != 11 || m.Counts[kinds.DRSJob] != 2 || m.Counts[kinds.DRSJobLogItem] != 4 || m.Counts[kinds.DRSSourceServer] != 2 ||
		m.Counts[kinds.DRSStagingAccount] != 1 || m.Counts[kinds.SnowballJob] != 1 || m.Counts[kinds.SMSJob] != 1 {
		t.Errorf("manifest counts %v, records %d", m.Counts, m.Records)
	}
}
