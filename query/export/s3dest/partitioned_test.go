package s3dest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/export/s3dest"
)

func TestExportPartitioned(t *testing.T) {
	dir := archivetest.Dir(t)
	archivetest.Fixture(t, dir)
	st := archivetest.Open(t, dir)
	defer st.Close()
	now := time.Date(2026, 11, 26, 4, 0, 0, 0, time.UTC)
	export := func(o s3dest.Options) (s3dest.Manifest, *archivetest.MemStore) {
		t.Helper()
		s := archivetest.NewMemStore()
		var m s3dest.Manifest
		err := st.View(func(r *archive.Reader) error {
			var err error
			m, err = s3dest.Write(context.Background(), r, s, o)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return m, s
	}

	// A bound of one byte gives every record a part of its own, in the
	// partition of its day or month.
	want := map[string]string{} // line -> partition directory
	for _, tc := range []struct{ partition, layout string }{{s3dest.PartitionDay, time.DateOnly}, {s3dest.PartitionMonth, "2006-01"}, {"", "2006-01"}} {
		m, s := export(s3dest.Options{Now: now, ExportID: "e1", Prefix: "/p/", PartBytes: 1, Partition: tc.partition})
		want = map[string]string{}
		st.View(func(r *archive.Reader) error {
			for _, k := range kinds.Names() {
				r.Each(k, func(rec archive.Record) error {
					want[string(query.AppendRecord(nil, rec))] = fmt.Sprintf("p/kind=%s/region=%s/dt=%s/part-e1-", rec.Kind, rec.Region, rec.Key.Time().UTC().Format(tc.layout))
					return nil
				})
			}
			return nil
		})
		if wantP := tc.partition; m.Partition != wantP && !(wantP == "" && m.Partition == s3dest.DefaultPartition) {
			t.Errorf("partition %q: manifest says %q", tc.partition, m.Partition)
		}
		if m.Records != len(want) || len(m.Objects) != len(want) || len(s.Objects) != len(want) {
			t.Fatalf("%d records in %d objects (%d stored); the archive has %d", m.Records, len(m.Objects), len(s.Objects), len(want))
		}
		for _, o := range m.Objects {
			b := s.Objects[o.Key]
			sum := sha256.Sum256(b)
			if o.SHA256 != hex.EncodeToString(sum[:]) || o.Bytes != int64(len(b)) || o.Records != 1 {
				t.Errorf("%s: manifest entry %+v does not match the object", o.Key, o)
			}
			lines := archivetest.GunzipLines(t, b)
			if len(lines) != 1 || !strings.HasPrefix(o.Key, want[lines[0]]) || !strings.HasSuffix(o.Key, ".jsonl.gz") {
				t.Errorf("partition %q: %s holds %q", tc.partition, o.Key, lines)
			}
		}
	}

	// A large bound puts each partition in one part, records in time order.
	m, s := export(s3dest.Options{Now: now, ExportID: "e2"})
	n := 0
	for _, o := range m.Objects {
		if !strings.HasSuffix(o.Key, "/part-e2-00000.jsonl.gz") || strings.HasPrefix(o.Key, "/") {
			t.Errorf("part key %s", o.Key)
		}
		n += len(archivetest.GunzipLines(t, s.Objects[o.Key]))
	}
	if n != len(want) {
		t.Errorf("%d lines, want %d", n, len(want))
	}

	// Since the current position: nothing, and nothing written.
	var pos uint64
	st.View(func(r *archive.Reader) error { pos, _ = r.Position(); return nil })
	m, s = export(s3dest.Options{Now: now, ExportID: "e3", Since: &pos})
	if m.Records != 0 || len(s.Objects) != 0 || !m.SinceLast || m.Position != pos {
		t.Errorf("since the current position: %d records, %d objects, manifest %+v", m.Records, len(s.Objects), m)
	}

	// A changed job goes out; a job only seen again does not.
	later := now.Add(time.Hour)
	err := st.Update(func(w *archive.Writer) error {
		if _, err := w.PutLatest(archive.Record{Kind: kinds.DRSJob, ID: "drsjob-1", Region: "us-east-1", Account: "111122223333",
			Time: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), FirstSeen: later, LastSeen: later,
			Data: json.RawMessage(`{"jobID":"drsjob-1","status":"COMPLETED","note":"changed"}`)}); err != nil {
			return err
		}
		r, ok, err := w.Latest(kinds.DRSJob, "drsjob-2", "eu-west-1", "444455556666")
		if err != nil || !ok {
			return fmt.Errorf("drsjob-2: %v %v", ok, err)
		}
		r.LastSeen = later
		_, err = w.PutLatest(r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	m, s = export(s3dest.Options{Now: now, ExportID: "e4", Since: &pos})
	if m.Records != 1 || len(s.Objects) != 1 || m.Counts[kinds.DRSJob] != 1 {
		t.Fatalf("since %d: %d records in %d objects, want the changed job", pos, m.Records, len(s.Objects))
	}
	for _, b := range s.Objects {
		if lines := archivetest.GunzipLines(t, b); !strings.Contains(lines[0], `"note":"changed"`) {
			t.Errorf("since %d: exported %q", pos, lines)
		}
	}
}
