package query_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/export"
	"github.com/archiver-dev/archiver/query/export/s3dest"
)

// TestOutputsAreOneRecordALine: data stored across lines (as imports before
// schema 9 kept the AWS CLI's indentation) comes out compacted, one record a
// line, from query --output jsonl, the export's record lines and the S3
// parts; the export still verifies, its record hashes over the lines as
// written.
func TestOutputsAreOneRecordALine(t *testing.T) {
	at := time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)
	datas := []string{
		"{\n    \"jobID\": \"drsjob-0123456789abcdefA\",\n    \"n\": 1.50,\n    \"s\": \"a  b\\nc\",\r\n    \"tags\": {\"k\": \"v\"}\n}",
		"{\"jobID\": \"drsjob-0123456789abcdefB\", \"list\": [\n 1,\n 2\n]}",
		`{"jobID":"drsjob-0123456789abcdefC"}`,
	}
	var want []string
	for _, d := range datas {
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(d)); err != nil {
			t.Fatal(err)
		}
		want = append(want, buf.String())
	}
	dir := archivetest.Dir(t)
	st := archivetest.Open(t, dir)
	err := st.Update(func(w *archive.Writer) error {
		for i, d := range datas {
			var h struct{ JobID string }
			json.Unmarshal([]byte(d), &h)
			rec := archive.Record{Kind: kinds.DRSJob, ID: h.JobID, Region: "eu-west-1", Account: "111122223333",
				Time: at.Add(time.Duration(i) * time.Hour), FirstSeen: at, LastSeen: at, Data: json.RawMessage(d),
				Imported: &archive.Import{File: "jobs.json", SHA256: strings.Repeat("0", 64)}}
			if _, err := w.PutLatest(rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// lines checks that out is one record object a line, with the wanted
	// data in order.
	lines := func(t *testing.T, what string, out []string) {
		t.Helper()
		if len(out) != len(want) {
			t.Fatalf("%s: %d lines, want %d: %q", what, len(out), len(want), out)
		}
		for i, l := range out {
			var o struct{ Data json.RawMessage }
			if err := json.Unmarshal([]byte(l), &o); err != nil {
				t.Fatalf("%s line %d is not a record object: %v: %q", what, i, err, l)
			}
			if string(o.Data) != want[i] {
				t.Errorf("%s line %d data %s, want %s", what, i, o.Data, want[i])
			}
		}
	}
	var recs []archive.Record
	st.View(func(r *archive.Reader) error {
		return r.Each(kinds.DRSJob, func(rec archive.Record) error { recs = append(recs, rec); return nil })
	})

	t.Run("jsonl", func(t *testing.T) {
		var buf bytes.Buffer
		w := query.NewWriter(&buf, query.FormatJSONL, query.WriterOptions{})
		for _, rec := range recs {
			if err := w.Write(rec, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(""); err != nil {
			t.Fatal(err)
		}
		var out []string
		sc := bufio.NewScanner(&buf)
		for sc.Scan() {
			out = append(out, sc.Text())
		}
		lines(t, "jsonl", out)
	})

	t.Run("export", func(t *testing.T) {
		var buf bytes.Buffer
		err := st.View(func(r *archive.Reader) error {
			_, err := export.Write(context.Background(), r, &buf, export.Options{
				Version: "test", Now: at, SchemaVersion: 9, TempDir: t.TempDir()})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		_, recLines, _ := archivetest.ExportParts(t, buf.Bytes())
		var out []string
		for _, l := range recLines {
			out = append(out, strings.TrimSuffix(string(l), ","))
		}
		lines(t, "export", out)
		if _, problems := export.Verify(buf.Bytes(), nil); len(problems) != 0 {
			t.Errorf("verify --export: %v", problems)
		}
	})

	t.Run("S3 parts", func(t *testing.T) {
		s := archivetest.NewMemStore()
		err := st.View(func(r *archive.Reader) error {
			_, err := s3dest.Write(context.Background(), r, s, s3dest.Options{Now: at, ExportID: "e1"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for k, b := range s.Objects {
			if strings.HasSuffix(k, ".jsonl.gz") {
				out = append(out, archivetest.GunzipLines(t, b)...)
			}
		}
		// Parts are by day: all three records are of one day, one part.
		lines(t, "S3 parts", out)
	})
}
