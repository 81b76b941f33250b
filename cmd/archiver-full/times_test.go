package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// servedJobs returns the served bytes of every DRS job of emu, compacted,
// by job ID.
func servedJobs(t *testing.T, emu *emulator.Server) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, raw := range emu.Jobs() {
		var j struct {
			JobID string `json:"jobID"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			t.Fatal(err)
		}
		out[j.JobID] = b.Bytes()
	}
	return out
}

// TestTimeFlags checks the capture and deletion ranges, --tz and the time
// forms on the command line: a job and a source server are deleted between
// two syncs, and the second sync sees jobs change and new ones appear.
func TestTimeFlags(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 43, Jobs: 10, Servers: 5})
	dir := archivetest.Dir(t)
	syncCLI(t, dir, emu.URL())
	before := servedJobs(t, emu)
	mid := time.Now().UTC()
	midArg := mid.Format(time.RFC3339Nano)
	jobs := emu.JobIDs() // as the first sync saw them
	job, server := deleteUpstream(t, emu, 0)
	emu.Advance(time.Hour)
	syncCLI(t, dir, emu.URL())
	// The jobs the second sync saw first. A DRS job is one record, updated
	// in place, that keeps the firstSeen of the first sync that saw it.
	var added []string
	changed := 0
	for id, data := range servedJobs(t, emu) {
		if before[id] == nil {
			added = append(added, id)
		} else if !bytes.Equal(before[id], data) {
			changed++
		}
	}
	if len(added) == 0 || changed == 0 {
		t.Fatalf("%d jobs added and %d changed between the syncs; the test proves nothing", len(added), changed)
	}

	ids := func(args ...string) []string {
		t.Helper()
		code, stdout, stderr := runCLI(t, append([]string{"--archive", dir, "query", "--output", "jsonl"}, args...)...)
		if code != 0 {
			t.Fatalf("query %v: exit %d: %s", args, code, stderr)
		}
		var out []string
		for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
			if line == "" {
				continue
			}
			var o struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal([]byte(line), &o); err != nil {
				t.Fatalf("query %v: %v: %s", args, err, line)
			}
			out = append(out, o.ID)
		}
		slices.Sort(out)
		return out
	}
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"jobs first seen by the second sync", []string{"--kind", "drs.job", "--captured-from", midArg}, added},
		{"jobs first seen in the last day", []string{"--kind", "drs.job", "--captured-from", "1d", "--captured-to", "now"}, append(added, jobs...)},
		{"jobs first seen by the first sync", []string{"--kind", "drs.job", "--captured-to", midArg}, jobs},
		{"deleted since", []string{"--deleted-from", midArg}, deletedWith(job, server)},
		{"deleted since yesterday, in Berlin", []string{"--deleted-from", "yesterday", "--tz", "Europe/Berlin"}, deletedWith(job, server)},
		{"deleted jobs since", []string{"--deleted-from", midArg, "--kind", "drs.job"}, []string{job}},
		{"deleted before", []string{"--deleted-to", midArg}, nil},
		{"captured before, ended by a date", []string{"--kind", "drs.job", "--captured-to", "2000-01"}, nil},
	} {
		want := slices.Sorted(slices.Values(tt.want))
		if got := ids(tt.args...); !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, want)
		}
	}

	// The capture range is part of the token's query.
	code, _, stderr := runCLI(t, "--archive", dir, "query", "--output", "jsonl", "--captured-from", "1d", "--max-items", "1")
	tok, ok := strings.CutPrefix(strings.TrimSpace(stderr), "NextToken: ")
	if code != 0 || !ok {
		t.Fatalf("query --max-items 1: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "--archive", dir, "query", "--output", "jsonl", "--captured-from", "1d", "--starting-token", tok); code != 0 {
		t.Errorf("same query, next page: exit %d: %s", code, stderr)
	}
	for _, other := range [][]string{{"--captured-from", "2d"}, {"--captured-from", "1d", "--tz", "Europe/Berlin"}, {"--deleted-from", "1d"}} {
		if code, _, stderr := runCLI(t, append([]string{"--archive", dir, "query", "--starting-token", tok}, other...)...); code != 2 {
			t.Errorf("token of another query (%v): exit %d: %s", other, code, stderr)
		}
	}

	// The export's manifest records them as given, with the zone.
	out := filepath.Join(t.TempDir(), "changed.json")
	if code, _, stderr := runCLI(t, "--archive", dir, "export", "--out", out, "--captured-from", "2w", "--deleted-to", "today", "--tz", "Europe/Berlin"); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	doc := readExport(t, out)
	var full struct {
		Manifest struct {
			Filters map[string]any `json:"filters"`
		} `json:"manifest"`
	}
	b, err := os.ReadFile(out)
	if err == nil {
		err = json.Unmarshal(b, &full)
	}
	if err != nil {
		t.Fatal(err)
	}
	f := full.Manifest.Filters
	if f["captured-from"] != "2w" || f["deleted-to"] != "today" || f["tz"] != "Europe/Berlin" || len(f) != 3 {
		t.Errorf("manifest filters %v", f)
	}
	if want := len(deletedWith(job, server)); doc.Manifest.Records != want {
		t.Errorf("the export holds %d records, want the %d deleted objects", doc.Manifest.Records, want)
	}

	// A prune reads and prints its bound in --tz.
	code, stdout, stderr := runCLI(t, "--archive", dir, "prune", "--before", "2000-10", "--tz", "Europe/Berlin", "--no-export")
	if code != 0 || !strings.Contains(stdout, "2000-10-01T00:00:00+02:00") {
		t.Errorf("prune --before 2000-10 --tz Europe/Berlin: exit %d: %s%s", code, stdout, stderr)
	}
}

func TestTimeFlagErrors(t *testing.T) {
	hermeticEnv(t)
	dir := archivetest.Dir(t)
	for _, tt := range []struct {
		name string
		env  string // TZ
		args []string
		want string
	}{
		{"bad zone", "", []string{"query", "--tz", "Mars/Olympus_Mons"}, `--tz "Mars/Olympus_Mons": not a time zone`},
		{"bad TZ", "Mars/Olympus_Mons", []string{"query", "--from", "1d"}, `TZ (environment) "Mars/Olympus_Mons": not a time zone`},
		{"bad TZ, table", "CET-1CEST,M3.5.0,M10.5.0/3", []string{"query", "--output", "table"}, `TZ (environment) "CET-1CEST,M3.5.0,M10.5.0/3": not a time zone`},
		{"bad capture bound", "", []string{"query", "--captured-from", "soon"}, `--captured-from "soon": want RFC 3339`},
		{"reversed deletion range", "", []string{"query", "--deleted-from", "2026-10-02", "--deleted-to", "2026-10-01"}, `--deleted-from "2026-10-02" (2026-10-02T00:00:00Z) is after --deleted-to`},
		{"no such month", "", []string{"export", "--out", "-", "--from", "2026-13"}, `--from "2026-13": no such date or time`},
		{"until and to", "", []string{"export", "--out", "-", "--to", "1d", "--until", "1d"}, `--until is another name for --to: give one`},
		{"to names no destination", "", []string{"export", "--to", "s3://bucket/prefix"}, `give the S3 destination with --out s3://bucket/prefix`},
		{"bad to, S3", "", []string{"export", "--out", "s3://bucket/prefix", "--to", "soon"}, `--to "soon": want RFC 3339`},
		{"bad until", "", []string{"export", "--out", "s3://bucket/prefix", "--until", "soon"}, `--until "soon": want RFC 3339`},
		{"until before from", "", []string{"export", "--out", "s3://bucket/prefix", "--from", "2026-10", "--until", "2026-09"}, `--from "2026-10" (2026-10-01T00:00:00Z) is after --until "2026-09" (2026-09-30T23:59:59.999999999Z)`},
		{"bad prune zone", "", []string{"prune", "--before", "1y", "--tz", "nowhere", "--no-export"}, `--tz "nowhere"`},
		{"bad prune bound", "", []string{"prune", "--before", "1q", "--no-export"}, `--before "1q": want RFC 3339`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TZ", tt.env)
			code, _, stderr := runCLI(t, append([]string{"--archive", dir}, tt.args...)...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, %q; want exit 2 and %q", code, stderr, tt.want)
			}
		})
	}
	// A TZ that names no zone archiver knows is refused only where a zone
	// counts: JSON Lines with no time filter prints UTC and reads none.
	t.Setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3")
	archivetest.Open(t, dir).Close() // an empty archive
	if code, _, stderr := runCLI(t, "--archive", dir, "query", "--output", "jsonl"); code != 0 {
		t.Errorf("jsonl query with an unreadable TZ: exit %d: %s; want 0", code, stderr)
	}
	// Zone-less times follow TZ when --tz is not given.
	t.Setenv("TZ", "Asia/Tokyo")
	code, _, stderr := runCLI(t, "--archive", dir, "query", "--from", "2026-10-02T09:00", "--to", "2026-10-01", "--output", "jsonl")
	if want := `--from "2026-10-02T09:00" (2026-10-02T00:00:00Z) is after --to "2026-10-01" (2026-10-01T14:59:59.999999999Z)`; code != 2 || !strings.Contains(stderr, want) {
		t.Errorf("reversed range in TZ Asia/Tokyo: exit %d: %s; want %s", code, stderr, want)
	}
}

func TestTimeHelp(t *testing.T) {
	for _, tt := range []struct {
		cmd  string
		want []string
	}{
		{"query", []string{"--captured-from", "--deleted-to", "--tz", "3mo", "m is minutes", "seedReplicationTime", "pointInTimeSnapshotDateTime"}},
		{"export", []string{"--captured-from", "--deleted-to", "--until", "--tz"}},
		{"prune", []string{"firstSeen", "--tz", "3mo", "current state of each object always stays"}},
	} {
		code, stdout, _ := runCLI(t, tt.cmd, "--help")
		for _, w := range tt.want {
			if code != 0 || !strings.Contains(stdout, w) {
				t.Errorf("%s --help: exit %d, lacks %q", tt.cmd, code, w)
			}
		}
	}
}
