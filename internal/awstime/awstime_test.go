package awstime

import (
	"fmt"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	want := time.Date(2026, 3, 4, 10, 11, 12, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-03-04T10:11:12Z", want, true},
		{"2026-03-04T10:11:12+00:00", want, true},
		{"2026-03-04T10:11:12.123456+00:00", want.Add(123456 * time.Microsecond), true},
		{"2026-03-04T10:11:12.5Z", want.Add(500 * time.Millisecond), true},
		{"2026-03-04T12:11:12+02:00", want, true},
		{"2026-03-04T10:11:12", want, true},
		{"2026-03-04T10:11:12.000z", want, true},
		{"2026-03-04 10:11:12+00:00", want, true},
		{" 2026-03-04T10:11:12Z ", want, true},
		{"2026-03-04", time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), true},
		{"", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"2026-13-04T10:11:12Z", time.Time{}, false},
		{"1480475524", time.Time{}, false},
		{"9999-12-31T23:59:59-01:00", time.Time{}, false}, // year 10000 in UTC
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("Parse(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && !got.Equal(tt.want) {
			t.Errorf("Parse(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if tt.ok && got.Location() != time.UTC {
			t.Errorf("Parse(%q) location = %v, want UTC", tt.in, got.Location())
		}
	}
}

func TestParseEpoch(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"1480475524", time.Unix(1480475524, 0).UTC(), true},
		{"1480475524.335", time.Unix(1480475524, 335000000).UTC(), true},
		{"1480475524.1234567891", time.Unix(1480475524, 123456789).UTC(), true},
		{"1.480475524335E9", time.Unix(1480475524, 335000000).UTC(), true},
		{"", time.Time{}, false},
		{"abc", time.Time{}, false},
		{"12.3x", time.Time{}, false},
		{"1e300", time.Time{}, false},
		{"NaN", time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := ParseEpoch(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseEpoch(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && got.Sub(tt.want).Abs() > time.Microsecond {
			t.Errorf("ParseEpoch(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// FuzzParse checks that Parse never panics and that whatever it accepts
// survives a round trip through RFC 3339.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"2026-03-04T10:11:12Z", "2026-03-04T10:11:12.123456+00:00", "2026-03-04", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s)
		if err != nil {
			return
		}
		back, err := time.Parse(time.RFC3339Nano, got.Format(time.RFC3339Nano))
		if err != nil || !back.Equal(got) {
			t.Fatalf("Parse(%q) = %v does not round-trip: %v", s, got, err)
		}
	})
}

// FuzzParseEpoch checks that ParseEpoch never panics and agrees with itself.
func FuzzParseEpoch(f *testing.F) {
	for _, s := range []string{"1480475524", "1480475524.335", "-1.5", "1e3", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, errA := ParseEpoch(s)
		b, errB := ParseEpoch(s)
		if (errA == nil) != (errB == nil) || !a.Equal(b) {
			t.Fatalf("ParseEpoch(%q) is not deterministic", s)
		}
	})
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"PT0S", 0, true},
		{"PT2M", 2 * time.Minute, true},
		{"PT0.5S", 500 * time.Millisecond, true},
		{"P12DT3H4M5S", 12*24*time.Hour + 3*time.Hour + 4*time.Minute + 5*time.Second, true},
		{"P1W", 7 * 24 * time.Hour, true},
		{"P1D", 24 * time.Hour, true},
		{" pt1h ", time.Hour, true},
		{"-PT1M", -time.Minute, true},
		{"PT1,5S", 1500 * time.Millisecond, true},
		{"", 0, false},
		{"P", 0, false},
		{"PT", 0, false},
		{"P1H", 0, false},
		{"PT1D", 0, false},
		{"1H", 0, false},
		{"PTS", 0, false},
		{"PT1", 0, false},
		{"P99999999999999Y", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseDuration(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// FuzzParseDuration checks that ParseDuration never panics and that whole
// seconds it accepts survive a round trip through their own rendering.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"PT2M", "P12DT3H4M5S", "PT0.5S", "-P1W", "P", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d%time.Second != 0 {
			return
		}
		sec := int64(d / time.Second)
		neg := ""
		if sec < 0 {
			neg, sec = "-", -sec
		}
		back, err := ParseDuration(fmt.Sprintf("%sPT%dS", neg, sec))
		if err != nil || back != d {
			t.Fatalf("ParseDuration(%q) = %v does not round-trip: %v, %v", s, d, back, err)
		}
	})
}
