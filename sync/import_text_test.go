package sync_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

// nested returns a job item whose member "d" nests n lists deep.
func nested(n int) string {
	return `{"jobID": "` + impJob + `", "arn": "` + impARN + `job/` + impJob + `", "d": ` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
}

// TestImportRefusesTextThatIsNotJSON: JSON is UTF-8 and archiver reads no
// deeper than MaxJSONDepth. A file that breaks either is refused in one
// line naming the file and the byte offset, and nothing of the import is
// written, the good files beside it included.
func TestImportRefusesTextThatIsNotJSON(t *testing.T) {
	src := t.TempDir()
	at := time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)
	head := `{"items": [{"jobID": "` + impJob + `", "arn": "` + impARN + `job/` + impJob + `", "name": "`
	// An item at depth 3 (object, list, item) holds MaxJSONDepth-3 more.
	room := archsync.MaxJSONDepth - 3
	tests := []struct {
		name, content string
		// offset is the byte offset the error names; -1: any.
		offset int
		deep   bool
	}{
		{"invalid byte in a string", head + "caf\xe9\"}]}", len(head) + 3, false},
		{"lone continuation byte", head + "\x80\"}]}", len(head), false},
		{"surrogate encoded in UTF-8", head + "\xed\xa0\x80\"}]}", len(head), false},
		{"overlong encoding", head + "\xc0\xaf\"}]}", len(head), false},
		{"character cut at the end", `{"items": []}` + "\n\xe2\x82", 14, false},
		{"invalid byte in another member", `{"nextToken": "` + "\xff" + `", "items": []}`, 15, false},
		{"invalid byte after many pages", strings.Repeat(`{"items": []}`, 5000) + "\xfe", 5000 * 13, false},
		{"item too deep", `{"items": [` + nested(room+1) + `]}`, -1, true},
		{"9000 levels", `{"items": [` + nested(9000) + `]}`, -1, true},
		{"other member too deep", `{"items": [], "x": ` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`, 19 + archsync.MaxJSONDepth - 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := archivetest.Dir(t)
			importFiles(t, archsync.ImportOptions{ArchiveDir: dir}, cliFile(t, src, "jobs.json", `{"items": [`+nested(1)+`]}`, at))
			before := archivetest.ContentHash(t, dir)
			good := cliFile(t, src, "more.json", `{"items": [{"jobID": "drsjob-0123456789abcdefQ", "arn": "`+impARN+`job/drsjob-0123456789abcdefQ"}]}`, at)
			bad := cliFile(t, src, "bad.json", tt.content, at)
			_, err := archsync.Import(context.Background(), archsync.ImportOptions{ArchiveDir: dir}, []string{good, bad})
			if err == nil {
				t.Fatal("import accepted the file")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "import bad.json: ") {
				t.Errorf("error %q is not one line naming the file", msg)
			}
			var badText *archsync.InvalidUTF8Error
			var deep *archsync.TooDeepError
			switch {
			case !tt.deep && !errors.As(err, &badText):
				t.Errorf("error %v is not an InvalidUTF8Error", err)
			case tt.deep && !errors.As(err, &deep):
				t.Errorf("error %v is not a TooDeepError", err)
			}
			if tt.offset >= 0 && !strings.Contains(msg+" ", fmt.Sprintf("at byte offset %d ", tt.offset)) {
				t.Errorf("error %q does not name byte offset %d", msg, tt.offset)
			}
			if after := archivetest.ContentHash(t, dir); after != before {
				t.Error("a refused import changed the archive")
			}
		})
	}

	// The deepest an item may be goes in, byte for byte, and so does every
	// UTF-8 character, U+FFFD written out included.
	text := "caf\u00e9 \u2603 \U0001F600 \ufffd"
	for _, content := range []string{`{"items": [` + nested(room) + `]}`, head + text + `"}]}`} {
		dir := archivetest.Dir(t)
		if res := importFiles(t, archsync.ImportOptions{ArchiveDir: dir}, cliFile(t, src, "good.json", content, at)); res.Added != 1 {
			t.Fatalf("added %d; want the job", res.Added)
		}
		got := records(t, dir, kinds.DRSJob)
		if len(got) != 1 || !strings.Contains(content, string(got[0].Data[len(got[0].Data)-20:])) {
			t.Errorf("archived %d jobs; want the one of %.60q...", len(got), content)
		}
	}
}

// TestMaxJSONDepthLeavesRoom: every object the emulator serves, of every
// kind, archived by a sync, nests far less deep than MaxJSONDepth, counted
// as an import counts it (the answer's object and list around it).
func TestMaxJSONDepthLeavesRoom(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 11})
	dir := archivetest.Dir(t)
	o := options(dir, emu)
	o.NoIndex = true
	runSync(t, o)
	st := archivetest.Open(t, dir)
	defer st.Close()
	deepest, n := 0, 0
	err := st.View(func(r *archive.Reader) error {
		for _, k := range kinds.Names() {
			if err := r.Each(k, func(rec archive.Record) error {
				n++
				deepest = max(deepest, 2+depthOf(t, rec.Data))
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("the sync archived nothing: the test proves nothing")
	}
	t.Logf("deepest of %d records: %d levels", n, deepest)
	if deepest > archsync.MaxJSONDepth/2 {
		t.Errorf("a record nests %d levels deep, more than half of MaxJSONDepth (%d)", deepest, archsync.MaxJSONDepth)
	}
}

// depthOf returns how deep JSON data nests, by decoding it.
func depthOf(t *testing.T, data []byte) int {
	d := archsync.JSONDepthOf(data)
	if d < 0 {
		t.Fatalf("record is not JSON: %.200s", data)
	}
	return d
}
