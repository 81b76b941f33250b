package s3dest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/query/export/s3dest"
)

func TestDirStore(t *testing.T) {
	root := filepath.Join(t.TempDir(), "export")
	d, err := s3dest.NewDirStore(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key := "p/kind=drs.job/region=us-east-1/dt=2026-11/part-e1-00000.jsonl.gz"
	if err := d.Put(ctx, key, []byte("one"), "application/gzip"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(key))); err != nil || string(b) != "one" {
		t.Errorf("read back %q, %v", b, err)
	}
	for _, tc := range []struct{ key, err string }{
		{key, "exists already"},
		{"../outside", "not a path inside"},
		{"/abs/key", "not a path inside"},
	} {
		if err := d.Put(ctx, tc.key, []byte("two"), ""); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Put(%q): %v, want %q", tc.key, err, tc.err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(root, filepath.FromSlash(key))); string(b) != "one" {
		t.Errorf("a refused Put changed the file: %q", b)
	}
}

func TestParsePartition(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", s3dest.PartitionMonth}, {"day", s3dest.PartitionDay}, {" Month ", s3dest.PartitionMonth}, {"week", ""},
	} {
		got, err := s3dest.ParsePartition(tc.in)
		if (err != nil) != (tc.want == "") || got != tc.want {
			t.Errorf("ParsePartition(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	at := time.Date(2026, 2, 28, 23, 59, 0, 0, time.FixedZone("x", -3600))
	if got := s3dest.PartitionValue(s3dest.PartitionDay, at); got != "2026-03-01" {
		t.Errorf("day of %v: %s, want the UTC day 2026-03-01", at, got)
	}
	if got := s3dest.PartitionValue(s3dest.PartitionMonth, at); got != "2026-03" {
		t.Errorf("month of %v: %s, want the UTC month 2026-03", at, got)
	}
}

func FuzzParsePartition(f *testing.F) {
	for _, s := range []string{"", "day", "month", "DAY", " month\t", "week", "dayy"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := s3dest.ParsePartition(s)
		if err != nil {
			if p != "" || !strings.Contains(err.Error(), "want day or month") {
				t.Errorf("ParsePartition(%q) = %q, %v", s, p, err)
			}
			return
		}
		if p != s3dest.PartitionDay && p != s3dest.PartitionMonth {
			t.Errorf("ParsePartition(%q) = %q", s, p)
		}
	})
}

func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"", "jsonl", "parquet", "PARQUET", " jsonl ", "json", "csv"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := s3dest.ParseFormat(s)
		if err != nil {
			if p != "" || !strings.Contains(err.Error(), "want jsonl or parquet") {
				t.Errorf("ParseFormat(%q) = %q, %v", s, p, err)
			}
			return
		}
		if p != s3dest.FormatJSONLines && p != s3dest.FormatParquet {
			t.Errorf("ParseFormat(%q) = %q", s, p)
		}
	})
}
