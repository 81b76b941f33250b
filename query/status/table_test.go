package status_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/query/status"
)

// update makes the golden tests of this package rewrite their files.
var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// checkGolden compares got with testdata/<name>, which -update rewrites.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./query/status/ -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n%s\nwant:\n%s", path, got, want)
	}
}

// checkWidth fails the test if a line of out is wider than 80 columns,
// unless it is one word too long for any line after its key.
func checkWidth(t *testing.T, out string) {
	t.Helper()
	for i, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if n := utf8.RuneCountInString(l); n > 80 {
			words := strings.Fields(l)
			if len(words) == 2 && utf8.RuneCountInString(words[1]) > 80-24 {
				continue
			}
			t.Errorf("line %d has %d runes: %q", i+1, n, l)
		}
	}
}

// TestStatusTable: the table of a report, exactly, within 80 columns.
func TestStatusTable(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	started := now.Add(-3 * time.Hour)
	lastOK := now.Add(-27 * time.Hour)
	records := map[archive.Kind]int{kinds.DRSJob: 43, kinds.DRSJobLogItem: 1912}
	tests := []struct {
		name string
		rep  status.Report
	}{
		{
			name: "ok-failed-behind-running",
			rep: status.Report{
				Archive: status.Archive{Path: "/srv/archiver/archive.db", SizeBytes: 16 << 20, DiskBytes: 3 << 20, Schema: 5, Position: 12, Records: records, Total: 1955,
					Deleted: map[archive.Kind]int{kinds.DRSJob: 2}},
				Index:   status.Index{State: status.IndexBehind, SizeBytes: 512 << 10, DiskBytes: 520 << 10, Position: 10, ChangesBehind: 2, RecordsBehind: 31},
				Running: &status.Running{PID: 4242, Since: now.Add(-2 * time.Minute)},
				Syncs: []status.Sync{
					{Source: "drs", Region: "us-east-1", Account: "123456789012", Started: started, Finished: started.Add(4213 * time.Millisecond),
						DurationSeconds: 4.213, ItemsRead: 1234, RecordsAdded: 56, OK: true, LastSuccess: &started},
					{Source: "sms", Region: "eu-west-1", Started: started, Finished: started.Add(90 * time.Second),
						DurationSeconds: 90, Error: "get caller identity: denied", LastSuccess: &lastOK},
					{Source: "snowball", Region: "ap-southeast-2", Account: "210987654321", Started: started, Finished: started.Add(time.Hour + 90*time.Second),
						DurationSeconds: 3690, ItemsRead: 1234567, RecordsAdded: 1,
						Error: "ListClusterJobs CID123e4567-e89b-12d3-a456-426655440000 page 3: access denied: the credentials lack snowball:ListClusterJobs (AccessDeniedException: User: arn:aws:sts::210987654321:assumed-role/archiver/cron is not authorized to perform: snowball:ListClusterJobs)"},
				},
			},
		},
		{
			name: "no-index-no-sync",
			rep: status.Report{
				Archive: status.Archive{Path: "/a/archive.db", SizeBytes: 32 << 10, DiskBytes: 32 << 10, Schema: 5, Records: map[archive.Kind]int{}},
				Index:   status.Index{State: status.IndexMissing, Note: "no full-text index yet; the next sync or 'archiver reindex' makes one"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := status.WriteTable(&b, tt.rep, now); err != nil {
				t.Fatal(err)
			}
			checkWidth(t, b.String())
			checkGolden(t, filepath.Join("status", tt.name+".golden"), b.String())
		})
	}
}
