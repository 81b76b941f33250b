package query_test

import (
	"cmp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/search"
)

// allRecords syncs every source of emu into a new archive, observed at the
// emulator's present, and returns every record in a stable order: by time,
// then kind, ID, job and position. Records of one time would otherwise
// follow the order in which concurrent fetchers committed them.
func allRecords(t *testing.T, emu *emulator.Server) []archive.Record {
	t.Helper()
	dir := archivetest.Dir(t)
	syncAll(t, dir, emu, emu.Now())
	st, x := openSource(t, dir)
	var recs []archive.Record
	err := st.View(func(r *archive.Reader) error {
		_, err := query.Run(t.Context(), query.Source{Archive: r, Search: search.Using(x)}, query.Request{}, func(rec archive.Record, _ []string) error {
			recs = append(recs, rec)
			return nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	pos := func(r archive.Record) int {
		if r.Pos == nil {
			return -1
		}
		return *r.Pos
	}
	slices.SortStableFunc(recs, func(a, b archive.Record) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID), cmp.Compare(a.JobID, b.JobID),
			cmp.Compare(pos(a), pos(b)), cmp.Compare(string(a.Data), string(b.Data)))
	})
	return recs
}

// TestTableGolden: the table of a small history of every kind, at 80 and
// 120 columns and wide, and the CSV header. The emulator's seed and
// present are fixed, and so are the sync's times.
func TestTableGolden(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 61, Jobs: 3, LogItemsPerJob: 3, InProgress: 1,
		SnowballClusters: 1, SnowballJobsPerCluster: 2, SMSJobs: 2})
	recs := allRecords(t, emu)
	seen := map[archive.Kind]bool{}
	for _, rec := range recs {
		seen[rec.Kind] = true
	}
	if len(seen) != len(kinds.Names()) {
		t.Fatalf("the history has records of %d kinds, not all %d", len(seen), len(kinds.Names()))
	}
	tests := []struct {
		name string
		opts query.WriterOptions
	}{
		{"emulator-table-width80", query.WriterOptions{Width: 80}},
		{"emulator-table-width120", query.WriterOptions{Width: 120}},
		{"emulator-table-wide", query.WriterOptions{Width: 80, Wide: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := writeOutput(t, query.FormatTable, tt.opts, recs, nil, "")
			checkOutputGolden(t, tt.name, out)
		})
	}
	t.Run("csv header", func(t *testing.T) {
		out, _ := writeOutput(t, query.FormatCSV, query.WriterOptions{}, recs, nil, "")
		header, _, _ := strings.Cut(out, "\n")
		checkOutputGolden(t, "csv-header", header+"\n")
	})
}

// TestTableIDsWhole: every ID of a synced history appears whole in an
// 80-column table of the archive: a record's own ID, a log item's job.
func TestTableIDsWhole(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 67})
	recs := allRecords(t, emu)
	var ids []string
	for _, it := range idHistory(t, emu, emu.Now()) {
		if it.id == "" {
			t.Fatalf("%s has no ID", it.name)
		}
		if !slices.Contains(ids, it.id) {
			ids = append(ids, it.id)
		}
	}
	if len(ids) == 0 {
		t.Fatal("the history has no IDs; the test proves nothing")
	}
	out, _ := writeOutput(t, query.FormatTable, query.WriterOptions{Width: 80}, recs, nil, "")
	tokens := map[string]bool{}
	for _, tok := range strings.Fields(out) {
		tokens[tok] = true
	}
	for _, id := range ids {
		if !tokens[id] {
			t.Errorf("%s is not whole in the table", id)
		}
	}
	for i, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if n := len([]rune(l)); n > 80 {
			t.Errorf("line %d has %d runes: %q", i+1, n, l)
		}
	}
	checkIDsWhole(t, "width 80", out, ids)
}

// TestTableLocation: times print in WriterOptions.Location, which the
// table's header names; JSON stays in UTC.
func TestTableLocation(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	recs := outputRecords()
	tests := []struct {
		name string
		loc  *time.Location
		want []string
	}{
		{"utc", nil, []string{"TIME (UTC)", "2026-11-02 10:05:00", "2026-11-02 11:00:00"}},
		{"cet", cet, []string{"TIME (CET)", "2026-11-02 11:05:00", "2026-11-02 12:00:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := writeOutput(t, query.FormatTable, query.WriterOptions{Location: tt.loc}, recs, nil, "")
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("table lacks %q:\n%s", w, out)
				}
			}
		})
	}
	out, _ := writeOutput(t, query.FormatCSV, query.WriterOptions{Location: cet}, recs, nil, "")
	for _, w := range []string{"2026-11-02T11:05:00.12+01:00,drs.jobLogItem", "2026-11-02T12:00:00+01:00,drs.sourceServer,s-2222222222222222b,drsjob-0a1b2c3d4e5f60718,,,s-2222222222222222b,STALLED,Replication agent has not been seen for 2 hours,2026-11-02T12:00:00+01:00"} {
		if !strings.Contains(out, w) {
			t.Errorf("CSV lacks %q:\n%s", w, out)
		}
	}
	js, _ := writeOutput(t, query.FormatJSONL, query.WriterOptions{Location: cet}, recs, nil, "")
	if plain, _ := writeOutput(t, query.FormatJSONL, query.WriterOptions{}, recs, nil, ""); js != plain {
		t.Errorf("JSON Lines depend on the location:\n%s\nwant:\n%s", js, plain)
	}
}
