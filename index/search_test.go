package index_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// TestSearchAndLag: the query API's answers, from the index and from
// memory, against the emulator's log items, and the lag before and after
// an update.
func TestSearchAndLag(t *testing.T) {
	ctx := context.Background()
	emu := archivetest.Emulator(t, emulator.Options{Seed: 29, Jobs: 60})
	dir := archivetest.Dir(t)
	syncOnce(t, dir, emu)
	failed := launchFailed(emu)
	if failed == 0 {
		t.Fatal("no LAUNCH_FAILED item; the test proves nothing")
	}
	stopWord, err := index.Words(index.FieldText, "the")
	if err != nil {
		t.Fatal(err)
	}
	ev := index.Keyword(index.FieldEvent, "launch_failed")
	tests := []struct {
		name string
		q    index.Query
		want func(total int) int
	}{
		{"keyword", ev, func(int) int { return failed }},
		{"keyword of two values", index.Keyword(index.FieldEvent, "LAUNCH_FAILED", "no_such_event"), func(int) int { return failed }},
		{"and nothing", index.And(ev, index.None()), func(int) int { return 0 }},
		{"and a common word", index.And(ev, stopWord), func(int) int { return 0 }},
		{"or everything", index.Or(ev, index.All()), func(n int) int { return n }},
		{"not nothing", index.Not(index.None()), func(n int) int { return n }},
		{"not", index.Not(ev), func(n int) int { return n - failed }},
		{"and not itself", index.And(ev, index.Not(ev)), func(int) int { return 0 }},
		{"zero query", index.Query{}, func(n int) int { return n }},
	}

	st := archivetest.Open(t, dir)
	// A new index has reached nothing: every answer comes from memory.
	x, err := index.Open(dir, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	check := func(stage string) {
		t.Helper()
		err := st.View(func(r *archive.Reader) error {
			all, err := index.SearchSnapshot(ctx, r, x, index.All())
			if err != nil {
				return err
			}
			total := len(all)
			if total == 0 {
				t.Fatal("no record; the test proves nothing")
			}
			for _, tt := range tests {
				got, err := index.SearchSnapshot(ctx, r, x, tt.q)
				if err != nil {
					return err
				}
				if len(got) != tt.want(total) {
					t.Errorf("%s: %s: %d records, want %d", stage, tt.name, len(got), tt.want(total))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	lag := func() index.Lag {
		t.Helper()
		var l index.Lag
		err := st.View(func(r *archive.Reader) error { l, err = x.Lag(r); return err })
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := lag()
	n, err := x.Count()
	if err != nil || n != 0 {
		t.Fatalf("new index holds %d documents (%v)", n, err)
	}
	if l.IndexPosition != 0 || l.Changes() != l.ArchivePosition || len(l.Records) == 0 {
		t.Errorf("lag of a new index: %+v", l)
	}
	check("before the update")
	var written int
	err = st.View(func(r *archive.Reader) error { written, err = x.Update(ctx, r); return err })
	if err != nil {
		t.Fatal(err)
	}
	if written != len(l.Records) {
		t.Errorf("the update indexed %d records, the lag said %d", written, len(l.Records))
	}
	if l := lag(); l.Changes() != 0 || len(l.Records) != 0 || l.Ahead() {
		t.Errorf("lag after the update: %+v", l)
	}
	check("after the update")
}

// launchFailed counts the LAUNCH_FAILED items of the emulator's job logs.
func launchFailed(emu *emulator.Server) int {
	failed := 0
	for _, id := range emu.JobIDs() {
		for _, raw := range emu.JobLog(id) {
			var li struct{ Event string }
			json.Unmarshal(raw, &li)
			if li.Event == "LAUNCH_FAILED" {
				failed++
			}
		}
	}
	return failed
}

// TestSearchOrderAcrossPages: the index's answers are the same records in
// document ID order whether they fit the first request unsorted or are
// read in pages sorted by ID, including pages that end exactly at the
// last match.
func TestSearchOrderAcrossPages(t *testing.T) {
	ctx := context.Background()
	emu := archivetest.Emulator(t, emulator.Options{Seed: 31, Jobs: 40})
	dir := archivetest.Dir(t)
	syncOnce(t, dir, emu)
	failed := launchFailed(emu)
	if failed < 3 {
		t.Fatalf("%d LAUNCH_FAILED items; the test proves little", failed)
	}
	st := archivetest.Open(t, dir)
	x, err := index.Open(dir, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if err := st.View(func(r *archive.Reader) error { _, err := x.Update(ctx, r); return err }); err != nil {
		t.Fatal(err)
	}
	// Every record, as the archive counts them.
	total := 0
	err = st.View(func(r *archive.Reader) error {
		for _, kind := range kinds.Names() {
			n, err := r.Count(kind)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	queries := []struct {
		name string
		q    index.Query
		want int
	}{
		{"keyword", index.Keyword(index.FieldEvent, "launch_failed"), failed},
		{"everything", index.All(), total},
	}
	for _, qq := range queries {
		var first []string
		for _, page := range []int{100000, qq.want, qq.want - 1, 2, 1} {
			restore := index.SetFirstPage(page)
			var refs []index.Ref
			err := st.View(func(r *archive.Reader) error {
				var err error
				refs, err = x.Search(ctx, r, qq.q)
				return err
			})
			restore()
			if err != nil {
				t.Fatal(err)
			}
			ids := make([]string, len(refs))
			for i, r := range refs {
				ids[i] = index.DocID(r.Kind, r.Key)
			}
			if len(ids) != qq.want {
				t.Errorf("%s, page %d: %d records, want %d", qq.name, page, len(ids), qq.want)
			}
			if !slices.IsSorted(ids) {
				t.Errorf("%s, page %d: not in document ID order", qq.name, page)
			}
			if first == nil {
				first = ids
			} else if !slices.Equal(ids, first) {
				t.Errorf("%s, page %d: other records than with one request", qq.name, page)
			}
		}
	}
}
