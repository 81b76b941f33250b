package s3dest_test

import (
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/query/export/s3dest"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in, bucket, prefix, err string
	}{
		{in: "s3://audit/drs/history/", bucket: "audit", prefix: "drs/history"},
		{in: "s3://audit", bucket: "audit"},
		{in: "s3:///p", err: "s3:///p: no bucket"},
		{in: "https://audit/p", err: "https://audit/p: want s3://bucket/prefix"},
	} {
		b, p, err := s3dest.ParseURL(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseURL(%q): %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || b != tc.bucket || p != tc.prefix {
			t.Errorf("ParseURL(%q) = %q, %q, %v; want %q, %q", tc.in, b, p, err, tc.bucket, tc.prefix)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"s3://audit/drs/history/", "s3://b", "s3:///p", "s3://b//p//", "http://b/p", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, p, err := s3dest.ParseURL(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), s) {
				t.Errorf("ParseURL(%q): error %q does not start with the input", s, err)
			}
			return
		}
		if !strings.HasPrefix(s, "s3://") || b == "" || strings.Contains(b, "/") || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
			t.Errorf("ParseURL(%q) = %q, %q", s, b, p)
		}
	})
}

func FuzzParseLockMode(f *testing.F) {
	for _, s := range []string{"", "GOVERNANCE", "compliance", "Locked"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := s3dest.ParseLockMode(s)
		switch {
		case err != nil && m != "":
			t.Errorf("ParseLockMode(%q) = %q and %v", s, m, err)
		case err == nil && m != "" && m != "GOVERNANCE" && m != "COMPLIANCE":
			t.Errorf("ParseLockMode(%q) = %q", s, m)
		case err != nil && strings.ContainsAny(err.Error(), "\n\r"):
			t.Errorf("ParseLockMode(%q): error on several lines: %q", s, err)
		}
	})
}
