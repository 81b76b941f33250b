package emulator

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestISODuration(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{
		{0, "PT0S"},
		{-time.Second, "PT0S"},
		{2 * time.Minute, "PT2M"},
		{90 * time.Second, "PT1M30S"},
		{3 * time.Hour, "PT3H"},
		{48 * time.Hour, "P2D"},
		{49*time.Hour + 5*time.Second, "P2DT1H5S"},
		{12*24*time.Hour + 3*time.Hour + 4*time.Minute + 5*time.Second, "P12DT3H4M5S"},
	} {
		if got := isoDuration(tc.in); got != tc.want {
			t.Errorf("isoDuration(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseFilterTime(t *testing.T) {
	want := time.Date(2026, 3, 4, 10, 11, 12, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2026-03-04T10:11:12Z", want},
		{"2026-03-04T10:11:12+00:00", want},
		{"2026-03-04T10:11:12.123456+00:00", want.Add(123456 * time.Microsecond)},
		{"2026-03-04T10:11:12.5Z", want.Add(500 * time.Millisecond)},
		{"2026-03-04T12:11:12+02:00", want},
		{"2026-03-04T10:11:12", want},
		{"2026-03-04", time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)},
	} {
		got, err := parseFilterTime(tc.in)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseFilterTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2026-13-01T00:00:00Z", "1700000000"} {
		if _, err := parseFilterTime(bad); err == nil {
			t.Errorf("parseFilterTime(%q) succeeded", bad)
		}
	}
}

func TestStampAfterIsStrictlyLater(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	prev := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 10000 {
		at := prev.Add(time.Duration(1+r.IntN(3000)) * time.Microsecond)
		st := stampAfter(r, at, prev)
		if !st.t.After(prev) {
			t.Fatalf("stamp %s is not after %v", st.s, prev)
		}
		prev = st.t
	}
}

func TestSpread(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	gaps := []time.Duration{time.Minute, time.Minute, 2 * time.Minute}
	got := spread(start, start.Add(time.Hour), gaps)
	if !got[2].Equal(start.Add(4 * time.Minute)) {
		t.Fatalf("unscaled spread ends at %v", got[2])
	}
	got = spread(start, start.Add(2*time.Minute), gaps)
	if got[2].After(start.Add(2*time.Minute)) || !got[0].After(start) {
		t.Fatalf("scaled spread %v does not fit", got)
	}
	got = spread(start, start, gaps)
	for i := 1; i < len(got); i++ {
		if !got[i].After(got[i-1]) {
			t.Fatalf("spread in an empty window is not increasing: %v", got)
		}
	}
}

func TestTokens(t *testing.T) {
	tok := encodeToken(OpDescribeJobs, "k", 42)
	if off, err := decodeToken(OpDescribeJobs, "k", tok); err != nil || off != 42 {
		t.Fatalf("decodeToken = %d, %v", off, err)
	}
	for _, tc := range []struct{ op, key, tok string }{
		{OpDescribeJobs, "other", tok},
		{OpDescribeSourceServers, "k", tok},
		{OpDescribeJobs, "k", "!!"},
		{OpDescribeJobs, "k", encodeToken(OpDescribeJobs, "k", 0)},
	} {
		if _, err := decodeToken(tc.op, tc.key, tc.tok); err == nil {
			t.Errorf("decodeToken(%s, %s, %s) succeeded", tc.op, tc.key, tc.tok)
		}
	}
}

func TestWithMembers(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{}`, `{"x":1}`},
		{`{"a":2}`, `{"a":2,"x":1}`},
	} {
		if got := string(withMembers([]byte(tc.in), member{"x", "1"})); got != tc.want {
			t.Errorf("withMembers(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
