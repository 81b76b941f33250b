package report_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/report"
	archsync "github.com/archiver-dev/archiver/sync"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestGolden renders a small history in each text format and compares it
// with testdata/golden (go test -update rewrites them). The archive's path,
// change-log position and checkpoint, which differ between runs, are
// replaced.
func TestGolden(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 3, Servers: 5, Jobs: 14, SnapshotInterval: 6 * time.Hour, LaunchFailureRate: 0.5})
	dir := archivetest.Dir(t)
	now := emu.Now()
	err := archsync.Run(context.Background(), archsync.Options{
		ArchiveDir: dir, Regions: []string{emulator.DefaultRegion}, EndpointURL: emu.URL(), NoIndex: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Now:         func() time.Time { return now },
	}, &archsync.Stats{})
	if err != nil {
		t.Fatal(err)
	}
	sel := report.Selection{Range: query.Range{From: now.Add(-30 * 24 * time.Hour), To: now}}.Resolve(now)
	d, err := report.Gather(context.Background(), dir, time.Second, sel, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	rep := report.Compute(d, sel, now, buildinfo("v1.2.3"))
	if rep.Summary.Launches == 0 {
		t.Fatal("no launches: the golden files prove nothing")
	}
	rep.Archive.Path = "ARCHIVE/archive.db"
	rep.Archive.Checkpoint = "CHECKPOINT\n"
	rep.Archive.Position = 0 // the commits a sync makes depend on timing
	for _, tc := range []struct{ format, file string }{
		{report.FormatTable, "report.txt"},
		{report.FormatMarkdown, "report.md"},
		{report.FormatJSON, "report.json"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := report.Write(&buf, rep, tc.format); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", tc.file)
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from %s (go test -update rewrites it):\n%s", tc.format, path, buf.String())
			}
		})
	}
}
