package query_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/query"
)

// TestUnindexedAnswers: records no index has reached are matched one by
// one (keyword filters, single words) or indexed in memory (other
// full-text queries); either way the answer is the one the full-text
// index gives for the same history, page by page.
func TestUnindexedAnswers(t *testing.T) {
	const seed = 31
	emu, indexed, seen := syncedFixture(t, seed)
	_, bare, _ := unindexedFixture(t, seed)
	h := history(t, emu, seen)
	failed := want(h, func(it item) bool { return it.data["event"] == "LAUNCH_FAILED" })
	capacity := want(h, func(it item) bool { return strings.Contains(it.text, "insufficientinstancecapacity") })
	if len(failed) == 0 || len(capacity) == 0 {
		t.Fatal("the history has no failed launch or no capacity error: the test proves nothing")
	}
	tests := []struct {
		name string
		f    query.Filters
	}{
		{"event", query.Filters{Events: []string{"launch_failed", "LAUNCH_END"}}},
		{"status", query.Filters{Statuses: []string{"COMPLETED"}}},
		{"type", query.Filters{Types: []string{"LAUNCH"}}},
		{"initiated by", query.Filters{InitiatedBy: []string{"START_DRILL"}}},
		{"event and kind", query.Filters{Events: []string{"LAUNCH_FAILED"}, Kinds: []archive.Kind{kinds.DRSJobLogItem}}},
		{"text keyword", query.Filters{Text: "event:LAUNCH_FAILED"}},
		{"text keywords or", query.Filters{Text: "event:LAUNCH_FAILED OR event:LAUNCH_END"}},
		{"text keyword not", query.Filters{Text: "NOT event:LAUNCH_FAILED"}},
		{"text word", query.Filters{Text: "InsufficientInstanceCapacity"}},
		{"text word and keyword", query.Filters{Text: "InsufficientInstanceCapacity AND event:LAUNCH_FAILED"}},
		{"text phrase", query.Filters{Text: `"insufficient capacity"`}},
		{"text wildcard", query.Filters{Text: "Insufficient*"}},
		{"text phrase of the data", query.Filters{Text: `"request limit exceeded"`}},
		{"text phrase with common words", query.Filters{Text: `"the launch was not retried"`}},
		{"text phrase in another order", query.Filters{Text: `"exceeded limit request"`}},
		{"text regexp", query.Filters{Text: "/capac.*/"}},
		{"text regexp of a keyword field", query.Filters{Text: "event:/launch_(failed|end)/"}},
		{"text phrase and keyword", query.Filters{Text: `"request limit" AND NOT event:LAUNCH_END`}},
		{"text word with events", query.Filters{Text: "capacity", Events: []string{"LAUNCH_FAILED"}}},
		{"text word that is an event", query.Filters{Text: "JOB_START"}},
		{"text word that is an event, not", query.Filters{Text: "NOT job_start AND NOT event:JOB_END"}},
		{"text phrase of an event and common words", query.Filters{Text: `"the JOB_START"`}},
		{"text phrase of two events", query.Filters{Text: `"LAUNCH_FAILED JOB_END"`}},
		{"text regexp of events", query.Filters{Text: "/job_(start|end)/"}},
		{"text wildcard of events", query.Filters{Text: "launch_*"}},
		{"text fuzzy word of an event", query.Filters{Text: "JOB_STRAT~2"}},
	}
	nonEmpty := 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := query.Request{Filters: tc.f}
			fromIndex, _, err := ask(t, indexed, req)
			if err != nil {
				t.Fatal(err)
			}
			fromArchive, _, err := ask(t, bare, req)
			if err != nil {
				t.Fatal(err)
			}
			// The two archives are synced apart: records of one time may
			// stand in another order in each.
			if strings.Join(sorted(fromArchive), "\n") != strings.Join(sorted(fromIndex), "\n") {
				t.Errorf("without an index: %d records %v; with it: %d %v", len(fromArchive), first(fromArchive), len(fromIndex), first(fromIndex))
			}
			if len(fromIndex) > 0 {
				nonEmpty++
			}
			t.Logf("%d records", len(fromIndex))
			// Pages join up to the whole answer, with the index (which
			// finds a page's records oldest first) and without.
			for _, a := range []struct {
				dir, what string
				whole     []string
			}{{bare, "without an index", fromArchive}, {indexed, "with the index", fromIndex}} {
				req := req
				req.MaxItems, req.Fingerprint = 7, "f"
				paged := askPages(t, a.dir, req, len(a.whole)+1)
				if strings.Join(paged, "\n") != strings.Join(a.whole, "\n") {
					t.Errorf("pages %s give %d records, one query %d, or another order", a.what, len(paged), len(a.whole))
				}
			}
		})
	}
	if nonEmpty < len(tests)/2 {
		t.Errorf("only %d of %d queries select anything: the test proves little", nonEmpty, len(tests))
	}
	// The event filter selects what the history says.
	got, _, err := ask(t, bare, query.Request{Filters: query.Filters{Events: []string{"LAUNCH_FAILED"}}})
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, "failed launches without an index", got, failed)
	got, _, err = ask(t, bare, query.Request{Filters: query.Filters{Text: "InsufficientInstanceCapacity"}})
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, "capacity errors without an index", got, capacity)
	// A word that is an event finds the records of that event, with the
	// index and without.
	started := want(h, func(it item) bool { return it.data["event"] == "JOB_START" || strings.Contains(it.text, "job_start") })
	for _, f := range []string{"JOB_START", "JOB_STRAT~2", "/job_sta.*/"} {
		for _, a := range []string{indexed, bare} {
			got, _, err := ask(t, a, query.Request{Filters: query.Filters{Text: f}})
			if err != nil {
				t.Fatal(err)
			}
			sameSet(t, f, got, started)
		}
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
