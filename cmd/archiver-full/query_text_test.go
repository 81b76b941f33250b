package main

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// TestQueryTextOnOldIndex: an index of the previous layout (keyword fields
// as given, no term positions) is not read: the query searches the archive
// in memory, says so, and answers in full; the next sync rebuilds the
// index, and the answer stays the same.
func TestQueryTextOnOldIndex(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 61, Jobs: 120})
	dir := archivetest.Dir(t)
	sync := func() {
		t.Helper()
		if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL()); code != 0 {
			t.Fatalf("sync: %s", stderr)
		}
	}
	sync()

	// LAUNCH_FAILED items whose raw error has the word "capacity".
	want := 0
	for _, id := range emu.JobIDs() {
		for _, raw := range emu.JobLog(id) {
			var li struct {
				Event     string
				EventData struct{ RawError string }
			}
			json.Unmarshal(raw, &li)
			words := strings.FieldsFunc(strings.ToLower(li.EventData.RawError), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
			if li.Event == "LAUNCH_FAILED" && strings.Contains(" "+strings.Join(words, " ")+" ", " capacity ") {
				want++
			}
		}
	}
	if want == 0 {
		t.Fatal("no LAUNCH_FAILED item mentions capacity; the test proves nothing")
	}
	ask := func() (int, string) {
		t.Helper()
		code, stdout, stderr := runCLI(t, "--archive", dir, "query", "--text", "event:launch_failed AND capacity", "--output", "jsonl")
		if code != 0 {
			t.Fatalf("query: exit %d: %s", code, stderr)
		}
		return strings.Count(stdout, "\n"), stderr
	}

	x, err := index.Open(dir, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.SetFormatForTesting("2"); err != nil {
		t.Fatal(err)
	}
	x.Close()
	got, stderr := ask()
	if got != want || !strings.Contains(stderr, "no usable full-text index") {
		t.Errorf("on a format 2 index: %d records (want %d), stderr %q", got, want, stderr)
	}
	sync()
	if x, err := index.Open(dir, index.Options{ReadOnly: true}); err != nil {
		t.Fatalf("after sync: %v", err)
	} else {
		x.Close()
	}
	got, stderr = ask()
	if got != want || stderr != "" {
		t.Errorf("on the rebuilt index: %d records (want %d), stderr %q", got, want, stderr)
	}
}
