package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/check"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/internal/recfmt"
	"github.com/archiver-dev/archiver/query/export"
)

// TestVerifyJSON checks 'verify --output json' on a synced archive (its
// counts are the emulator's) and on one with a record edited in the file:
// not ok, exit status 1, and the problem names the record by kind, ID and
// time.
func TestVerifyJSON(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 9, Jobs: 5})
	dir := archivetest.Dir(t)
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--quiet"); code != cliapp.ExitOK {
		t.Fatalf("sync: %s", stderr)
	}
	code, stdout, stderr := runCLI(t, "--archive", dir, "verify", "--output", "json")
	var rep check.Report
	if code != cliapp.ExitOK || json.Unmarshal([]byte(stdout), &rep) != nil {
		t.Fatalf("verify --output json: exit %d: %q %q", code, stdout, stderr)
	}
	if !rep.OK || rep.Version != check.ReportVersion || rep.Records[string(kinds.DRSJob)] != len(emu.Jobs()) || len(rep.Problems) != 0 || rep.LogSize == 0 {
		t.Errorf("report %+v; want ok with %d jobs", rep, len(emu.Jobs()))
	}

	// Edit the first job record in the file.
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	var jobID string
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(kinds.DRSJob))
		k, v := b.Cursor().First()
		h, data, err := recfmt.Decode(v)
		if err != nil {
			return err
		}
		jobID = h.ID
		nv, err := recfmt.Append(nil, &h, []byte(strings.Replace(string(data), `"COMPLETED"`, `"PENDING"`, 1)+" "))
		if err != nil {
			return err
		}
		return b.Put(append([]byte(nil), k...), nv)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = runCLI(t, "--archive", dir, "verify", "--output", "json")
	rep = check.Report{}
	if code != cliapp.ExitRuntime || json.Unmarshal([]byte(stdout), &rep) != nil || rep.OK {
		t.Fatalf("verify --output json of an edited archive: exit %d, %q", code, stdout)
	}
	found := false
	for _, p := range rep.Problems {
		if strings.Contains(p, string(kinds.DRSJob)+" "+jobID+" of ") {
			found = true
		}
	}
	if !found {
		t.Errorf("no problem names %s %s: %q", kinds.DRSJob, jobID, rep.Problems)
	}
	if code, _, _ := runCLI(t, "--archive", dir, "verify", "--output", "yaml"); code != cliapp.ExitUsage {
		t.Errorf("--output yaml: exit %d, want %d", code, cliapp.ExitUsage)
	}
}

// TestExportJSON checks 'export --output json' for a file and a
// partitioned directory export: the summary's counts are the manifest's.
func TestExportJSON(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 10, Jobs: 4})
	dir := archivetest.Dir(t)
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--quiet"); code != cliapp.ExitOK {
		t.Fatalf("sync: %s", stderr)
	}
	out := filepath.Join(t.TempDir(), "e.json")
	code, stdout, stderr := runCLI(t, "--archive", dir, "export", "--out", out, "--output", "json")
	var sum export.Summary
	if code != cliapp.ExitOK || json.Unmarshal([]byte(stdout), &sum) != nil || stderr != "" {
		t.Fatalf("export --output json: exit %d: %q %q", code, stdout, stderr)
	}
	m := readExport(t, out).Manifest
	if sum.Version != export.SummaryVersion || sum.Records != m.Records || sum.RecordsSHA256 != m.RecordsSHA256 || sum.Records == 0 || sum.Destination != out {
		t.Errorf("summary %+v; manifest has %d records, %s", sum, m.Records, m.RecordsSHA256)
	}
	outDir := filepath.Join(t.TempDir(), "parts")
	code, stdout, stderr = runCLI(t, "--archive", dir, "export", "--out-dir", outDir, "--output", "json")
	sum = export.Summary{}
	if code != cliapp.ExitOK || json.Unmarshal([]byte(stdout), &sum) != nil || sum.Records != m.Records || sum.Parts == 0 || sum.Manifest == "" {
		t.Errorf("export --out-dir --output json: exit %d: %+v (%q %q)", code, sum, stdout, stderr)
	}
	if code, _, _ := runCLI(t, "--archive", dir, "export", "--out", "-", "--output", "json"); code != cliapp.ExitUsage {
		t.Errorf("--out - --output json: exit %d, want %d", code, cliapp.ExitUsage)
	}
}
