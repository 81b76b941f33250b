package index_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// jobQueries are questions whose answers depend on which item of a job
// holds what: a job document holds every item of its log, so each must
// still be answered item by item. serverID and jobID name a server and a
// job of the archive, word and phrase are in the text of an item of event.
func jobQueries(t *testing.T, serverID, jobID, event, word, phrase string) []struct {
	name string
	q    index.Query
} {
	t.Helper()
	must := func(q index.Query, err error) index.Query {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	ev := func(v ...string) index.Query { return index.Keyword(index.FieldEvent, v...) }
	return []struct {
		name string
		q    index.Query
	}{
		{"one event", ev("JOB_START")},
		{"an event with text", ev("LAUNCH_FAILED")},
		{"either event", ev("JOB_END", "SNAPSHOT_START")},
		{"two events of one item", index.And(ev("JOB_START"), ev("JOB_END"))},
		{"event of a server", index.And(ev("LAUNCH_START"), index.Keyword(index.FieldServerID, serverID))},
		{"event or server", index.Or(ev("CLEANUP_END"), index.Keyword(index.FieldServerID, serverID))},
		{"not an event", index.Not(ev("JOB_START"))},
		{"a job but an event", index.And(index.Keyword(index.FieldJobID, jobID), index.Not(ev("JOB_END")))},
		{"regexp", index.Regexp(index.FieldEvent, "conversion_.*")},
		{"fuzzy", index.Fuzzy(index.FieldEvent, "JOB_STRAT", 2)},
		{"fuzzy word", index.Fuzzy(index.FieldText, "job_ends", 1)},
		{"event as a word", must(index.Words(index.FieldText, "SNAPSHOT_END"))},
		{"word of an error", must(index.Words(index.FieldText, word))},
		{"phrase", must(index.Phrase(index.FieldText, phrase))},
		{"event and word", index.And(ev(event), must(index.Words(index.FieldText, word)))},
		{"everything", index.All()},
	}
}

// answers returns the document IDs of the answer to q from the index of
// dir and from the archive's records alone (no index), both as of one
// snapshot.
func answers(t *testing.T, dir string, q index.Query) (got, want []string) {
	t.Helper()
	st, x, done := openBoth(t, dir)
	defer done()
	ids := func(refs []index.Ref) []string {
		out := make([]string, len(refs))
		for i, r := range refs {
			out[i] = index.DocID(r.Kind, r.Key)
		}
		return out
	}
	err := st.View(func(r *archive.Reader) error {
		hits, err := x.Search(context.Background(), r, q)
		if err != nil {
			return err
		}
		got = ids(hits)
		scan, err := index.SearchSnapshot(context.Background(), r, nil, q)
		want = ids(scan)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, want
}

// jobFixture is what jobQueries asks about in an archive: a server, an
// event whose items have an error of many words, the longest word of the
// first such error and two long words in a row of it, and the longest log.
type jobFixture struct {
	serverID, event, word, phrase string
	longest                       archive.JobRef
	longestKeys                   []archive.Key
}

// syncedJobs syncs the history o describes into a new archive, brings its
// index up to it, and returns the emulator, the archive's directory and
// its jobFixture.
func syncedJobs(t *testing.T, o emulator.Options) (*emulator.Server, string, jobFixture) {
	t.Helper()
	emu := archivetest.Emulator(t, o)
	dir := archivetest.Dir(t)
	syncOnce(t, dir, emu)
	update(t, dir)
	return emu, dir, findJobFixture(t, dir)
}

// queries are the jobQueries about f.
func (f jobFixture) queries(t *testing.T) []struct {
	name string
	q    index.Query
} {
	return jobQueries(t, f.serverID, f.longest.JobID, f.event, f.word, f.phrase)
}

// findJobFixture reads a jobFixture from the archive of dir.
func findJobFixture(t *testing.T, dir string) jobFixture {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var serverID, event, word, phrase string
	var longest archive.JobRef
	var longestKeys []archive.Key
	err = st.View(func(r *archive.Reader) error {
		err := r.Each(kinds.DRSJobLogItem, func(rec archive.Record) error {
			var li struct {
				Event     string
				EventData struct{ SourceServerID, RawError string } `json:"eventData"`
			}
			json.Unmarshal(rec.Data, &li)
			if serverID == "" {
				serverID = li.EventData.SourceServerID
			}
			// The longest word of the first error, and two words of
			// letters in a row.
			if words := strings.FieldsFunc(li.EventData.RawError, func(r rune) bool { return !unicode.IsLetter(r) }); word == "" && len(words) > 3 {
				event = li.Event
				for i, w := range words {
					if len(w) > len(word) {
						word = w
					}
					if phrase == "" && i > 0 && len(w) > 4 && len(words[i-1]) > 4 {
						phrase = words[i-1] + " " + w
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		return r.EachJobKeys(func(j archive.JobRef, keys []archive.Key) error {
			if len(keys) > len(longestKeys) {
				longest, longestKeys = j, slices.Clone(keys)
			}
			return nil
		})
	})
	st.Close()
	if err != nil || serverID == "" || phrase == "" || len(longestKeys) < 4 {
		t.Fatalf("no server, no error of two long words in a row or no log of 4 items (%v)", err)
	}
	return jobFixture{serverID, event, word, phrase, longest, longestKeys}
}

// TestJobDocumentsAnswerItemByItem: the index, which holds the log items
// of each job in one document, answers as the records themselves do,
// queries whose parts match different items of a job's log included; and
// so it does after a log is cut short, an item is written over and a job
// is added, with Diff finding nothing amiss.
func TestJobDocumentsAnswerItemByItem(t *testing.T) {
	_, dir, f := syncedJobs(t, emulator.Options{Seed: 71, Jobs: 12})
	longest, longestKeys := f.longest, f.longestKeys
	queries := f.queries(t)

	check := func(stage string) {
		t.Helper()
		nonEmpty := 0
		for _, tc := range queries {
			got, want := answers(t, dir, tc.q)
			if !slices.IsSorted(got) {
				t.Errorf("%s: %s: not in document ID order", stage, tc.name)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: %s: the index answers %d records, the records themselves %d", stage, tc.name, len(got), len(want))
			}
			if len(want) > 0 {
				nonEmpty++
			} else {
				t.Logf("%s: %s: no answer", stage, tc.name)
			}
		}
		if nonEmpty < len(queries)-2 {
			t.Errorf("%s: only %d of %d questions have answers; the test proves little", stage, nonEmpty, len(queries))
		}
		if d, pending := diff(t, dir); len(d) > 0 || pending != 0 {
			t.Errorf("%s: diff = %v (%d pending)", stage, d, pending)
		}
	}
	check("after the first update")

	// The longest log cut to half, then its first item written over with
	// a text of more than its event, and its second with an event alone.
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	write := func(fn func(w *archive.Writer) error) {
		t.Helper()
		st, err := archive.Open(context.Background(), dir, archive.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.Update(fn); err != nil {
			t.Fatal(err)
		}
	}
	write(func(w *archive.Writer) error {
		_, err := w.TrimLog(longest, len(longestKeys)/2)
		return err
	})
	update(t, dir)
	check("after a log was cut short")

	write(func(w *archive.Writer) error {
		_, err := w.PutLogItems([]archive.LogItem{
			{Job: longest, Pos: 0, Record: archive.Record{Time: longestKeys[0].Time(), FirstSeen: t0, LastSeen: t0,
				Data: []byte(fmt.Sprintf(`{"event":"LAUNCH_FAILED","eventData":{"sourceServerID":%q,"rawError":"no capacity left"}}`, f.serverID))}},
			{Job: longest, Pos: 1, Record: archive.Record{Time: longestKeys[1].Time(), FirstSeen: t0, LastSeen: t0,
				Data: []byte(`{"event":"JOB_START"}`)}},
		})
		return err
	})
	update(t, dir)
	check("after items were written over")

	// The first item back to an event alone, once more.
	write(func(w *archive.Writer) error {
		_, err := w.PutLogItems([]archive.LogItem{{Job: longest, Pos: 0, Record: archive.Record{Time: longestKeys[0].Time(), FirstSeen: t0, LastSeen: t0,
			Data: []byte(`{"event":"JOB_END"}`)}}})
		return err
	})
	update(t, dir)
	check("after an item's text went")
}
