package report_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/query/report"
)

func TestParseLimit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"90d", 90 * 24 * time.Hour},
		{"1h", time.Hour},
		{"15m", 15 * time.Minute},
		{"45s", 45 * time.Second},
		{"2w", 14 * 24 * time.Hour},
		{"1d12h", 36 * time.Hour},
		{" 1h30m ", 90 * time.Minute},
	} {
		got, err := report.ParseLimit(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseLimit(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "0m", "90", "d", "1.5h", "-1h", "1y", "1h 30m", "99999999999h", "1000000000w"} {
		if got, err := report.ParseLimit(in); !errors.Is(err, report.ErrBadLimit) {
			t.Errorf("ParseLimit(%q) = %v, %v; want ErrBadLimit", in, got, err)
		}
	}
}

// FuzzParseLimit: any input gives a positive duration or ErrBadLimit,
// never a panic, and an accepted limit is made of digits and units alone.
func FuzzParseLimit(f *testing.F) {
	for _, s := range []string{"90d", "1h", "15m", "1d12h", "0s", "", "9999999999w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := report.ParseLimit(s)
		if err != nil {
			if !errors.Is(err, report.ErrBadLimit) {
				t.Fatalf("ParseLimit(%q): %v", s, err)
			}
			return
		}
		if d <= 0 || strings.Trim(strings.TrimSpace(s), "0123456789smhdw") != "" {
			t.Fatalf("ParseLimit(%q) = %v", s, d)
		}
	})
}
