package s3dest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/query/ddl"
	"github.com/archiver-dev/archiver/query/export/s3dest"
)

// TestExportParquet: every record is one row of a Parquet part of its
// partition, with the columns the DDL declares, and its data verbatim.
func TestExportParquet(t *testing.T) {
	dir := archivetest.Dir(t)
	archivetest.Fixture(t, dir)
	st := archivetest.Open(t, dir)
	defer st.Close()
	want := map[string]archive.Record{} // kind, ID or job and time -> record
	keyOf := func(kind, id, job string, at time.Time) string {
		return kind + " " + id + " " + job + " " + at.UTC().Format(time.RFC3339Nano)
	}
	var m s3dest.Manifest
	s := archivetest.NewMemStore()
	err := st.View(func(r *archive.Reader) error {
		for _, k := range kinds.Names() {
			r.Each(k, func(rec archive.Record) error {
				want[keyOf(string(rec.Kind), rec.ID, rec.JobID, rec.Key.Time())] = rec
				return nil
			})
		}
		var err error
		m, err = s3dest.Write(context.Background(), r, s, s3dest.Options{ExportID: "e1", Format: s3dest.FormatParquet, PartBytes: 1 << 10})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 || m.Records != len(want) || m.PartFormat != s3dest.FormatParquet {
		t.Fatalf("%d records exported (format %q), the archive has %d", m.Records, m.PartFormat, len(want))
	}
	var columns []string
	for _, c := range ddl.ParquetColumns {
		columns = append(columns, c.Name)
	}
	columns = append(columns, "region")
	slices.Sort(columns)
	got := 0
	for _, o := range m.Objects {
		b := s.Objects[o.Key]
		sum := sha256.Sum256(b)
		if !strings.HasSuffix(o.Key, ".parquet") || o.SHA256 != hex.EncodeToString(sum[:]) || o.Bytes != int64(len(b)) {
			t.Errorf("%s: manifest entry %+v does not match the object", o.Key, o)
		}
		f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", o.Key, err)
		}
		var names []string
		for _, c := range f.Schema().Fields() {
			names = append(names, c.Name())
		}
		slices.Sort(names)
		if !slices.Equal(names, columns) {
			t.Errorf("%s: columns %v, want %v", o.Key, names, columns)
		}
		rows, err := parquet.Read[readRow](bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", o.Key, err)
		}
		if len(rows) != o.Records {
			t.Errorf("%s: %d rows, manifest says %d", o.Key, len(rows), o.Records)
		}
		for _, row := range rows {
			rec, ok := want[keyOf(row.Kind, row.ID, row.JobID, row.Time)]
			if !ok {
				t.Errorf("%s: row of no record: %+v", o.Key, row)
				continue
			}
			got++
			region := rec.Region
			if region == "" {
				region = s3dest.NoRegion
			}
			if row.Data != string(rec.Data) || row.Account != rec.Account || row.Region != region || !row.LastSeen.Equal(rec.LastSeen) ||
				!strings.Contains(o.Key, "/region="+region+"/dt="+s3dest.PartitionValue(s3dest.PartitionMonth, rec.Key.Time())+"/") {
				t.Errorf("%s: row %v is not record %+v", o.Key, row, rec)
			}
		}
	}
	if got != len(want) {
		t.Errorf("%d rows match records, want %d", got, len(want))
	}
}

// readRow is a Parquet row as a reader of the export sees it.
type readRow struct {
	Kind     string    `parquet:"kind"`
	Region   string    `parquet:"region"`
	Account  string    `parquet:"account"`
	ID       string    `parquet:"id,optional"`
	JobID    string    `parquet:"jobID,optional"`
	Time     time.Time `parquet:"time,timestamp(microsecond)"`
	LastSeen time.Time `parquet:"lastSeen,timestamp(microsecond)"`
	Data     string    `parquet:"data"`
}
