package sync

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/archiver-dev/archiver/archive"
)

// FuzzReadImportFile reads arbitrary files as saved AWS CLI output: it
// never panics, and every item it accepts is stored compacted (one line,
// json.Compact of itself) and is the same state as itself.
func FuzzReadImportFile(f *testing.F) {
	for _, s := range []string{
		"{\n    \"items\": [\n        {\n            \"jobID\": \"drsjob-0123456789abcdefA\",\n            \"arn\": \"arn:aws:drs:eu-west-1:111122223333:job/drsjob-0123456789abcdefA\"\n        }\n    ]\n}\n",
		`{"items": [{"event": "JOB_START", "logDateTime": "2026-05-01T10:00:01Z", "eventData": {"rawError": "a\nb"}}]}`,
		`{"items": [{"sourceServerID": "s-1", "arn": "arn:aws:drs:eu-west-1:111122223333:source-server/s-1", "dataReplicationInfo": {"lagDuration": "PT1M"}}]}`,
		"{\"JobListEntries\": [{\"JobId\": \"JID1\", \"CreationDate\": 1786298255.44}]}\n{\"JobListEntries\": []}",
		`{"replicationJobList": [{"replicationJobId": "sms-job-1", "seedReplicationTime": 1.5e9, "replicationRunList": [{"state": "ACTIVE"}]}]}`,
		`{"items": [{"jobID": "x", "n": 1.0e3, "s": "\u00e9 \" \\"}]}`,
		`{"accounts": [{"accountID": "210987654321"}]}`,
		`{"items": [{"recoveryInstanceID": "i-1", "jobID": "drsjob-1", "sourceServerID": "s-1", "arn": "arn:aws:drs:eu-west-1:111122223333:recovery-instance/i-1"}]}`,
		`{"items": [{"snapshotID": "pit-1", "sourceServerID": "s-1", "timestamp": "2026-05-01T10:00:01Z"}]}`,
		``, `[]`, `{"items": [1]}`,
		// Not UTF-8, or nested past MaxJSONDepth: refused.
		"{\"items\": [{\"jobID\": \"caf\xe9\"}]}",
		"{\"items\": [{\"jobID\": \"x\", \"s\": \"\xed\xa0\x80\"}]}",
		"{\"items\": []}\n\xe2\x82",
		`{"items": [{"jobID": "x", "d": ` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}]}`,
		`{"items": [{"jobID": "x", "d": ` + strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat("}", 70) + `}]}`,
		`{"items": [{"jobID": "x", "d": "` + strings.Repeat("[", 100) + `"}]}`,
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body []byte) {
		p := filepath.Join(dir, "drsjob-0123456789abcdefA-CID123e4567-e89b-12d3-a456-426655440000.json")
		if err := os.WriteFile(p, body, 0o600); err != nil {
			t.Fatal(err)
		}
		o := ImportOptions{Region: "eu-west-1", Account: "111122223333", CapturedAt: time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)}
		imp, err := readImportFile(p, o)
		if err != nil {
			return
		}
		for i, rec := range importRecords(t, imp, o) {
			var buf bytes.Buffer
			if err := json.Compact(&buf, rec.Data); err != nil {
				t.Fatalf("item %d is not JSON: %v: %q", i, err, rec.Data)
			}
			if !bytes.Equal(buf.Bytes(), rec.Data) || bytes.ContainsAny(rec.Data, "\n\r") {
				t.Fatalf("item %d is not compacted: %q", i, rec.Data)
			}
			if d := importDiff(imp.kind, rec.Data, rec.Data); d != "" {
				t.Fatalf("item %d differs from itself at %s: %q", i, d, rec.Data)
			}
			if !utf8.Valid(rec.Data) || JSONDepthOf(rec.Data)+2 > MaxJSONDepth {
				t.Fatalf("item %d is not UTF-8 or nests too deep: %q", i, rec.Data)
			}
			if !coveredState(imp.kind, rec.Data, rec.Data) {
				t.Fatalf("item %d is not the same state as itself: %q", i, rec.Data)
			}
		}
	})
}

// importRecords reads the records of a file the first pass accepted.
func importRecords(t *testing.T, f *importFile, o ImportOptions) []archive.Record {
	t.Helper()
	var recs []archive.Record
	if err := f.records(o, func(_ int, rec archive.Record) error { recs = append(recs, rec); return nil }); err != nil {
		t.Fatalf("second pass: %v", err)
	}
	if len(recs) != f.n {
		t.Fatalf("second pass read %d records, the first %d", len(recs), f.n)
	}
	return recs
}

// JSONDepthOf returns how deep JSON data nests, by decoding it, or -1 when
// it is not JSON. It is exported for the package's external tests.
func JSONDepthOf(data []byte) int {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return -1
	}
	var depth func(v any) int
	depth = func(v any) int {
		d := 0
		switch v := v.(type) {
		case map[string]any:
			for _, e := range v {
				d = max(d, depth(e))
			}
			return d + 1
		case []any:
			for _, e := range v {
				d = max(d, depth(e))
			}
			return d + 1
		}
		return 0
	}
	return depth(v)
}
