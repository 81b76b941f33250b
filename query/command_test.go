package query_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/search"
)

// TestAnswer runs whole queries as the command does, without the command
// line: the records printed against the emulator's history, and the errors
// that are the command line's fault.
func TestAnswer(t *testing.T) {
	emu, dir, seen := syncedFixture(t, 83)
	failed := 0
	for _, it := range history(t, emu, seen) {
		if it.data["event"] == "LAUNCH_FAILED" {
			failed++
		}
	}
	if failed == 0 {
		t.Fatal("no LAUNCH_FAILED item; the test proves nothing")
	}
	tests := []struct {
		name  string
		req   query.Request
		lines int
		usage bool
	}{
		{name: "event", req: query.Request{Filters: query.Filters{Events: []string{"LAUNCH_FAILED"}}}, lines: failed},
		{name: "text", req: query.Request{Filters: query.Filters{Text: "event:launch_failed"}}, lines: failed},
		{name: "bad text", req: query.Request{Filters: query.Filters{Text: "event:"}}, usage: true},
		{name: "bad token", req: query.Request{StartingToken: "nonsense"}, usage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			o := query.Options{ArchiveDir: dir, Request: tt.req, Format: query.FormatJSONL, LockTimeout: time.Minute, OpenSearch: search.Open}
			err := query.Answer(context.Background(), o, &stdout, &stderr)
			if tt.usage {
				if !query.IsUsage(err) {
					t.Fatalf("err %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Count(stdout.String(), "\n"); got != tt.lines || stderr.Len() != 0 {
				t.Errorf("%d records, stderr %q; want %d", got, stderr.String(), tt.lines)
			}
		})
	}
}
