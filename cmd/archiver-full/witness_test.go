package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/checkpoint"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query/export"
)

// TestCheckpointsAndWitness: each sync writes a signed checkpoint into the
// witness directory; `checkpoint` prints the latest, which the note package
// verifies with the public key; verify --against the witness passes on the
// archive, and fails naming the rollback when an older copy of the archive
// is put back.
func TestCheckpointsAndWitness(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 8, Jobs: 5})
	dir := archivetest.Dir(t)
	witness := filepath.Join(t.TempDir(), "witness")
	priv, pub := writeKeyPair(t, 3)
	sync := func() {
		t.Helper()
		if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--quiet", "--sign-key", priv, "--checkpoint-dir", witness); code != 0 {
			t.Fatalf("sync: exit %d: %s", code, stderr)
		}
	}
	sync()
	old, err := os.ReadFile(filepath.Join(dir, archive.FileName))
	if err != nil {
		t.Fatal(err)
	}
	emu.Advance(time.Hour)
	sync()

	files, err := checkpoint.ReadFiles(witness)
	if err != nil || len(files) != 2 {
		t.Fatalf("witness holds %d checkpoints, %v; want one per sync", len(files), err)
	}
	if files[0].Checkpoint.Size >= files[1].Checkpoint.Size {
		t.Errorf("the second sync's checkpoint (%d entries) does not grow the log (%d)", files[1].Checkpoint.Size, files[0].Checkpoint.Size)
	}
	code, stdout, stderr := runCLI(t, "--archive", dir, "checkpoint")
	if code != 0 || stdout != string(files[1].Data) {
		t.Fatalf("checkpoint: exit %d %s, printed %q; want the witness's latest %q", code, stderr, stdout, files[1].Data)
	}
	pemPub, err := os.ReadFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	key, err := export.ParsePublicKey(pemPub)
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := checkpoint.VerifierKey(checkpoint.KeyName(key), key)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open([]byte(stdout), note.VerifierList(v)); err != nil {
		t.Errorf("the printed checkpoint does not verify with the public key: %v", err)
	}

	code, stdout, stderr = runCLI(t, "--archive", dir, "verify", "--against", witness, "--public-key", pub)
	if code != 0 || !strings.Contains(stdout, "extends 2 checkpoints") {
		t.Fatalf("verify --against the witness: exit %d: %s%s", code, stdout, stderr)
	}
	// An earlier export is a witness too: its manifest carries the
	// checkpoint of its moment.
	exp := filepath.Join(t.TempDir(), "export.json")
	if code, _, stderr := runCLI(t, "--archive", dir, "export", "--out", exp); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	if code, stdout, stderr := runCLI(t, "--archive", dir, "verify", "--against", exp); code != 0 || !strings.Contains(stdout, "extends 1 checkpoints") {
		t.Errorf("verify --against an export: exit %d: %s%s", code, stdout, stderr)
	}
	if code, stdout, _ := runCLI(t, "--archive", dir, "verify"); code != 0 || !strings.Contains(stdout, "only its own consistency was checked") {
		t.Errorf("verify without --against: exit %d: %s", code, stdout)
	}
	_, otherPub := writeKeyPair(t, 4)
	if code, _, stderr := runCLI(t, "--archive", dir, "verify", "--against", witness, "--public-key", otherPub); code != 1 || !strings.Contains(stderr, "signature") && !strings.Contains(stderr, "signed") {
		t.Errorf("verify --against with another key: exit %d: %s", code, stderr)
	}

	// An older copy put back: a rollback.
	if err := os.WriteFile(filepath.Join(dir, archive.FileName), old, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, archive.FileName+".checked"))
	code, _, stderr = runCLI(t, "--archive", dir, "verify", "--against", witness)
	if code != 1 || !strings.Contains(stderr, "rolled back") || !strings.Contains(stderr, filepath.Base(files[1].Path)) {
		t.Errorf("verify --against after a rollback: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "--archive", dir, "verify", "--against", exp); code != 1 || !strings.Contains(stderr, "rolled back") {
		t.Errorf("verify --against the later export after a rollback: exit %d: %s", code, stderr)
	}
}

// TestCheckpointWitnessInS3: --checkpoint-to writes each sync's checkpoint
// to S3 (moto), locked; verify --against the S3 prefix passes, and fails
// naming the rollback when an older copy of the archive is put back.
func TestCheckpointWitnessInS3(t *testing.T) {
	url := archivetest.Moto(t)
	s3Env(t, url)
	c := archivetest.S3Client(url)
	archivetest.LockedBucket(t, c, "witness")
	emu := archivetest.Emulator(t, emulator.Options{Seed: 9, Jobs: 4})
	dir := archivetest.Dir(t)
	sync := func() {
		t.Helper()
		if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--quiet",
			"--checkpoint-to", "s3://witness/archiver", "--checkpoint-lock-mode", "GOVERNANCE", "--checkpoint-retain-days", "2"); code != 0 {
			t.Fatalf("sync: exit %d: %s", code, stderr)
		}
	}
	sync()
	old, err := os.ReadFile(filepath.Join(dir, archive.FileName))
	if err != nil {
		t.Fatal(err)
	}
	emu.Advance(time.Hour)
	sync()
	var keys []string
	for _, k := range archivetest.ListKeys(t, c, "witness") {
		if strings.HasPrefix(k, "archiver/") && strings.HasSuffix(k, checkpoint.Ext) {
			keys = append(keys, k)
			_, out := archivetest.GetObject(t, c, "witness", k)
			if out.ObjectLockMode != "GOVERNANCE" || out.ObjectLockRetainUntilDate == nil || !out.ObjectLockRetainUntilDate.After(time.Now().Add(47*time.Hour)) {
				t.Errorf("%s: lock %q until %v, want GOVERNANCE for 2 days", k, out.ObjectLockMode, out.ObjectLockRetainUntilDate)
			}
		}
	}
	if len(keys) != 2 {
		t.Fatalf("the S3 witness holds %v, want one checkpoint per sync", keys)
	}
	code, stdout, stderr := runCLI(t, "--archive", dir, "verify", "--against", "s3://witness/archiver")
	if code != 0 || !strings.Contains(stdout, "extends 2 checkpoints") {
		t.Fatalf("verify --against s3://: exit %d: %s%s", code, stdout, stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, archive.FileName), old, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, archive.FileName+".checked"))
	code, _, stderr = runCLI(t, "--archive", dir, "verify", "--against", "s3://witness/archiver")
	if code != 1 || !strings.Contains(stderr, "rolled back") || !strings.Contains(stderr, "s3://witness/"+keys[1]) {
		t.Errorf("verify --against s3:// after a rollback: exit %d: %s", code, stderr)
	}
}

// TestExportProofs: an export of one job's records carries an inclusion
// proof for each, which verify checks offline against the export's
// checkpoint; a byte of one record changed, with every hash and the
// (unsigned) seal recomputed as anyone can, is refused for that record
// alone.
func TestExportProofs(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 12, Jobs: 4, LogItemsPerJob: 6})
	dir := archivetest.Dir(t)
	syncCLI(t, dir, emu.URL())
	job := emu.JobIDs()[1]
	out := filepath.Join(t.TempDir(), "job.json")
	if code, _, stderr := runCLI(t, "--archive", dir, "export", "--job-id", job, "--out", out); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	doc, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := 1 + len(emu.JobLog(job)) // the job and its log items
	code, stdout, stderr := runCLI(t, "verify", "--export", out)
	if code != 0 || !strings.Contains(stdout, fmt.Sprintf("%d records proven in the log", want)) {
		t.Fatalf("verify --export: exit %d: %s%s; want %d records proven", code, stdout, stderr, want)
	}

	head, lines, tail := archivetest.ExportParts(t, doc)
	k := len(lines) / 2
	forged := bytes.Replace(lines[k], []byte(`"logDateTime":"20`), []byte(`"logDateTime":"19`), 1)
	if bytes.Equal(forged, lines[k]) {
		t.Fatalf("record %d has no logDateTime to change: %s", k, lines[k])
	}
	oldSum, newSum := sha256.Sum256(lines[k]), sha256.Sum256(forged)
	oldRecords := append(append([]byte("[\n"), bytes.Join(lines, []byte(",\n"))...), "\n]"...)
	lines[k] = forged
	newRecords := append(append([]byte("[\n"), bytes.Join(lines, []byte(",\n"))...), "\n]"...)
	oldAll, newAll := sha256.Sum256(oldRecords), sha256.Sum256(newRecords)
	head = bytes.Replace(head, []byte(hex.EncodeToString(oldSum[:])), []byte(hex.EncodeToString(newSum[:])), 1)
	head = bytes.Replace(head, []byte(hex.EncodeToString(oldAll[:])), []byte(hex.EncodeToString(newAll[:])), 1)
	body := append(append(append([]byte(nil), head...), bytes.Join(lines, []byte(",\n"))...), tail...)
	at := bytes.LastIndex(body, []byte(",\n  \"seal\": "))
	seal := sha256.Sum256(body[:at])
	body = append(body[:at:at], []byte(",\n  \"seal\": {\"sha256\":\""+hex.EncodeToString(seal[:])+"\"}\n}\n")...)
	if err := os.WriteFile(out, body, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "verify", "--export", out)
	var problems []string
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if strings.HasPrefix(l, "archiver verify: ") {
			problems = append(problems, l)
		}
	}
	if code != 1 || len(problems) != 1 || !strings.Contains(problems[0], fmt.Sprintf("record %d:", k)) || !strings.Contains(problems[0], "not in the log") {
		t.Errorf("verify --export of a resealed forgery: exit %d, problems %q; want record %d alone refused", code, problems, k)
	}
}
