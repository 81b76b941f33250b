package demo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/demo"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// TestDemo runs the demo end to end and checks that its report answers what
// it promises: two syncs, the latest jobs, failed steps with their raw
// errors, server snapshots, and Snowball and SMS jobs through their changes of
// state.
func TestDemo(t *testing.T) {
	dir := archivetest.Dir(t)
	var out bytes.Buffer
	if err := demo.Run(context.Background(), demo.Options{ArchiveDir: dir, Seed: 1}, &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	report := out.String()
	for _, want := range []string{
		"127.0.0.1", "first sync", "second sync", "== The 8 latest of",
		"== Failed steps", "RAW ERROR", "== Source-server snapshots", "export --out",
		"== Snowball cluster jobs", "InTransitToCustomer", "== SMS replication jobs", "Snowball cluster jobs", "SMS replication jobs",
	} {
		if !strings.Contains(report, want) && !strings.Contains(strings.ToLower(report), strings.ToLower(want)) {
			t.Errorf("demo report lacks %q:\n%s", want, report)
		}
	}
	if !strings.Contains(report, "_FAIL") && !strings.Contains(report, "LAUNCH_FAILED") {
		t.Errorf("demo report shows no failed step:\n%s", report)
	}
}

// TestDemoEndsWithReport checks that the demo ends by writing the HTML
// report of its own archive, naming every source server the emulator
// served, and prints its path last.
func TestDemoEndsWithReport(t *testing.T) {
	dir := archivetest.Dir(t)
	var out bytes.Buffer
	if err := demo.Run(context.Background(), demo.Options{ArchiveDir: dir, Seed: 2}, &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	path := filepath.Join(dir, demo.ReportName)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != path {
		t.Errorf("the demo's last line is %q, want the report's path %s", last, path)
	}
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	emu := emulator.New(emulator.Options{Seed: 2})
	servers := emu.SourceServers()
	if len(servers) == 0 {
		t.Fatal("no servers: the test proves nothing")
	}
	for _, raw := range servers {
		var s struct{ SourceServerID string }
		json.Unmarshal(raw, &s)
		if !strings.Contains(string(page), s.SourceServerID) {
			t.Errorf("the report lacks server %s", s.SourceServerID)
		}
	}
}
