package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/migrations"
)

// indented renders data as the AWS CLI prints an element of a listing:
// indented by four spaces, nested two levels deep.
func indented(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, data, "        ", "    "); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// compacted is json.Compact of data.
func compacted(t *testing.T, data []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestMigrateCompactsIndentedRecords builds a schema 8 archive as imports
// before step 9 left it, records holding the AWS CLI's indented bytes, and
// migrates it: each such record is compacted and linked into the hash
// chain, verify passes, and query --output jsonl prints one record a line.
func TestMigrateCompactsIndentedRecords(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 9, Jobs: 4, LogItemsPerJob: 5, Servers: 3})
	dir := archivetest.Dir(t)
	at := emu.Now()
	prov := &archive.Import{File: "saved.json", SHA256: strings.Repeat("ab", 32)}
	// want counts each record (kind, ID or job, data) as it must read after
	// the migration: the emulator's objects compacted; the synced server
	// keeps its bytes.
	want := map[string]int{}
	st, err := archive.Open(context.Background(), dir, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(func(w *archive.Writer) error {
		for _, j := range emu.Jobs() {
			var h struct{ JobID string }
			json.Unmarshal(j, &h)
			rec := archive.Record{Kind: kinds.DRSJob, ID: h.JobID, Region: emu.Region(), Account: emu.Account(),
				Time: at, FirstSeen: at, LastSeen: at, Data: indented(t, j), Imported: prov}
			if _, err := w.PutLatest(rec); err != nil {
				return err
			}
			want["drs.job "+h.JobID+" "+compacted(t, rec.Data)]++
			var items []archive.LogItem
			for i, it := range emu.JobLog(h.JobID) {
				rec := archive.Record{Time: at, FirstSeen: at, LastSeen: at, Data: indented(t, it), Imported: prov}
				items = append(items, archive.LogItem{Job: archive.JobRef{JobID: h.JobID, Region: emu.Region(), Account: emu.Account()}, Pos: i, Record: rec})
				want["drs.jobLogItem "+h.JobID+" "+compacted(t, it)]++
			}
			if _, err := w.PutLogItems(items); err != nil {
				return err
			}
		}
		for i, s := range emu.SourceServers() {
			var h struct{ SourceServerID string }
			json.Unmarshal(s, &h)
			rec := archive.Record{Kind: kinds.DRSSourceServer, ID: h.SourceServerID, Region: emu.Region(), Account: emu.Account(),
				Time: at, CapturedAt: &at, FirstSeen: at, LastSeen: at, Data: s}
			if i > 0 {
				rec.Data, rec.Imported = indented(t, s), prov
			}
			if _, err := w.PutObservation(rec, []byte(h.SourceServerID)); err != nil {
				return err
			}
			want["drs.sourceServer "+h.SourceServerID+" "+compacted(t, s)]++
			if i == 0 && string(s) != compacted(t, s) {
				t.Fatalf("the emulator's server %s is not compact; the test cannot tell a rewrite", h.SourceServerID)
			}
		}
		return nil
	})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 10 {
		t.Fatalf("only %d records: the test proves nothing", len(want))
	}
	// Back to schema 8, as an archiver before step 9 left it: no record of
	// applied steps either.
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket([]byte(migrations.MetaBucket))
		if err := meta.Delete([]byte(migrations.StepsKey)); err != nil {
			return err
		}
		return meta.Put([]byte(migrations.VersionKey), binary.BigEndian.AppendUint32(nil, 8))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := runCLI(t, "--archive", dir, "migrate"); code != 0 || !strings.Contains(stdout, "9") {
		t.Fatalf("migrate: exit %d: %s %s", code, stdout, stderr)
	}
	if code, stdout, stderr := runCLI(t, "--archive", dir, "verify"); code != 0 {
		t.Fatalf("verify after the migration: exit %d: %s %s", code, stdout, stderr)
	}
	code, stdout, stderr := runCLI(t, "--archive", dir, "query", "--output", "jsonl")
	if code != 0 {
		t.Fatalf("query: exit %d: %s", code, stderr)
	}
	got := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var o struct {
			Kind, ID, JobID string
			Data            json.RawMessage
		}
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("line %q is not one record: %v", sc.Text(), err)
		}
		got[o.Kind+" "+o.ID+o.JobID+" "+string(o.Data)]++
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("query printed %d of %.200s, want %d", got[id], id, w)
		}
	}
	for id, g := range got {
		if want[id] == 0 {
			t.Errorf("query printed %d of %.200s, want none", g, id)
		}
	}
	// The stored data is compact too, and the synced record kept its key
	// and bytes.
	st = archivetest.Open(t, dir)
	err = st.View(func(r *archive.Reader) error {
		for _, kind := range []archive.Kind{kinds.DRSJob, kinds.DRSJobLogItem, kinds.DRSSourceServer} {
			if err := r.Each(kind, func(rec archive.Record) error {
				if bytes.ContainsAny(rec.Data, "\n\r") || rec.Imported != nil && string(rec.Data) != compacted(t, rec.Data) {
					t.Errorf("%s %s is stored uncompacted: %.60s", kind, rec.ID, rec.Data)
				}
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
}
