package query_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/awstime"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/search"
	archsync "github.com/archiver-dev/archiver/sync"
)

// item is one record of the emulated history as the tests name it.
type item struct {
	name string // "job ID", "log ID POS" or "server ID"
	kind archive.Kind
	at   time.Time
	job  string
	text string // the human-readable text, lower case
	data map[string]any
}

// history lists every record a complete archive of emu holds after one sync
// observed at seen, computed from the emulator's own state.
func history(t *testing.T, emu *emulator.Server, seen time.Time) []item {
	t.Helper()
	var out []item
	for _, raw := range emu.Jobs() {
		var j struct {
			JobID            string `json:"jobID"`
			CreationDateTime string `json:"creationDateTime"`
		}
		json.Unmarshal(raw, &j)
		at, err := awstime.Parse(j.CreationDateTime)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, item{name: "job " + j.JobID, kind: kinds.DRSJob, at: at, job: j.JobID, data: obj(raw)})
		for i, li := range emu.JobLog(j.JobID) {
			var l struct {
				LogDateTime string `json:"logDateTime"`
				EventData   struct {
					RawError string `json:"rawError"`
				} `json:"eventData"`
			}
			json.Unmarshal(li, &l)
			at, err := awstime.Parse(l.LogDateTime)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, item{name: fmt.Sprintf("log %s %d", j.JobID, i), kind: kinds.DRSJobLogItem, at: at, job: j.JobID,
				text: strings.ToLower(l.EventData.RawError), data: obj(li)})
		}
	}
	for _, raw := range emu.SourceServers() {
		var s struct {
			SourceServerID      string `json:"sourceServerID"`
			DataReplicationInfo struct {
				Err struct {
					RawError string `json:"rawError"`
				} `json:"dataReplicationError"`
			} `json:"dataReplicationInfo"`
		}
		json.Unmarshal(raw, &s)
		out = append(out, item{name: "server " + s.SourceServerID, kind: kinds.DRSSourceServer, at: seen,
			text: strings.ToLower(s.DataReplicationInfo.Err.RawError), data: obj(raw)})
		for _, sn := range emu.RecoverySnapshots(s.SourceServerID) {
			var h struct {
				SnapshotID string `json:"snapshotID"`
				Timestamp  string `json:"timestamp"`
			}
			json.Unmarshal(sn, &h)
			at, err := awstime.Parse(h.Timestamp)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, item{name: "snapshot " + h.SnapshotID, kind: kinds.DRSRecoverySnapshot, at: at, data: obj(sn)})
		}
	}
	for _, raw := range emu.RecoveryInstances() {
		var h struct {
			RecoveryInstanceID string `json:"recoveryInstanceID"`
			PIT                string `json:"pointInTimeSnapshotDateTime"`
		}
		json.Unmarshal(raw, &h)
		at := seen
		if h.PIT != "" {
			var err error
			if at, err = awstime.Parse(h.PIT); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, item{name: "instance " + h.RecoveryInstanceID, kind: kinds.DRSRecoveryInstance, at: at, data: obj(raw)})
	}
	// Settings and source networks are observations, timed by capture.
	for _, set := range []struct {
		prefix string
		kind   archive.Kind
		member string
		raws   []json.RawMessage
	}{
		{"launch ", kinds.DRSLaunchConfiguration, "sourceServerID", emu.LaunchConfigurations()},
		{"repl ", kinds.DRSReplicationConfiguration, "sourceServerID", emu.ReplicationConfigurations()},
		{"network ", kinds.DRSSourceNetwork, "sourceNetworkID", emu.SourceNetworks()},
	} {
		for _, raw := range set.raws {
			m := obj(raw)
			id, _ := m[set.member].(string)
			out = append(out, item{name: set.prefix + id, kind: set.kind, at: seen, data: m})
		}
	}
	return out
}

func obj(raw []byte) map[string]any {
	var m map[string]any
	json.Unmarshal(raw, &m)
	return m
}

// name names an archived record as history does.
func name(rec archive.Record) string {
	switch rec.Kind {
	case kinds.DRSJob:
		return "job " + rec.ID
	case kinds.DRSJobLogItem:
		return fmt.Sprintf("log %s %d", rec.JobID, *rec.Pos)
	case kinds.SnowballJob:
		return "snowball " + rec.ID
	case kinds.SMSJob:
		return "sms " + rec.ID
	case kinds.DRSRecoverySnapshot:
		return "snapshot " + rec.ID
	case kinds.DRSRecoveryInstance:
		return "instance " + rec.ID
	case kinds.DRSLaunchConfiguration:
		return "launch " + rec.ID
	case kinds.DRSReplicationConfiguration:
		return "repl " + rec.ID
	case kinds.DRSSourceNetwork:
		return "network " + rec.ID
	default:
		return "server " + rec.ID
	}
}

// syncedFixture syncs a seeded history into a new archive (index included) and
// returns the emulator, the directory and the observation time.
func syncedFixture(t *testing.T, seed int64) (*emulator.Server, string, time.Time) {
	t.Helper()
	emu := emulator.New(emulator.Options{Seed: seed})
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	dir := archivetest.Dir(t)
	seen := emu.Now()
	runSync(t, dir, emu, seen, false)
	return emu, dir, seen
}

func runSync(t *testing.T, dir string, emu *emulator.Server, seen time.Time, noIndex bool) {
	t.Helper()
	var st archsync.Stats
	err := archsync.Run(context.Background(), archsync.Options{
		ArchiveDir: dir, Regions: []string{"us-east-1"}, EndpointURL: emu.URL(), NoIndex: noIndex,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Now:         func() time.Time { return seen },
	}, &st)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
}

// ask runs a query against dir and returns the names of the records, in
// the order given, and the next token.
func ask(t *testing.T, dir string, req query.Request) ([]string, string, error) {
	t.Helper()
	return askWith(t, dir, req, true)
}

// askWith is ask with or without the full-text side: with withSearch
// false the query's Source has no Searcher, as a program that links no
// index has.
func askWith(t *testing.T, dir string, req query.Request, withSearch bool) ([]string, string, error) {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var src query.Source
	if withSearch {
		x, err := index.Open(dir, index.Options{ReadOnly: true})
		if err != nil && !errors.Is(err, index.ErrNoIndex) {
			t.Fatal(err)
		}
		if x != nil {
			defer x.Close()
		}
		src.Search = search.Using(x)
	}
	var got []string
	var next string
	var last time.Time
	err = st.View(func(r *archive.Reader) error {
		var err error
		src.Archive = r
		next, err = query.Run(context.Background(), src, req, func(rec archive.Record, _ []string) error {
			if rec.Time.Before(last) {
				t.Errorf("%s (%s) comes after a record of %s", name(rec), rec.Time, last)
			}
			last = rec.Time
			got = append(got, name(rec))
			return nil
		})
		return err
	})
	return got, next, err
}

// askPages runs req against dir page by page, from its first page on,
// and returns the names of the records of every page joined. It fails the
// test if a page holds more than req.MaxItems records or if more than
// limit pages come.
func askPages(t *testing.T, dir string, req query.Request, limit int) []string {
	t.Helper()
	var paged []string
	for pages := 0; ; pages++ {
		if pages > limit {
			t.Fatal("paging does not end")
		}
		got, next, err := ask(t, dir, req)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > req.MaxItems {
			t.Fatalf("page of %d records, --max-items %d", len(got), req.MaxItems)
		}
		paged = append(paged, got...)
		if next == "" {
			return paged
		}
		req.StartingToken = next
	}
}

// want selects the history's records for which keep is true.
func want(h []item, keep func(item) bool) []string {
	var out []string
	for _, it := range h {
		if keep(it) {
			out = append(out, it.name)
		}
	}
	return out
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: the history has no such records; the test proves nothing", what)
	}
	g := append([]string(nil), got...)
	w := append([]string(nil), want...)
	sort.Strings(g)
	sort.Strings(w)
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("%s: got %d records, want %d\n got %v\nwant %v", what, len(g), len(w), first(g), first(w))
	}
}

func first(s []string) []string {
	if len(s) > 12 {
		return append(s[:12:12], "...")
	}
	return s
}

func TestQueryAnswers(t *testing.T) {
	emu, dir, seen := syncedFixture(t, 31)
	h := history(t, emu, seen)
	// A window in the middle of the history.
	var times []time.Time
	for _, it := range h {
		if it.kind == kinds.DRSJob {
			times = append(times, it.at)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	from, to := times[len(times)/4], times[3*len(times)/4]
	in := func(it item) bool { return !it.at.Before(from) && !it.at.After(to) }
	job := times[len(times)/2]
	var jobID string
	for _, it := range h {
		if it.kind == kinds.DRSJob && it.at.Equal(job) {
			jobID = it.job
		}
	}
	const term = "insufficientinstancecapacity"
	// A window in the middle of the recovery snapshots.
	var snapTimes []time.Time
	for _, it := range h {
		if it.kind == kinds.DRSRecoverySnapshot {
			snapTimes = append(snapTimes, it.at)
		}
	}
	sort.Slice(snapTimes, func(i, j int) bool { return snapTimes[i].Before(snapTimes[j]) })
	if len(snapTimes) < 4 {
		t.Fatalf("%d recovery snapshots: too few to query", len(snapTimes))
	}
	snapFrom, snapTo := snapTimes[len(snapTimes)/4], snapTimes[3*len(snapTimes)/4]
	tests := []struct {
		name string
		f    query.Filters
		want func(item) bool
	}{
		{"date range", query.Filters{Range: query.Range{From: from, To: to}}, in},
		{"job ID", query.Filters{JobIDs: []string{jobID}}, func(it item) bool { return it.job == jobID && it.kind != kinds.DRSSourceServer }},
		{"text", query.Filters{Text: "InsufficientInstanceCapacity"}, func(it item) bool { return strings.Contains(it.text, term) }},
		{"text and date range", query.Filters{Text: "InsufficientInstanceCapacity", Range: query.Range{From: from, To: to}},
			func(it item) bool { return strings.Contains(it.text, term) && in(it) }},
		{"kind", query.Filters{Kinds: []archive.Kind{kinds.DRSSourceServer}}, func(it item) bool { return it.kind == kinds.DRSSourceServer }},
		{"kinds and date range", query.Filters{Kinds: []archive.Kind{kinds.DRSJob, kinds.DRSSourceServer}, Range: query.Range{From: from, To: to}},
			func(it item) bool {
				return (it.kind == kinds.DRSJob || it.kind == kinds.DRSSourceServer) && in(it)
			}},
		{"recovery snapshots by time", query.Filters{Kinds: []archive.Kind{kinds.DRSRecoverySnapshot}, Range: query.Range{From: snapFrom, To: snapTo}},
			func(it item) bool {
				return it.kind == kinds.DRSRecoverySnapshot && !it.at.Before(snapFrom) && !it.at.After(snapTo)
			}},
		{"event", query.Filters{Events: []string{"LAUNCH_FAILED"}}, func(it item) bool { return it.data["event"] == "LAUNCH_FAILED" }},
		{"job ID and kind", query.Filters{JobIDs: []string{jobID}, Kinds: []archive.Kind{kinds.DRSJobLogItem}},
			func(it item) bool { return it.job == jobID && it.kind == kinds.DRSJobLogItem }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, next, err := ask(t, dir, query.Request{Filters: tc.f})
			if err != nil {
				t.Fatal(err)
			}
			if next != "" {
				t.Errorf("a query without --max-items returned a token")
			}
			sameSet(t, tc.name, got, want(h, tc.want))
		})
	}
}

func TestQueryPages(t *testing.T) {
	emu, dir, seen := syncedFixture(t, 37)
	h := history(t, emu, seen)
	all := want(h, func(it item) bool { return it.kind == kinds.DRSJobLogItem })
	base := query.Request{Filters: query.Filters{Kinds: []archive.Kind{kinds.DRSJobLogItem}}, Fingerprint: "kind=drs.jobLogItem"}
	whole, _, err := ask(t, dir, base)
	if err != nil {
		t.Fatal(err)
	}
	req := base
	req.MaxItems = 37
	paged := askPages(t, dir, req, len(all))
	if strings.Join(paged, "\n") != strings.Join(whole, "\n") {
		t.Errorf("pages joined give %d records, one query %d, or another order", len(paged), len(whole))
	}
	sameSet(t, "all log items", paged, all)

	// A token is refused by a query with other filters.
	req = base
	req.MaxItems = 5
	_, next, _ := ask(t, dir, req)
	other := query.Request{Filters: query.Filters{Kinds: []archive.Kind{kinds.DRSJob}}, Fingerprint: "kind=drs.job", StartingToken: next}
	if _, _, err := ask(t, dir, other); !errors.Is(err, query.ErrForeignToken) {
		t.Errorf("foreign token: %v, want ErrForeignToken", err)
	}
	if _, _, err := ask(t, dir, query.Request{Fingerprint: "x", StartingToken: "not-a-token!"}); !errors.Is(err, query.ErrBadToken) {
		t.Errorf("garbled token: %v, want ErrBadToken", err)
	}
}

// TestQueryBeyondIndex: records a sync committed without reaching the index
// are found by text queries all the same.
func TestQueryBeyondIndex(t *testing.T) {
	emu, dir, _ := syncedFixture(t, 43)
	emu.Advance(72 * time.Hour)
	seen := emu.Now()
	runSync(t, dir, emu, seen, true)
	h := history(t, emu, seen)
	f := query.Filters{Events: []string{"LAUNCH_FAILED", "LAUNCH_END"}}
	got, _, err := ask(t, dir, query.Request{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, "events after an unindexed sync", got, want(h, func(it item) bool {
		return it.data["event"] == "LAUNCH_FAILED" || it.data["event"] == "LAUNCH_END"
	}))
	// Pages, whose indexed records are found oldest first, merge the
	// records the index has not reached in their places.
	paged := askPages(t, dir, query.Request{Filters: f, MaxItems: 3, Fingerprint: "f"}, len(got))
	if strings.Join(paged, "\n") != strings.Join(got, "\n") {
		t.Errorf("pages give %d records, one query %d, or another order", len(paged), len(got))
	}
}

func TestBadText(t *testing.T) {
	for _, q := range []string{`event:"unclosed`, `text:>`, `+`, `status:(`, `a:b:c`} {
		if err := search.CheckText(q); !errors.Is(err, query.ErrBadText) || strings.Contains(err.Error(), "\n") {
			t.Errorf("CheckText(%q) = %v, want a one-line ErrBadText", q, err)
		}
	}
	if err := search.CheckText(`event:LAUNCH_FAILED AND capacity`); err != nil {
		t.Errorf("valid query refused: %v", err)
	}
}

// FuzzCheckText checks that any --text is either accepted or refused with a
// one-line ErrBadText, never a panic.
func FuzzCheckText(f *testing.F) {
	for _, s := range []string{`InsufficientInstanceCapacity`, `event:LAUNCH_FAILED AND capacity`, `"disk full"`, `+a -b`, `text:>`, `foo^bar`, `a~x`, `(`, `"`, ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := search.CheckText(s)
		if err == nil {
			return
		}
		if !errors.Is(err, query.ErrBadText) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("CheckText(%q) = %v", s, err)
		}
	})
}
