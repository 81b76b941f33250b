package demo_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/demo"
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
