package main

import (
	"bufio"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// TestRecoveryQueryExportVerify: after a sync, 'archiver query --kind
// drs.recoverySnapshot --from --to' selects recovery snapshots by their
// timestamp, the table names them, and the export holds both recovery kinds
// byte for byte and verifies, as does the archive.
func TestRecoveryQueryExportVerify(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 41})
	dir := archivetest.Dir(t)
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--page-size", "9"); code != 0 {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}

	// Served snapshots and their times.
	type snap struct {
		id string
		at time.Time
	}
	var snaps []snap
	served := map[string]int{}
	for _, raw := range emu.SourceServers() {
		var s struct {
			SourceServerID string `json:"sourceServerID"`
		}
		json.Unmarshal(raw, &s)
		for _, sn := range emu.RecoverySnapshots(s.SourceServerID) {
			var h struct {
				SnapshotID string `json:"snapshotID"`
				Timestamp  string `json:"timestamp"`
			}
			json.Unmarshal(sn, &h)
			at, err := time.Parse(time.RFC3339Nano, h.Timestamp)
			if err != nil {
				t.Fatal(err)
			}
			snaps = append(snaps, snap{h.SnapshotID, at})
			served[string(sn)]++
		}
	}
	for _, in := range emu.RecoveryInstances() {
		served[string(in)]++
	}
	if len(snaps) < 4 || len(emu.RecoveryInstances()) == 0 {
		t.Fatalf("%d snapshots and %d instances: too few to test", len(snaps), len(emu.RecoveryInstances()))
	}
	sort.Slice(snaps, func(i, j int) bool { return snaps[i].at.Before(snaps[j].at) })
	from, to := snaps[len(snaps)/4].at, snaps[3*len(snaps)/4].at

	tests := []struct {
		name     string
		from, to time.Time
	}{
		{"middle", from, to},
		{"everything", snaps[0].at, snaps[len(snaps)-1].at},
		{"one instant", from, from},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for _, s := range snaps {
				if !s.at.Before(tc.from) && !s.at.After(tc.to) {
					want = append(want, s.id)
				}
			}
			code, stdout, stderr := runCLI(t, "--archive", dir, "query", "--kind", "drs.recoverySnapshot",
				"--from", tc.from.Format(time.RFC3339Nano), "--to", tc.to.Format(time.RFC3339Nano), "--output", "jsonl")
			if code != 0 {
				t.Fatalf("query: exit %d: %s", code, stderr)
			}
			var got []string
			sc := bufio.NewScanner(strings.NewReader(stdout))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var rec struct {
					Kind string `json:"kind"`
					ID   string `json:"id"`
				}
				if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
					t.Fatalf("query line %q: %v", sc.Text(), err)
				}
				if rec.Kind != "drs.recoverySnapshot" {
					t.Errorf("query --kind drs.recoverySnapshot returned a %s", rec.Kind)
				}
				got = append(got, rec.ID)
			}
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("got %d snapshots %v, want %d %v", len(got), got, len(want), want)
			}
		})
	}

	// The table shows the short kind names.
	code, stdout, stderr := runCLI(t, "--archive", dir, "query", "--kind", "drs.recoveryInstance", "--output", "table")
	if code != 0 || !strings.Contains(stdout, "instance") {
		t.Errorf("query table: exit %d: %s%s", code, stdout, stderr)
	}

	out := filepath.Join(t.TempDir(), "export.json")
	if code, _, stderr := runCLI(t, "--archive", dir, "export", "--out", out); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	doc := readExport(t, out)
	if doc.Manifest.Counts["drs.recoverySnapshot"] != len(snaps) || doc.Manifest.Counts["drs.recoveryInstance"] != len(emu.RecoveryInstances()) {
		t.Errorf("manifest counts %v; the emulator serves %d snapshots and %d instances", doc.Manifest.Counts, len(snaps), len(emu.RecoveryInstances()))
	}
	got := map[string]int{}
	for _, r := range doc.Records {
		if r.Kind == "drs.recoverySnapshot" || r.Kind == "drs.recoveryInstance" {
			got[string(r.Data)]++
		}
	}
	for k, c := range served {
		if got[k] != c {
			t.Errorf("export holds %d copies of %.80s..., want %d", got[k], k, c)
		}
	}
	if code, stdout, stderr := runCLI(t, "--archive", dir, "verify"); code != 0 || !strings.Contains(stdout, "ok") {
		t.Errorf("verify: exit %d: %s %s", code, stdout, stderr)
	}
}
