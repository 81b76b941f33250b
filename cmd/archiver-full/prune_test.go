package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// recordTimes returns the time of every record in dir, by kind.
func recordTimes(t *testing.T, dir string) map[archive.Kind][]time.Time {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[archive.Kind][]time.Time{}
	st.View(func(r *archive.Reader) error {
		for _, k := range kinds.Names() {
			r.Each(k, func(rec archive.Record) error { out[k] = append(out[k], rec.Time); return nil })
		}
		return nil
	})
	return out
}

func TestPrune(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 12, Jobs: 30})
	dir := archivetest.Dir(t)
	sync := func() {
		t.Helper()
		if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--quiet", "--source", "drs,snowball,sms"); code != 0 {
			t.Fatalf("sync: %s", stderr)
		}
	}
	sync()
	emu.Advance(48 * time.Hour)
	sync() // a second snapshot of some servers and jobs
	before := recordTimes(t, dir)
	jobs := before[kinds.DRSJob]
	cut := jobs[len(jobs)/2] // half the jobs are older
	cutArg := cut.Format(time.RFC3339Nano)
	out := filepath.Join(t.TempDir(), "pruned.json")

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no bound", []string{"prune", "--no-export"}, "--before DATE is required"},
		{"no export decision", []string{"prune", "--before", cutArg}, "give --export FILE"},
		{"both", []string{"prune", "--before", cutArg, "--export", out, "--no-export"}, "give one"},
		{"bad date", []string{"prune", "--before", "soon", "--no-export"}, "--before"},
	} {
		if code, _, stderr := runCLI(t, append([]string{"--archive", dir}, tc.args...)...); code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, %q; want exit 2 and %q", tc.name, code, stderr, tc.want)
		}
	}

	// Without --confirm nothing goes.
	code, stdout, stderr := runCLI(t, "--archive", dir, "prune", "--before", cutArg, "--export", out)
	if code != 0 || !strings.Contains(stdout, "would remove") {
		t.Fatalf("plan: exit %d: %s %s", code, stdout, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a prune without --confirm wrote its export")
	}
	if got := recordTimes(t, dir); len(got[kinds.DRSJob]) != len(jobs) {
		t.Fatal("a prune without --confirm removed records")
	}

	code, stdout, stderr = runCLI(t, "--archive", dir, "prune", "--before", cutArg, "--export", out, "--confirm")
	if code != 0 || !strings.Contains(stdout, "removed") {
		t.Fatalf("prune: exit %d: %s %s", code, stdout, stderr)
	}
	after := recordTimes(t, dir)
	removed := 0
	for _, k := range kinds.Names() {
		removed += len(before[k]) - len(after[k])
	}
	for _, tm := range after[kinds.DRSJob] {
		if tm.Before(cut) {
			t.Errorf("a job of %v is still there after pruning before %v", tm, cut)
		}
	}
	if len(after[kinds.DRSJob]) != len(jobs)-len(jobs)/2 {
		t.Errorf("%d jobs left of %d, want %d", len(after[kinds.DRSJob]), len(jobs), len(jobs)-len(jobs)/2)
	}
	// The current state of every server is kept.
	if len(after[kinds.DRSSourceServer]) < len(emu.SourceServers()) {
		t.Errorf("%d snapshots left for %d servers", len(after[kinds.DRSSourceServer]), len(emu.SourceServers()))
	}
	// The export holds exactly what went, and verifies.
	doc := readExport(t, out)
	if doc.Manifest.Records != removed || removed == 0 {
		t.Errorf("the export holds %d records, %d were removed", doc.Manifest.Records, removed)
	}
	if code, stdout, stderr := runCLI(t, "--archive", dir, "verify"); code != 0 {
		t.Errorf("verify after prune: exit %d: %s %s", code, stdout, stderr)
	}
	// Another prune to the same file is refused before anything happens.
	if code, _, stderr := runCLI(t, "--archive", dir, "prune", "--before", cutArg, "--export", out, "--confirm"); code != 1 || !strings.Contains(stderr, "file exists (pass --force to replace it)") {
		t.Errorf("prune over an existing export: exit %d: %s", code, stderr)
	}

	// The prune is an event of the chain: changing its note shows.
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	st.View(func(r *archive.Reader) error {
		return r.Events(func(_ archive.Key, note []byte) error { notes = append(notes, string(note)); return nil })
	})
	st.Close()
	if len(notes) != 1 {
		t.Fatalf("%d events recorded, want 1", len(notes))
	}
	var note struct {
		Event   string `json:"event"`
		Records int    `json:"records"`
		Export  *struct {
			RecordsSHA256 string `json:"recordsSHA256"`
		} `json:"export"`
	}
	if err := json.Unmarshal([]byte(notes[0]), &note); err != nil || note.Event != "prune" || note.Records != removed || note.Export == nil || note.Export.RecordsSHA256 != doc.Manifest.RecordsSHA256 {
		t.Errorf("prune event %s (%v)", notes[0], err)
	}
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket([]byte("meta"))
		c := m.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if strings.HasPrefix(string(k), "event\x00") {
				return m.Put(append([]byte(nil), k...), []byte(strings.Replace(string(v), `"records":`, `"records":1`, 1)))
			}
		}
		return nil
	})
	db.Close()
	if code, _, stderr := runCLI(t, "--archive", dir, "verify"); code != 1 || !strings.Contains(stderr, "event") {
		t.Errorf("verify after editing the prune's note: exit %d: %s", code, stderr)
	}
}
