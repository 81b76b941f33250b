package archive_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/migrations"
)

var t0 = time.Date(2026, 3, 4, 10, 11, 12, 0, time.UTC)

func job(id string, created time.Time, data string) archive.Record {
	return archive.Record{Kind: kinds.DRSJob, ID: id, Region: "us-east-1", Account: "123456789012",
		Time: created, FirstSeen: t0, LastSeen: t0, Data: json.RawMessage(data)}
}

func TestOpenCreatesSchema(t *testing.T) {
	dir := archivetest.Dir(t)
	st := archivetest.Open(t, dir)
	v, err := st.SchemaVersion()
	if err != nil || v != migrations.Latest() {
		t.Fatalf("schema version = %d, %v; want %d", v, err, migrations.Latest())
	}
	fi, err := os.Stat(filepath.Join(dir, archive.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("archive file mode = %v, want 0600", fi.Mode().Perm())
	}
}

func TestOpenRefuses(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		ro    bool
		want  error
	}{
		{"missing archive read-only", func(t *testing.T, dir string) {}, true, archive.ErrNoArchive},
		{"not a bbolt file", func(t *testing.T, dir string) {
			os.MkdirAll(dir, 0o700)
			os.WriteFile(filepath.Join(dir, archive.FileName), []byte(strings.Repeat("not a database ", 500)), 0o600)
		}, false, archive.ErrNotArchive},
		{"bbolt file of someone else", func(t *testing.T, dir string) {
			os.MkdirAll(dir, 0o700)
			db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("other")); return err })
			db.Close()
		}, true, archive.ErrNotArchive},
		{"newer schema", func(t *testing.T, dir string) {
			st, err := archive.Open(ctx, dir, archive.Options{})
			if err != nil {
				t.Fatal(err)
			}
			st.Close()
			db, _ := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, nil)
			db.Update(func(tx *bolt.Tx) error {
				var b [4]byte
				binary.BigEndian.PutUint32(b[:], uint32(migrations.Latest()+1))
				return tx.Bucket([]byte(migrations.MetaBucket)).Put([]byte(migrations.VersionKey), b[:])
			})
			db.Close()
		}, false, archive.ErrTooNew},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "a")
			tt.setup(t, dir)
			st, err := archive.Open(ctx, dir, archive.Options{ReadOnly: tt.ro})
			if err == nil {
				st.Close()
				t.Fatal("open succeeded")
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestPutLatest(t *testing.T) {
	st := archivetest.Open(t, archivetest.Dir(t))
	// Whitespace, escapes and HTML characters must survive byte for byte.
	v1 := `{ "jobID":"drsjob-1", "status":"STARTED", "x":"<b>&amp;</b>", "n": 1.0e3 }`
	v2 := `{"jobID":"drsjob-1","status":"COMPLETED"}`
	later := t0.Add(time.Hour)
	steps := []struct {
		rec  archive.Record
		want archive.Change
	}{
		{job("drsjob-1", t0, v1), archive.Added},
		{func() archive.Record { r := job("drsjob-1", t0, v1); r.FirstSeen, r.LastSeen = later, later; return r }(), archive.Unchanged},
		{func() archive.Record { r := job("drsjob-1", t0, v2); r.FirstSeen, r.LastSeen = later, later; return r }(), archive.Updated},
	}
	for i, s := range steps {
		var got archive.Change
		err := st.Update(func(w *archive.Writer) error {
			var err error
			got, err = w.PutLatest(s.rec)
			return err
		})
		if err != nil || got != s.want {
			t.Fatalf("step %d: change = %v, %v; want %v", i, got, err, s.want)
		}
	}
	st.View(func(r *archive.Reader) error {
		n, _ := r.Count(kinds.DRSJob)
		if n != 1 {
			t.Errorf("count = %d, want 1", n)
		}
		rec, ok, err := r.Latest(kinds.DRSJob, "drsjob-1", "us-east-1", "123456789012")
		if err != nil || !ok {
			t.Fatalf("latest: %v %v", ok, err)
		}
		if string(rec.Data) != v2 || !rec.FirstSeen.Equal(t0) || !rec.LastSeen.Equal(later) {
			t.Errorf("record = %s first %v last %v", rec.Data, rec.FirstSeen, rec.LastSeen)
		}
		return nil
	})
	// The verbatim bytes of the first state were kept exactly.
	st2 := archivetest.Open(t, archivetest.Dir(t))
	st2.Update(func(w *archive.Writer) error { _, err := w.PutLatest(job("drsjob-2", t0, v1)); return err })
	st2.View(func(r *archive.Reader) error {
		return r.Each(kinds.DRSJob, func(rec archive.Record) error {
			if string(rec.Data) != v1 {
				t.Errorf("data = %q, want %q", rec.Data, v1)
			}
			return nil
		})
	})
}

func TestRecordsSortByTime(t *testing.T) {
	st := archivetest.Open(t, archivetest.Dir(t))
	times := []time.Time{t0, t0.Add(-time.Hour), time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC), t0.Add(time.Nanosecond), t0}
	st.Update(func(w *archive.Writer) error {
		for i, tm := range times {
			if _, err := w.PutLatest(job("drsjob-"+string(rune('a'+i)), tm, `{}`)); err != nil {
				return err
			}
		}
		return nil
	})
	var got []time.Time
	st.View(func(r *archive.Reader) error {
		return r.Each(kinds.DRSJob, func(rec archive.Record) error {
			if !rec.Key.Time().Equal(rec.Time) {
				t.Errorf("key time %v != record time %v", rec.Key.Time(), rec.Time)
			}
			got = append(got, rec.Time)
			return nil
		})
	})
	if len(got) != len(times) {
		t.Fatalf("got %d records, want %d", len(got), len(times))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Before(got[i-1]) {
			t.Errorf("records out of time order: %v", got)
		}
	}
}

func TestObservations(t *testing.T) {
	st := archivetest.Open(t, archivetest.Dir(t))
	obs := func(at time.Time, data string) archive.Record {
		return archive.Record{Kind: kinds.DRSSourceServer, ID: "s-1", Region: "us-east-1", Account: "1",
			Time: at, CapturedAt: &at, FirstSeen: at, LastSeen: at, Data: json.RawMessage(data)}
	}
	steps := []struct {
		data, fp string
		want     archive.Change
	}{
		{`{"state":"CONTINUOUS","seen":1}`, "A", archive.Added},
		{`{"state":"CONTINUOUS","seen":2}`, "A", archive.Unchanged},
		{`{"state":"STALLED","seen":3}`, "B", archive.Added},
		{`{"state":"CONTINUOUS","seen":4}`, "A", archive.Added},
	}
	for i, s := range steps {
		var got archive.Change
		err := st.Update(func(w *archive.Writer) error {
			var err error
			got, err = w.PutObservation(obs(t0.Add(time.Duration(i)*time.Hour), s.data), []byte(s.fp))
			return err
		})
		if err != nil || got != s.want {
			t.Fatalf("step %d: change %v, %v; want %v", i, got, err, s.want)
		}
	}
	var states []string
	st.View(func(r *archive.Reader) error {
		return r.Each(kinds.DRSSourceServer, func(rec archive.Record) error {
			states = append(states, string(rec.Data))
			if rec.CapturedAt == nil {
				t.Error("observation without capturedAt")
			}
			return nil
		})
	})
	want := []string{steps[0].data, steps[2].data, steps[3].data}
	if strings.Join(states, "|") != strings.Join(want, "|") {
		t.Errorf("snapshots = %v, want %v", states, want)
	}
}

func TestJobLog(t *testing.T) {
	st := archivetest.Open(t, archivetest.Dir(t))
	ref := archive.JobRef{JobID: "drsjob-1", Region: "us-east-1", Account: "1"}
	item := func(s string) archive.Record {
		return archive.Record{Time: t0, FirstSeen: t0, LastSeen: t0, Data: json.RawMessage(`{"event":"` + s + `"}`)}
	}
	write := func(events []string, complete bool) {
		t.Helper()
		err := st.Update(func(w *archive.Writer) error {
			for i, e := range events {
				if _, err := w.PutLogItem(ref, i, item(e)); err != nil {
					return err
				}
			}
			if _, err := w.TrimLog(ref, len(events)); err != nil {
				return err
			}
			return w.SetJobState(ref, archive.JobState{LogComplete: complete, LogItems: len(events)})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	read := func() (events []string, complete bool) {
		t.Helper()
		st.View(func(r *archive.Reader) error {
			r.JobLog(ref, func(rec archive.Record) error {
				var v struct{ Event string }
				json.Unmarshal(rec.Data, &v)
				events = append(events, v.Event)
				if rec.JobID != ref.JobID || rec.Pos == nil {
					t.Errorf("log item without job or position: %+v", rec)
				}
				return nil
			})
			c, _ := r.CompleteLogs()
			complete = c[ref]
			return nil
		})
		return
	}
	write([]string{"JOB_START", "SNAPSHOT_START"}, false)
	// Re-reading a running job's log adds only the new items.
	write([]string{"JOB_START", "SNAPSHOT_START", "SNAPSHOT_END", "JOB_END"}, true)
	got, complete := read()
	if strings.Join(got, ",") != "JOB_START,SNAPSHOT_START,SNAPSHOT_END,JOB_END" || !complete {
		t.Fatalf("log = %v complete=%v", got, complete)
	}
	// A shorter listing trims the archive to what AWS lists now.
	write([]string{"JOB_START"}, true)
	got, _ = read()
	if strings.Join(got, ",") != "JOB_START" {
		t.Fatalf("after trim log = %v", got)
	}
	st.View(func(r *archive.Reader) error {
		if n, _ := r.Count(kinds.DRSJobLogItem); n != 1 {
			t.Errorf("log item records = %d, want 1", n)
		}
		return nil
	})
}

func TestLockWait(t *testing.T) {
	dir := archivetest.Dir(t)
	w := archivetest.Open(t, dir) // holds the exclusive lock
	_ = w
	var said []string
	_, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true, LockTimeout: 1500 * time.Millisecond,
		Waiting: func(m string) { said = append(said, m) }})
	if !errors.Is(err, archive.ErrLocked) {
		t.Fatalf("error = %v, want ErrLocked", err)
	}
	if len(said) != 1 || !strings.Contains(said[0], "waiting for") {
		t.Errorf("waiting messages = %q", said)
	}
}

// TestReadEmptyFile: a reader that finds the file a sync has just created,
// still empty, sees no archive rather than trying to initialise it.
func TestReadEmptyFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, archive.FileName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true}); !errors.Is(err, archive.ErrNoArchive) {
		t.Errorf("read-only open of an empty file: %v, want ErrNoArchive", err)
	}
	st, err := archive.Open(context.Background(), dir, archive.Options{})
	if err != nil {
		t.Fatalf("a sync cannot take over an empty file: %v", err)
	}
	st.Close()
}

// TestChangeLog: every write transaction leaves one change-log entry that
// names each record it put, touched or deleted, in order.
func TestChangeLog(t *testing.T) {
	dir := archivetest.Dir(t)
	st := archivetest.Open(t, dir)
	defer st.Close()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	seen1, seen2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
	ref := archive.JobRef{JobID: "drsjob-1", Region: "r", Account: "a"}
	write := func(fn func(w *archive.Writer) error) {
		t.Helper()
		if err := st.Update(fn); err != nil {
			t.Fatal(err)
		}
	}
	// 1: a job and two log items.
	write(func(w *archive.Writer) error {
		j := job("drsjob-1", t0, `{"jobID":"drsjob-1","status":"STARTED"}`)
		j.FirstSeen, j.LastSeen = seen1, seen1
		if _, err := w.PutLatest(j); err != nil {
			return err
		}
		_, err := w.PutLogItems([]archive.LogItem{
			{Job: ref, Pos: 0, Record: archive.Record{Time: t0, FirstSeen: seen1, LastSeen: seen1, Data: json.RawMessage(`{"event":"JOB_START"}`)}},
			{Job: ref, Pos: 1, Record: archive.Record{Time: t0.Add(time.Second), FirstSeen: seen1, LastSeen: seen1, Data: json.RawMessage(`{"event":"LAUNCH_START"}`)}},
		})
		return err
	})
	// 2: the job seen again unchanged, the log trimmed to one item.
	write(func(w *archive.Writer) error {
		j := job("drsjob-1", t0, `{"jobID":"drsjob-1","status":"STARTED"}`)
		j.FirstSeen, j.LastSeen = seen2, seen2
		if _, err := w.PutLatest(j); err != nil {
			return err
		}
		_, err := w.TrimLog(ref, 1)
		return err
	})
	// 3: a transaction that writes nothing leaves no entry.
	write(func(w *archive.Writer) error { return nil })

	type entry struct {
		pos  uint64
		muts []string
	}
	var got []entry
	live := map[archive.Key]bool{}
	st.View(func(r *archive.Reader) error {
		if p, err := r.Position(); err != nil || p != 2 {
			t.Errorf("Position() = %d, %v; want 2", p, err)
		}
		err := r.MutationsSince(0, func(pos uint64, muts []archive.Mutation) error {
			e := entry{pos: pos}
			for _, m := range muts {
				e.muts = append(e.muts, fmt.Sprintf("%d %s", m.Op, m.Kind))
				live[m.Key] = m.Op != archive.OpDelete
			}
			got = append(got, e)
			return nil
		})
		// Replaying the log gives exactly the records the archive holds.
		for k, ok := range live {
			if _, there, _ := r.Get(kinds.DRSJob, k); there {
				continue
			}
			_, there, _ := r.Get(kinds.DRSJobLogItem, k)
			if there != ok {
				t.Errorf("record %x: in the archive %v, live by the change log %v", k, there, ok)
			}
		}
		return err
	})
	want := []entry{
		{1, []string{"1 drs.job", "1 drs.jobLogItem", "1 drs.jobLogItem"}},
		{2, []string{"2 drs.job", "3 drs.jobLogItem"}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("change log = %v, want %v", got, want)
	}
	var after []uint64
	st.View(func(r *archive.Reader) error {
		return r.MutationsSince(1, func(pos uint64, _ []archive.Mutation) error { after = append(after, pos); return nil })
	})
	if fmt.Sprint(after) != "[2]" {
		t.Errorf("MutationsSince(1) visits %v, want [2]", after)
	}
}

// TestMigrateJSONRecords: an archive written at schema 2, with records in
// the all-JSON layout, is brought to the current schema on a writable open
// and reads back the same, data byte for byte; a read-only open asks for
// that upgrade instead of reading it.
func TestMigrateJSONRecords(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, archive.FileName)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	job := `{"kind":"drs.job","id":"drsjob-1","region":"us-east-1","account":"123456789012","time":"2026-03-04T10:11:12Z","firstSeen":"2026-03-05T00:00:00Z","lastSeen":"2026-03-06T00:00:00.5Z","data":{"jobID":"drsjob-1", "status":"COMPLETED"}}`
	item := `{"kind":"drs.jobLogItem","region":"us-east-1","account":"123456789012","jobID":"drsjob-1","pos":0,"time":"2026-03-04T10:11:13Z","firstSeen":"2026-03-05T00:00:00Z","lastSeen":"2026-03-05T00:00:00Z","data":{"event":"JOB_START"}}`
	snap := `{"kind":"drs.sourceServer","id":"s-1","region":"us-east-1","account":"123456789012","time":"2026-03-05T00:00:00Z","capturedAt":"2026-03-05T00:00:00Z","firstSeen":"2026-03-05T00:00:00Z","lastSeen":"2026-03-05T00:00:00Z","data":{"sourceServerID":"s-1"}}`
	key := func(at string, seq uint64) []byte {
		t, _ := time.Parse(time.RFC3339, at)
		var k [16]byte
		binary.BigEndian.PutUint64(k[:8], uint64(t.UnixNano())^(1<<63))
		binary.BigEndian.PutUint64(k[8:], seq)
		return k[:]
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, s := range migrations.Steps()[:2] {
			if err := s.Apply(tx); err != nil {
				return err
			}
		}
		meta := tx.Bucket([]byte(migrations.MetaBucket))
		meta.Put([]byte(migrations.VersionKey), []byte{0, 0, 0, 2})
		jk, ik, sk := key("2026-03-04T10:11:12Z", 1), key("2026-03-04T10:11:13Z", 2), key("2026-03-05T00:00:00Z", 3)
		tx.Bucket([]byte("drs.job")).Put(jk, []byte(job))
		tx.Bucket([]byte("drs.jobLogItem")).Put(ik, []byte(item))
		tx.Bucket([]byte("drs.sourceServer")).Put(sk, []byte(snap))
		tx.Bucket([]byte("ids")).Put([]byte("drs.job\x00drsjob-1\x00us-east-1\x00123456789012"), jk)
		return tx.Bucket([]byte("joblog")).Put(append([]byte("drsjob-1\x00us-east-1\x00123456789012\x00"), 0, 0, 0, 0), ik)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true}); !errors.Is(err, archive.ErrNeedsMigration) {
		t.Fatalf("read-only open of a schema-2 file: %v, want ErrNeedsMigration", err)
	}
	st, err := archive.Open(context.Background(), dir, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, _ := st.SchemaVersion(); v != migrations.Latest() {
		t.Errorf("schema %d after open, want %d", v, migrations.Latest())
	}
	st.View(func(r *archive.Reader) error {
		var got []string
		for _, k := range []archive.Kind{kinds.DRSJob, kinds.DRSJobLogItem, kinds.DRSSourceServer} {
			r.Each(k, func(rec archive.Record) error {
				got = append(got, fmt.Sprintf("%s %s %s %s %s", rec.Kind, rec.ID, rec.JobID, rec.LastSeen.Format(time.RFC3339Nano), rec.Data))
				return nil
			})
		}
		want := []string{
			`drs.job drsjob-1  2026-03-06T00:00:00.5Z {"jobID":"drsjob-1", "status":"COMPLETED"}`,
			`drs.jobLogItem  drsjob-1 2026-03-05T00:00:00Z {"event":"JOB_START"}`,
			`drs.sourceServer s-1  2026-03-05T00:00:00Z {"sourceServerID":"s-1"}`,
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("after migration:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		var log []string
		r.JobLog(archive.JobRef{JobID: "drsjob-1", Region: "us-east-1", Account: "123456789012"}, func(rec archive.Record) error {
			log = append(log, fmt.Sprint(*rec.Pos, " ", string(rec.Data)))
			return nil
		})
		if fmt.Sprint(log) != `[0 {"event":"JOB_START"}]` {
			t.Errorf("job log after migration: %v", log)
		}
		// Every record that was there is anchored in the new hash chain.
		rep, err := r.VerifyChain(context.Background(), func(err error) { t.Errorf("after migration: %v", err) })
		if err != nil || rep.Records != 3 || rep.Head.N != 3 {
			t.Errorf("hash chain after migration: %+v, %v; want 3 records in 3 links", rep, err)
		}
		return nil
	})
}
