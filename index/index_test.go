package index_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

// syncOnce syncs the emulator's history into dir without touching the index.
func syncOnce(t *testing.T, dir string, emu *emulator.Server) {
	t.Helper()
	var st archsync.Stats
	err := archsync.Run(context.Background(), archsync.Options{
		ArchiveDir: dir, Regions: []string{"us-east-1"}, EndpointURL: emu.URL(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		NoIndex:     true,
	}, &st)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
}

// update opens the index of dir and brings it up to the archive.
func update(t *testing.T, dir string) int {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	x, err := index.Open(dir, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var n int
	err = st.View(func(r *archive.Reader) error {
		n, err = x.Update(context.Background(), r)
		return err
	})
	if err != nil {
		t.Fatalf("index update: %v", err)
	}
	return n
}

// openBoth opens the archive and the index of dir read-only; done closes
// both.
func openBoth(t *testing.T, dir string) (st *archive.Store, x *index.Index, done func()) {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	x, err = index.Open(dir, index.Options{ReadOnly: true})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	return st, x, func() { x.Close(); st.Close() }
}

// search returns the sorted document IDs of the index's answer to q: a
// word of the text, or field:value.
func search(t *testing.T, dir, q string) []string {
	t.Helper()
	st, x, done := openBoth(t, dir)
	defer done()
	field, value, ok := strings.Cut(q, ":")
	if !ok {
		field, value = index.DefaultField, q
	}
	iq, err := index.Words(field, value)
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	var refs []index.Ref
	err = st.View(func(r *archive.Reader) error {
		refs, err = x.Search(context.Background(), r, iq)
		return err
	})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	var ids []string
	for _, r := range refs {
		ids = append(ids, index.DocID(r.Kind, r.Key))
	}
	sort.Strings(ids)
	return ids
}

// expect returns the sorted document IDs of the archive's records for which
// match is true.
func expect(t *testing.T, dir string, kinds []archive.Kind, match func(archive.Record) bool) []string {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ids []string
	st.View(func(r *archive.Reader) error {
		for _, k := range kinds {
			r.Each(k, func(rec archive.Record) error {
				if match(rec) {
					ids = append(ids, index.DocID(rec.Kind, rec.Key))
				}
				return nil
			})
		}
		return nil
	})
	sort.Strings(ids)
	return ids
}

func field(rec archive.Record, path ...string) string {
	var v any
	json.Unmarshal(rec.Data, &v)
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

func same(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: the history has no such records; the test proves nothing", what)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s: index finds %d records, archive holds %d", what, len(got), len(want))
	}
}

func TestIndexAnswers(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 17})
	dir := archivetest.Dir(t)
	syncOnce(t, dir, emu)
	update(t, dir)

	items := []archive.Kind{kinds.DRSJobLogItem}
	same(t, "event:LAUNCH_FAILED", search(t, dir, "event:LAUNCH_FAILED"),
		expect(t, dir, items, func(r archive.Record) bool { return field(r, "event") == "LAUNCH_FAILED" }))
	same(t, "text InsufficientInstanceCapacity", search(t, dir, "InsufficientInstanceCapacity"),
		expect(t, dir, kinds.Names(), func(r archive.Record) bool {
			return strings.Contains(strings.ToLower(string(r.Data)), "insufficientinstancecapacity")
		}))
	var job string
	expect(t, dir, []archive.Kind{kinds.DRSJob}, func(r archive.Record) bool { job = r.ID; return true })
	same(t, "jobID:"+job, search(t, dir, "jobID:"+job),
		expect(t, dir, []archive.Kind{kinds.DRSJob, kinds.DRSJobLogItem}, func(r archive.Record) bool {
			return r.ID == job || r.JobID == job
		}))
	same(t, "replicationState:STALLED", search(t, dir, "replicationState:STALLED"),
		expect(t, dir, []archive.Kind{kinds.DRSSourceServer}, func(r archive.Record) bool {
			return field(r, "dataReplicationInfo", "dataReplicationState") == "STALLED"
		}))
}

// TestIndexCatchesUp: records committed to the archive without reaching the
// index (a crash between the two) are indexed by the next update, and the
// index then matches the archive exactly; documents of records the archive
// has since replaced or removed are gone.
func TestIndexCatchesUp(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 23, InProgress: 3})
	dir := archivetest.Dir(t)
	syncOnce(t, dir, emu)
	if n := update(t, dir); n == 0 {
		t.Fatal("first update indexed nothing")
	}
	emu.Advance(48 * time.Hour)
	syncOnce(t, dir, emu) // committed; the index is now behind
	if d, pending := diff(t, dir); pending == 0 || len(d) != 0 {
		t.Fatalf("after a sync without update: %d records pending, %d differences; want some pending and no difference", pending, len(d))
	}
	if n := update(t, dir); n == 0 {
		t.Fatal("catch-up indexed nothing")
	}
	if d, pending := diff(t, dir); len(d) != 0 || pending != 0 {
		t.Errorf("after catch-up, index and archive differ: %v (%d pending)", d, pending)
	}
	if n := update(t, dir); n != 0 {
		t.Errorf("an update with nothing new wrote %d documents", n)
	}
}

// diff lists records in the archive but not the index and the reverse, and
// counts the records the index has not reached yet.
func diff(t *testing.T, dir string) ([]string, int) {
	t.Helper()
	st, x, done := openBoth(t, dir)
	defer done()
	var out []string
	var err error
	var pending int
	st.View(func(r *archive.Reader) error {
		pending, err = x.Diff(context.Background(), r, func(d index.Difference) error {
			if d.Kind == "" {
				out = append(out, d.Where+" "+d.String())
				return nil
			}
			out = append(out, d.Where+" "+index.DocID(d.Kind, d.Key))
			return nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, pending
}

func TestRebuild(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 29})
	dir := archivetest.Dir(t)
	syncOnce(t, dir, emu)
	update(t, dir)
	before := search(t, dir, "event:LAUNCH_FAILED")
	old, _ := os.ReadFile(filepath.Join(dir, index.CurrentFile))

	if err := rebuild(t, dir); err != nil {
		t.Fatal(err)
	}
	now, _ := os.ReadFile(filepath.Join(dir, index.CurrentFile))
	if string(now) == string(old) {
		t.Error("rebuild did not switch to a new index directory")
	}
	if _, err := os.Stat(filepath.Join(dir, strings.TrimSpace(string(old)))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the old index directory is still there: %v", err)
	}
	if after := search(t, dir, "event:LAUNCH_FAILED"); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("rebuilt index answers differently: %d hits, was %d", len(after), len(before))
	}
	if d, pending := diff(t, dir); len(d) != 0 || pending != 0 {
		t.Errorf("rebuilt index differs from the archive: %v (%d pending)", d, pending)
	}
}

func TestReaderWithoutIndex(t *testing.T) {
	if _, err := index.Open(t.TempDir(), index.Options{ReadOnly: true}); !errors.Is(err, index.ErrNoIndex) {
		t.Errorf("read-only open with no index: %v, want ErrNoIndex", err)
	}
}

func TestDocID(t *testing.T) {
	var k archive.Key
	k[0], k[15] = 0x80, 7
	id := index.DocID(kinds.DRSJobLogItem, k)
	kind, back, err := index.ParseDocID(id)
	if err != nil || kind != kinds.DRSJobLogItem || back != k {
		t.Errorf("ParseDocID(%q) = %s %x %v", id, kind, back, err)
	}
	for _, bad := range []string{"", "drs.job", "zAAAAAAAAAAAAAAAAAAAAAA", "1AAAAAAAAAAAAAAAAAAAAA", "1AAAAAAAAAAAAAAAAAAAA*A", "drs.job/00"} {
		if _, _, err := index.ParseDocID(bad); err == nil {
			t.Errorf("ParseDocID(%q) accepted", bad)
		}
	}
}

// TestDiffFindsLostDocuments: a document missing from an index that is up
// to date is reported, the record's own or its job's (each item of the
// job's log then), as is one the archive does not hold.
func TestDiffFindsLostDocuments(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 61})
	dir := archivetest.Dir(t)
	syncOnce(t, dir, emu)
	update(t, dir)
	// A log item with text beyond its event has a document of its own;
	// the first job's log is in its job's document.
	lost := expect(t, dir, []archive.Kind{kinds.DRSJobLogItem}, func(r archive.Record) bool {
		return strings.Contains(string(r.Data), `"LAUNCH_FAILED"`)
	})
	if len(lost) == 0 {
		t.Fatal("no LAUNCH_FAILED item; the test proves little")
	}
	want := []string{"archive " + lost[0]}
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var job archive.JobRef
	err = st.View(func(r *archive.Reader) error {
		return r.EachJobKeys(func(j archive.JobRef, keys []archive.Key) error {
			if job.JobID != "" {
				return nil
			}
			job = j
			for _, k := range keys {
				want = append(want, "archive "+index.DocID(kinds.DRSJobLogItem, k))
			}
			return nil
		})
	})
	st.Close()
	if err != nil || job.JobID == "" {
		t.Fatalf("no job log (%v)", err)
	}

	x, err := index.Open(dir, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{lost[0], index.JobDocID(job)} {
		if err := x.Bleve().Delete(id); err != nil {
			t.Fatal(err)
		}
	}
	var k archive.Key
	k[0] = 1
	stray := index.DocID(kinds.DRSJob, k)
	if err := x.Bleve().Index(stray, index.Document{Event: "JOB_START"}); err != nil {
		t.Fatal(err)
	}
	x.Close()
	want = append(want, "index "+stray)
	d, pending := diff(t, dir)
	sort.Strings(d)
	sort.Strings(want)
	want = slices.Compact(want)
	if strings.Join(d, ",") != strings.Join(want, ",") || pending != 0 {
		t.Errorf("diff = %v (%d pending), want %v", d, pending, want)
	}
}

// TestOldLayoutIsRebuilt: an index made in another layout is not read; Sync
// rebuilds it.
func TestOldLayoutIsRebuilt(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 67})
	dir := archivetest.Dir(t)
	syncOnce(t, dir, emu)
	update(t, dir)
	x, err := index.Open(dir, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Bleve().SetInternal([]byte("archiver.format"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	x.Close()
	if _, err := index.Open(dir, index.Options{ReadOnly: true}); !errors.Is(err, index.ErrOldIndex) {
		t.Fatalf("read-only open of an old layout: %v, want ErrOldIndex", err)
	}
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	err = st.View(func(r *archive.Reader) error {
		n, err := index.Sync(context.Background(), dir, r, time.Minute)
		if n == 0 {
			t.Error("Sync of an old layout rebuilt nothing")
		}
		return err
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if d, pending := diff(t, dir); len(d) != 0 || pending != 0 {
		t.Errorf("after rebuild: %v (%d pending)", d, pending)
	}
}

// TestIndexCatchesUpALargeEntry: a change-log entry of more writes than a
// batch holds (a step of a large import) is indexed in several batches,
// and the index ends where the archive is.
func TestIndexCatchesUpALargeEntry(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 23})
	dir := archivetest.Dir(t)
	syncOnce(t, dir, emu)
	if n := update(t, dir); n == 0 {
		t.Fatal("first update indexed nothing")
	}
	const items = 12000 // more than two batches
	ref := archive.JobRef{JobID: "drsjob-0123456789abcdefL", Region: "us-east-1", Account: "123456789012"}
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	st := archivetest.Open(t, dir)
	err := st.Update(func(w *archive.Writer) error {
		add := make([]archive.LogItem, items)
		for i := range add {
			data, _ := json.Marshal(map[string]any{"event": "JOB_START", "logDateTime": at.Add(time.Duration(i) * time.Second).Format(time.RFC3339)})
			add[i] = archive.LogItem{Job: ref, Pos: i, Record: archive.Record{Time: at.Add(time.Duration(i) * time.Second), FirstSeen: at, LastSeen: at, Data: data}}
		}
		_, err := w.PutLogItems(add)
		return err
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if n := update(t, dir); n < items {
		t.Errorf("catch-up indexed %d documents, want at least %d", n, items)
	}
	if d, pending := diff(t, dir); len(d) != 0 || pending != 0 {
		t.Errorf("after catch-up, index and archive differ: %v (%d pending)", d, pending)
	}
}
