package query_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/search"
)

// unindexedFixture syncs a seeded history into a new archive without
// building the full-text index, as a first sync leaves it until its index
// catches up.
func unindexedFixture(t *testing.T, seed int64) (*emulator.Server, string, time.Time) {
	t.Helper()
	emu := emulator.New(emulator.Options{Seed: seed})
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	dir := archivetest.Dir(t)
	seen := emu.Now()
	runSync(t, dir, emu, seen, true)
	if _, err := index.Open(dir, index.Options{ReadOnly: true}); !errors.Is(err, index.ErrNoIndex) {
		t.Fatalf("the archive has an index (%v): the test proves nothing", err)
	}
	return emu, dir, seen
}

// TestQueryReleasesArchive: a query over records the index has not reached
// (there is no index, as during a first sync) copies them under a read
// transaction and lets the archive go before it matches them or indexes
// them in memory, so a writer can commit while the query computes. The
// hook at the start of the compute phase opens the archive for writing with
// a short lock timeout and commits, which fails while the query still holds
// the archive; the answer is the one computed holding the archive.
func TestQueryReleasesArchive(t *testing.T) {
	tests := []struct {
		name string
		f    query.Filters
		want func(item) bool
	}{
		{"event", query.Filters{Events: []string{"LAUNCH_FAILED"}}, func(it item) bool { return it.data["event"] == "LAUNCH_FAILED" }},
		{"text", query.Filters{Text: "InsufficientInstanceCapacity"}, func(it item) bool {
			return strings.Contains(it.text, "insufficientinstancecapacity")
		}},
		{"text phrase", query.Filters{Text: `"InsufficientInstanceCapacity"`}, func(it item) bool {
			return strings.Contains(it.text, "insufficientinstancecapacity")
		}},
		{"status of log items", query.Filters{Events: []string{"LAUNCH_FAILED", "LAUNCH_END"}, Kinds: []archive.Kind{kinds.DRSJobLogItem}},
			func(it item) bool {
				return it.kind == kinds.DRSJobLogItem && (it.data["event"] == "LAUNCH_FAILED" || it.data["event"] == "LAUNCH_END")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			emu, dir, seen := unindexedFixture(t, 31)
			h := history(t, emu, seen)
			// The answer before any sync: its records are the history's,
			// and its output is what the query below must print.
			req := query.Request{Filters: tc.f}
			names, _, err := ask(t, dir, req)
			if err != nil {
				t.Fatal(err)
			}
			sameSet(t, tc.name, names, want(h, tc.want))
			answerWhileWriting(t, dir, req, printed(t, dir, req))
		})
	}
}

// answerWhileWriting answers req from the archive in dir, and checks that
// the query reaches its compute phase, that a writer commits to the
// archive meanwhile, and that it prints want.
func answerWhileWriting(t *testing.T, dir string, req query.Request, want string) {
	t.Helper()
	computed, wrote := false, error(nil)
	query.SetComputeHook(func() {
		computed = true
		// A writer takes the archive's exclusive lock, which a reader's
		// shared lock or open transaction would keep from it, and
		// commits.
		st, err := archive.Open(context.Background(), dir, archive.Options{LockTimeout: 2 * time.Second})
		if err == nil {
			err = st.Update(func(*archive.Writer) error { return nil })
			st.Close()
		}
		if wrote == nil {
			wrote = err
		}
	})
	defer query.SetComputeHook(nil)
	var stdout, stderr bytes.Buffer
	err := query.Answer(context.Background(), query.Options{
		ArchiveDir: dir, Request: req, Format: query.FormatJSONL,
		LockTimeout: time.Second, OpenSearch: search.Open,
	}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("query: %v (stderr %s)", err, stderr.String())
	}
	if !computed {
		t.Fatal("the query did not reach its compute phase: the test proves nothing")
	}
	if wrote != nil {
		t.Fatalf("a writer could not commit while the query computed: %v", wrote)
	}
	if stdout.String() != want {
		t.Errorf("the query printed %d lines, the records themselves give %d, or others",
			strings.Count(stdout.String(), "\n"), strings.Count(want, "\n"))
	}
}

// TestQueryWithNotReleasesArchive: a query with a NOT inside, whose log
// items the index (one document per job) cannot answer for one by one,
// copies them under a read transaction and lets the archive go before it
// matches them; its answer is the records' own.
func TestQueryWithNotReleasesArchive(t *testing.T) {
	emu, dir, seen := syncedFixture(t, 37)
	h := history(t, emu, seen)
	req := query.Request{Filters: query.Filters{Text: "NOT event:JOB_START", Kinds: []archive.Kind{kinds.DRSJobLogItem}}}
	names, _, err := ask(t, dir, req)
	if err != nil {
		t.Fatal(err)
	}
	wantNames := want(h, func(it item) bool { return it.kind == kinds.DRSJobLogItem && it.data["event"] != "JOB_START" })
	if len(wantNames) == 0 {
		t.Fatal("no log item; the test proves nothing")
	}
	sameSet(t, "NOT event", names, wantNames)
	answerWhileWriting(t, dir, req, printed(t, dir, req))
}

// printed is the JSON Lines output of req against dir, computed while the
// archive is held.
func printed(t *testing.T, dir string, req query.Request) string {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out bytes.Buffer
	w := query.NewWriter(&out, query.FormatJSONL, query.WriterOptions{})
	var next string
	err = st.View(func(r *archive.Reader) error {
		next, err = query.Run(context.Background(), query.Source{Archive: r, Search: search.Using(nil)}, req, w.Write)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(next); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestQueryDoesNotWaitForIndex: while a sync holds the full-text index to
// update it, a query does not wait for it: it answers from the archive,
// the same records, and says why on stderr.
func TestQueryDoesNotWaitForIndex(t *testing.T) {
	emu, dir, seen := syncedFixture(t, 31)
	h := history(t, emu, seen)
	req := query.Request{Filters: query.Filters{Events: []string{"LAUNCH_FAILED"}}}
	names, _, err := ask(t, dir, req)
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, "failed launches", names, want(h, func(it item) bool { return it.data["event"] == "LAUNCH_FAILED" }))
	wantOut := printed(t, dir, req)
	// A writer holds the index, as a sync updating it does.
	x, err := index.Open(dir, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var stdout, stderr bytes.Buffer
	err = query.Answer(context.Background(), query.Options{
		ArchiveDir: dir, Request: req, Format: query.FormatJSONL, LockTimeout: time.Minute,
		OpenSearch: search.Open,
	}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("query: %v (stderr %s)", err, stderr.String())
	}
	if stdout.String() != wantOut {
		t.Errorf("the query printed %d lines, with the index %d, or others",
			strings.Count(stdout.String(), "\n"), strings.Count(wantOut, "\n"))
	}
	if !strings.Contains(stderr.String(), "updating the full-text index") {
		t.Errorf("stderr %q does not say why the query searched the archive", stderr.String())
	}
}
