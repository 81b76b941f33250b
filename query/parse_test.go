package query_test

import (
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/archiver-dev/archiver/query"
)

// parseNow is the fixed present of the tests: ages count back from it.
var parseNow = time.Date(2026, 3, 4, 10, 11, 12, 0, time.UTC)

const timeForms = `want RFC 3339 (2026-03-04T10:00:00Z), a local time (2026-03-04T10:00), a date (2026-03-04), a month (2026-03), today, yesterday or an age (90m, 36h, 7d, 2w, 3mo, 1y)`

const ageLong = `age too long (at most 106751d, 120000mo or 10000y)`

// checkOneLine fails the test unless err's message is a single line.
func checkOneLine(t *testing.T, err error) {
	t.Helper()
	if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\r\n") {
		t.Errorf("error message is not one line: %q", msg)
	}
}

func TestParseTimeBound(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		end     bool
		want    string // RFC 3339 in UTC, when no error
		wantErr string
	}{
		{name: "utc", in: "2026-03-04T10:11:12Z", want: "2026-03-04T10:11:12Z"},
		{name: "utc end ignored", in: "2026-03-04T10:11:12Z", end: true, want: "2026-03-04T10:11:12Z"},
		{name: "fraction and offset", in: "2026-03-04T10:11:12.5+02:00", want: "2026-03-04T08:11:12.5Z"},
		{name: "negative offset crosses day", in: "2026-03-04T22:30:00-05:30", want: "2026-03-05T04:00:00Z"},
		{name: "nanoseconds", in: "2026-03-04T10:11:12.123456789Z", want: "2026-03-04T10:11:12.123456789Z"},
		{name: "beyond nanoseconds truncated", in: "2026-03-04T10:11:12.1234567899Z", want: "2026-03-04T10:11:12.123456789Z"},
		{name: "spaces trimmed", in: " \t2026-03-04T10:11:12Z\n", want: "2026-03-04T10:11:12Z"},
		{name: "date start", in: "2026-03-04", want: "2026-03-04T00:00:00Z"},
		{name: "date end", in: "2026-03-04", end: true, want: "2026-03-04T23:59:59.999999999Z"},
		{name: "leap day", in: "2024-02-29", want: "2024-02-29T00:00:00Z"},
		{name: "leap day end", in: "2024-02-29", end: true, want: "2024-02-29T23:59:59.999999999Z"},
		{name: "last day of year 9999", in: "9999-12-31", end: true, want: "9999-12-31T23:59:59.999999999Z"},
		{name: "year 0", in: "0000-01-01", want: "0000-01-01T00:00:00Z"},
		{name: "seconds", in: "90s", want: "2026-03-04T10:09:42Z"},
		{name: "minutes", in: "45m", want: "2026-03-04T09:26:12Z"},
		{name: "hours", in: "36h", want: "2026-03-02T22:11:12Z"},
		{name: "days", in: "7d", want: "2026-02-25T10:11:12Z"},
		{name: "weeks", in: "2w", want: "2026-02-18T10:11:12Z"},
		{name: "terms", in: "1d12h", want: "2026-03-02T22:11:12Z"},
		{name: "age end ignored", in: "1w1d1h1m1s", end: true, want: "2026-02-24T09:10:11Z"},
		{name: "longest age", in: "106751d", want: "1733-11-24T10:11:12Z"},
		{name: "m is minutes", in: "3m", want: "2026-03-04T10:08:12Z"},
		{name: "months", in: "3mo", want: "2025-12-04T10:11:12Z"},
		{name: "years", in: "1y", want: "2025-03-04T10:11:12Z"},
		{name: "years and months", in: "1y6mo", want: "2024-09-04T10:11:12Z"},
		{name: "months and minutes", in: "1mo30m", want: "2026-02-04T09:41:12Z"},
		{name: "longest years", in: "2026y", want: "0000-03-04T10:11:12Z"},
		{name: "now", in: "now", want: "2026-03-04T10:11:12Z"},
		{name: "today", in: "today", want: "2026-03-04T00:00:00Z"},
		{name: "today end", in: "today", end: true, want: "2026-03-04T23:59:59.999999999Z"},
		{name: "yesterday", in: "yesterday", want: "2026-03-03T00:00:00Z"},
		{name: "yesterday end", in: "yesterday", end: true, want: "2026-03-03T23:59:59.999999999Z"},
		{name: "month", in: "2026-10", want: "2026-10-01T00:00:00Z"},
		{name: "month end", in: "2026-10", end: true, want: "2026-10-31T23:59:59.999999999Z"},
		{name: "leap february end", in: "2024-02", end: true, want: "2024-02-29T23:59:59.999999999Z"},
		{name: "december end", in: "9999-12", end: true, want: "9999-12-31T23:59:59.999999999Z"},
		{name: "local minutes", in: "2026-10-01T00:00", want: "2026-10-01T00:00:00Z"},
		{name: "local minutes end is the instant", in: "2026-10-01T10:00", end: true, want: "2026-10-01T10:00:00Z"},
		{name: "local seconds", in: "2026-10-01T00:00:00", want: "2026-10-01T00:00:00Z"},
		{name: "local fraction", in: "2026-10-01T10:11:12.25", want: "2026-10-01T10:11:12.25Z"},
		{name: "local with space", in: "2026-10-01 10:00", want: "2026-10-01T10:00:00Z"},
		{name: "local seconds with space", in: "2026-10-01 10:00:30", want: "2026-10-01T10:00:30Z"},
		{name: "minutes with Z", in: "2026-10-01T10:00Z", want: "2026-10-01T10:00:00Z"},
		{name: "minutes with offset", in: "2026-10-01T10:00+02:00", want: "2026-10-01T08:00:00Z"},
		{name: "space and offset", in: "2026-10-01 10:00:00-01:00", want: "2026-10-01T11:00:00Z"},

		{name: "empty", in: "", wantErr: `"": ` + timeForms},
		{name: "word", in: "soon", wantErr: `"soon": ` + timeForms},
		{name: "capital word", in: "Today", wantErr: `"Today": ` + timeForms},
		{name: "age without unit", in: "36", wantErr: `"36": ` + timeForms},
		{name: "unit without number", in: "1dh", wantErr: `"1dh": ` + timeForms},
		{name: "unknown unit", in: "3x", wantErr: `"3x": ` + timeForms},
		{name: "lone o", in: "3o", wantErr: `"3o": ` + timeForms},
		{name: "om", in: "3om", wantErr: `"3om": ` + timeForms},
		{name: "month unit without number", in: "1ymo", wantErr: `"1ymo": ` + timeForms},
		{name: "zero months", in: "0mo", wantErr: `"0mo": each age term must be above zero (36h, 7d, 1d12h)`},
		{name: "zero years", in: "1d0y", wantErr: `"1d0y": each age term must be above zero (36h, 7d, 1d12h)`},
		{name: "too many years", in: "10001y", wantErr: `"10001y": ` + ageLong},
		{name: "too many months", in: "120001mo", wantErr: `"120001mo": ` + ageLong},
		{name: "months summed too many", in: "100000mo100000mo", wantErr: `"100000mo100000mo": ` + ageLong},
		{name: "years before year 0", in: "2027y", wantErr: `"2027y": year outside 0..9999 in UTC`},
		{name: "month 13", in: "2026-13", wantErr: `"2026-13": no such date or time`},
		{name: "month 0", in: "2026-00", wantErr: `"2026-00": no such date or time`},
		{name: "hour only", in: "2026-10-01T10", wantErr: `"2026-10-01T10": ` + timeForms},
		{name: "dangling colon", in: "2026-10-01T10:00:", wantErr: `"2026-10-01T10:00:": ` + timeForms},
		{name: "fraction without seconds", in: "2026-10-01T10:00.5", wantErr: `"2026-10-01T10:00.5": ` + timeForms},
		{name: "minute 60", in: "2026-10-01T10:60", wantErr: `"2026-10-01T10:60": no such date or time`},
		{name: "two spaces", in: "2026-10-01  10:00", wantErr: `"2026-10-01  10:00": ` + timeForms},
		{name: "upper-case unit", in: "7D", wantErr: `"7D": ` + timeForms},
		{name: "signed age", in: "-7d", wantErr: `"-7d": ` + timeForms},
		{name: "fractional age", in: "1.5h", wantErr: `"1.5h": ` + timeForms},
		{name: "spaced age", in: "1d 12h", wantErr: `"1d 12h": ` + timeForms},
		{name: "zero age", in: "0d", wantErr: `"0d": each age term must be above zero (36h, 7d, 1d12h)`},
		{name: "zero term", in: "1d0h", wantErr: `"1d0h": each age term must be above zero (36h, 7d, 1d12h)`},
		{name: "overflowing number", in: "99999999999999999d", wantErr: `"99999999999999999d": ` + ageLong},
		{name: "overflowing digits", in: "99999999999999999999999s", wantErr: `"99999999999999999999999s": ` + ageLong},
		{name: "overflowing sum", in: "106751d106751d", wantErr: `"106751d106751d": ` + ageLong},
		{name: "not a leap year", in: "2026-02-29", wantErr: `"2026-02-29": no such date or time`},
		{name: "month 13", in: "2026-13-01", wantErr: `"2026-13-01": no such date or time`},
		{name: "hour 24", in: "2026-03-04T24:00:00Z", wantErr: `"2026-03-04T24:00:00Z": no such date or time`},
		{name: "leap second", in: "2026-12-31T23:59:60Z", wantErr: `"2026-12-31T23:59:60Z": no such date or time`},
		{name: "offset hour 24", in: "2026-03-04T10:11:12+24:00", wantErr: `"2026-03-04T10:11:12+24:00": ` + timeForms},
		{name: "offset minute 60", in: "2026-03-04T10:11:12+01:60", wantErr: `"2026-03-04T10:11:12+01:60": ` + timeForms},
		{name: "lower-case z", in: "2026-03-04T10:11:12z", wantErr: `"2026-03-04T10:11:12z": ` + timeForms},
		{name: "T for space", in: "2026-03-04 10:11:12Z", want: "2026-03-04T10:11:12Z"},
		{name: "no zone is UTC", in: "2026-03-04T10:11:12", want: "2026-03-04T10:11:12Z"},
		{name: "comma fraction", in: "2026-03-04T10:11:12,5Z", wantErr: `"2026-03-04T10:11:12,5Z": ` + timeForms},
		{name: "empty fraction", in: "2026-03-04T10:11:12.Z", wantErr: `"2026-03-04T10:11:12.Z": ` + timeForms},
		{name: "short date", in: "2026-3-4", wantErr: `"2026-3-4": ` + timeForms},
		{name: "five-digit year", in: "10000-01-01", wantErr: `"10000-01-01": ` + timeForms},
		{name: "offset past year 9999", in: "9999-12-31T23:00:00-01:00", wantErr: `"9999-12-31T23:00:00-01:00": year outside 0..9999 in UTC`},
		{name: "offset before year 0", in: "0000-01-01T00:30:00+01:00", wantErr: `"0000-01-01T00:30:00+01:00": year outside 0..9999 in UTC`},
		{name: "newline inside", in: "2026-03-04\n10:00", wantErr: `"2026-03-04\n10:00": ` + timeForms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := query.ParseTimeBound(tt.in, parseNow, tt.end)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseTimeBound(%q) = %v, want error %q", tt.in, got, tt.wantErr)
				}
				checkOneLine(t, err)
				if err.Error() != tt.wantErr {
					t.Errorf("ParseTimeBound(%q) error\n got %s\nwant %s", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTimeBound(%q): %v", tt.in, err)
			}
			if got.Location() != time.UTC {
				t.Errorf("ParseTimeBound(%q) location = %v, want UTC", tt.in, got.Location())
			}
			if s := got.Format(time.RFC3339Nano); s != tt.want {
				t.Errorf("ParseTimeBound(%q, end=%v) = %s, want %s", tt.in, tt.end, s, tt.want)
			}
		})
	}
}

func TestParseTimeBoundAgeRange(t *testing.T) {
	tests := []struct {
		name    string
		now     time.Time
		in      string
		wantErr string
	}{
		{name: "age before year 0", now: time.Date(100, 1, 1, 0, 0, 0, 0, time.UTC), in: "106751d",
			wantErr: `"106751d": year outside 0..9999 in UTC`},
		{name: "now in another zone", now: time.Date(2026, 3, 4, 12, 11, 12, 0, time.FixedZone("", 2*3600)), in: "1h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := query.ParseTimeBound(tt.in, tt.now, false)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParseTimeBound(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
				}
				checkOneLine(t, err)
				return
			}
			if err != nil {
				t.Fatalf("ParseTimeBound(%q): %v", tt.in, err)
			}
			if want := tt.now.Add(-time.Hour); !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("ParseTimeBound(%q) = %v, want %v", tt.in, got, want)
			}
		})
	}
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		want     [2]string // RFC 3339 of From and To, "" for unbounded
		wantErr  string
	}{
		{name: "unbounded", want: [2]string{"", ""}},
		{name: "blank is unbounded", from: "  ", to: "\t", want: [2]string{"", ""}},
		{name: "from only", from: "7d", want: [2]string{"2026-02-25T10:11:12Z", ""}},
		{name: "to only", to: "2026-03-01", want: [2]string{"", "2026-03-01T23:59:59.999999999Z"}},
		{name: "same day", from: "2026-03-01", to: "2026-03-01", want: [2]string{"2026-03-01T00:00:00Z", "2026-03-01T23:59:59.999999999Z"}},
		{name: "equal instants", from: "2026-03-01T10:00:00Z", to: "2026-03-01T12:00:00+02:00", want: [2]string{"2026-03-01T10:00:00Z", "2026-03-01T10:00:00Z"}},
		{name: "ages", from: "2w", to: "1d", want: [2]string{"2026-02-18T10:11:12Z", "2026-03-03T10:11:12Z"}},

		{name: "from after to", from: "2026-03-02", to: "2026-03-01",
			wantErr: `--from "2026-03-02" (2026-03-02T00:00:00Z) is after --to "2026-03-01" (2026-03-01T23:59:59.999999999Z)`},
		{name: "ages reversed", from: "1d", to: "2d",
			wantErr: `--from "1d" (2026-03-03T10:11:12Z) is after --to "2d" (2026-03-02T10:11:12Z)`},
		{name: "bad from", from: "soon", to: "1d", wantErr: `--from "soon": ` + timeForms},
		{name: "whole month", from: "2026-02", to: "2026-02", want: [2]string{"2026-02-01T00:00:00Z", "2026-02-28T23:59:59.999999999Z"}},
		{name: "yesterday", from: "yesterday", to: "yesterday", want: [2]string{"2026-03-03T00:00:00Z", "2026-03-03T23:59:59.999999999Z"}},
		{name: "last year to today", from: "1y", to: "today", want: [2]string{"2025-03-04T10:11:12Z", "2026-03-04T23:59:59.999999999Z"}},
		{name: "bad to", from: "1d", to: " 2026-02-30 ", wantErr: `--to "2026-02-30": no such date or time`},
		{name: "zero instant", to: "0001-01-01T00:00:00Z",
			wantErr: `--to "0001-01-01T00:00:00Z": 0001-01-01T00:00:00Z is the zero time, which means no bound`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := query.ParseRange(tt.from, tt.to, parseNow)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseRange(%q, %q) = %+v, want error %q", tt.from, tt.to, got, tt.wantErr)
				}
				checkOneLine(t, err)
				if err.Error() != tt.wantErr {
					t.Errorf("ParseRange(%q, %q) error\n got %s\nwant %s", tt.from, tt.to, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRange(%q, %q): %v", tt.from, tt.to, err)
			}
			if g := [2]string{formatBound(got.From), formatBound(got.To)}; g != tt.want {
				t.Errorf("ParseRange(%q, %q) = %q, want %q", tt.from, tt.to, g, tt.want)
			}
		})
	}
}

func formatBound(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func TestRangeContains(t *testing.T) {
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 3, 1, 23, 59, 59, 999999999, time.UTC)
	tests := []struct {
		name string
		r    query.Range
		t    time.Time
		want bool
	}{
		{name: "unbounded", r: query.Range{}, t: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), want: true},
		{name: "at from", r: query.Range{From: from, To: to}, t: from, want: true},
		{name: "at to", r: query.Range{From: from, To: to}, t: to, want: true},
		{name: "inside", r: query.Range{From: from, To: to}, t: from.Add(time.Hour), want: true},
		{name: "before from", r: query.Range{From: from, To: to}, t: from.Add(-1), want: false},
		{name: "after to", r: query.Range{From: from, To: to}, t: to.Add(1), want: false},
		{name: "open end", r: query.Range{From: from}, t: to.AddDate(100, 0, 0), want: true},
		{name: "open start", r: query.Range{To: to}, t: from.AddDate(-100, 0, 0), want: true},
		{name: "open start after to", r: query.Range{To: to}, t: to.Add(1), want: false},
		{name: "other zone same instant", r: query.Range{From: from, To: from}, t: from.In(time.FixedZone("", -5*3600)), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Contains(tt.t); got != tt.want {
				t.Errorf("%+v.Contains(%v) = %v, want %v", tt.r, tt.t, got, tt.want)
			}
		})
	}
}

func FuzzParseTimeBound(f *testing.F) {
	for _, s := range []string{"2026-03-04T10:11:12Z", "2026-03-04", "1d12h", "yesterday", "today", "1y6mo", "3m",
		"2026-10", "2026-10-01T00:00", "2026-10-01 10:00", "2026-10-01T10:00:00.5+02:00"} {
		f.Add(s)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := query.ParseTimeBoundIn(s, parseNow, false, berlin); err != nil {
			checkOneLine(t, err)
			if !strings.HasPrefix(err.Error(), strconv.Quote(strings.TrimSpace(s))+": ") {
				t.Errorf("error %q does not start with the quoted input", err)
			}
		} else if b, err := query.ParseTimeBoundIn(s, parseNow, true, berlin); err != nil {
			t.Errorf("%q parses in Berlin with end=false but not with end=true: %v", s, err)
		} else if a, _ := query.ParseTimeBoundIn(s, parseNow, false, berlin); a.After(b) {
			t.Errorf("%q in Berlin: start %v is after end %v", s, a, b)
		}
		start, err := query.ParseTimeBound(s, parseNow, false)
		if err != nil {
			checkOneLine(t, err)
			return
		}
		end, err := query.ParseTimeBound(s, parseNow, true)
		if err != nil {
			t.Fatalf("%q parses with end=false but not with end=true: %v", s, err)
		}
		if start.After(end) {
			t.Errorf("%q: start %v is after end %v", s, start, end)
		}
		for _, got := range []time.Time{start, end} {
			back, err := time.Parse(time.RFC3339Nano, got.Format(time.RFC3339Nano))
			if err != nil || !back.Equal(got) {
				t.Errorf("%q gave %v, which does not round-trip through RFC 3339: %v, %v", s, got, back, err)
			}
		}
	})
}

func FuzzParseRange(f *testing.F) {
	f.Add("2026-03-01", "2026-03-04")
	f.Add("7d", "")
	f.Fuzz(func(t *testing.T, from, to string) {
		r, err := query.ParseRange(from, to, parseNow)
		if err != nil {
			checkOneLine(t, err)
			if !strings.HasPrefix(err.Error(), "--from ") && !strings.HasPrefix(err.Error(), "--to ") {
				t.Errorf("error does not start with a flag name: %v", err)
			}
			return
		}
		if !r.From.IsZero() && !r.To.IsZero() && r.From.After(r.To) {
			t.Errorf("ParseRange(%q, %q) = %+v, From after To", from, to, r)
		}
		if !r.From.IsZero() && !r.Contains(r.From) || !r.To.IsZero() && !r.Contains(r.To) {
			t.Errorf("ParseRange(%q, %q) = %+v does not contain its own bounds", from, to, r)
		}
	})
}

// idParsers are the ID parsers of the query filters with the patterns of
// the IDs they take, written as regular expressions to check the parsers
// independently (see ids_test.go).
var idParsers = map[string]idParser{}

// fuzzID checks the ID parser named name against its regular expression.
func fuzzID(f *testing.F, name string, seeds ...string) {
	p := idParsers[name]
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := p.parse(s)
		trimmed := strings.TrimSpace(s)
		want := p.pattern.MatchString(trimmed) && len(trimmed) <= p.maxLen
		if want != (err == nil) {
			t.Fatalf("%s(%q) = %q, %v; pattern match %v", name, s, got, err, want)
		}
		if err != nil {
			checkOneLine(t, err)
		} else if got != trimmed {
			t.Errorf("%s(%q) = %q, want %q", name, s, got, trimmed)
		}
	})
}

// TestParseTimeBoundIn reads the forms with no zone in Europe/Berlin, on
// the last day of March 2026, two days after the clocks went forward.
func TestParseTimeBoundIn(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC) // 14:00 CEST
	tests := []struct {
		in   string
		end  bool
		want string // RFC 3339 in UTC
	}{
		{in: "2026-10-03", want: "2026-10-02T22:00:00Z"},
		{in: "2026-10-03", end: true, want: "2026-10-03T21:59:59.999999999Z"},
		{in: "2026-03-29", end: true, want: "2026-03-29T21:59:59.999999999Z"}, // a day of 23 hours
		{in: "2026-03-29", want: "2026-03-28T23:00:00Z"},
		{in: "2026-10", want: "2026-09-30T22:00:00Z"},
		{in: "2026-10", end: true, want: "2026-10-31T22:59:59.999999999Z"}, // back to CET on the 25th
		{in: "today", want: "2026-03-30T22:00:00Z"},
		{in: "yesterday", end: true, want: "2026-03-30T21:59:59.999999999Z"},
		{in: "2026-10-01T09:00", want: "2026-10-01T07:00:00Z"},
		{in: "2026-10-01 09:00:30", want: "2026-10-01T07:00:30Z"},
		{in: "2026-10-01T09:00Z", want: "2026-10-01T09:00:00Z"},         // a zone given wins
		{in: "2026-10-01T09:00:00+01:00", want: "2026-10-01T08:00:00Z"}, // so does an offset
		{in: "1h", want: "2026-03-31T11:00:00Z"},
		{in: "1y", want: "2025-03-31T12:00:00Z"},  // 14:00 CEST a year before
		{in: "1mo", want: "2026-03-03T13:00:00Z"}, // February 31 is March 3, in CET
		{in: "2w", want: "2026-03-17T12:00:00Z"},  // weeks are 14 times 24h
	}
	for _, tt := range tests {
		got, err := query.ParseTimeBoundIn(tt.in, now, tt.end, berlin)
		if err != nil {
			t.Errorf("ParseTimeBoundIn(%q, end=%v): %v", tt.in, tt.end, err)
			continue
		}
		if got.Location() != time.UTC {
			t.Errorf("ParseTimeBoundIn(%q) location = %v, want UTC", tt.in, got.Location())
		}
		if s := got.Format(time.RFC3339Nano); s != tt.want {
			t.Errorf("ParseTimeBoundIn(%q, end=%v) in Berlin = %s, want %s", tt.in, tt.end, s, tt.want)
		}
	}
	// Where the clocks skip midnight, a day starts at 01:00 and ends at
	// the next midnight; today is the day in the zone, not in UTC.
	for _, tt := range []struct {
		zone, in string
		now      time.Time
		end      bool
		want     string
	}{
		{zone: "Africa/Cairo", in: "2024-04-26", want: "2024-04-25T22:00:00Z"}, // 01:00 EEST
		{zone: "Africa/Cairo", in: "2024-04-26", end: true, want: "2024-04-26T20:59:59.999999999Z"},
		{zone: "America/Sao_Paulo", in: "2018-11-04", want: "2018-11-04T03:00:00Z"}, // 01:00 -02
		{zone: "America/Sao_Paulo", in: "2018-11-03", end: true, want: "2018-11-04T02:59:59.999999999Z"},
		{zone: "America/Sao_Paulo", in: "2018-11", end: true, want: "2018-12-01T01:59:59.999999999Z"},
		{zone: "Europe/Berlin", in: "today", now: time.Date(2026, 10, 3, 23, 30, 0, 0, time.UTC), want: "2026-10-03T22:00:00Z"},
		{zone: "America/Santiago", in: "yesterday", now: time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), end: true, want: "2026-02-28T02:59:59.999999999Z"}, // Feb 28 23:00 there: yesterday is the 27th
	} {
		loc, err := time.LoadLocation(tt.zone)
		if err != nil {
			t.Fatal(err)
		}
		at := tt.now
		if at.IsZero() {
			at = now
		}
		got, err := query.ParseTimeBoundIn(tt.in, at, tt.end, loc)
		if err != nil || got.Format(time.RFC3339Nano) != tt.want {
			t.Errorf("ParseTimeBoundIn(%q, end=%v) in %s = %s, %v; want %s", tt.in, tt.end, tt.zone, got.Format(time.RFC3339Nano), err, tt.want)
		}
	}
	// nil is UTC.
	if got, err := query.ParseTimeBoundIn("2026-10-03", now, false, nil); err != nil || !got.Equal(time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseTimeBoundIn with no zone = %v, %v; want 2026-10-03 UTC", got, err)
	}
}

func TestParseRangeIn(t *testing.T) {
	_, err := query.ParseRangeIn("--captured-from", "--captured-to", "2026-03-02", "2026-03-01", parseNow, time.UTC)
	want := `--captured-from "2026-03-02" (2026-03-02T00:00:00Z) is after --captured-to "2026-03-01" (2026-03-01T23:59:59.999999999Z)`
	if err == nil || err.Error() != want {
		t.Errorf("reversed range: %v, want %s", err, want)
	}
	_, err = query.ParseRangeIn("--deleted-from", "--deleted-to", "", "soon", parseNow, time.UTC)
	if want := `--deleted-to "soon": ` + timeForms; err == nil || err.Error() != want {
		t.Errorf("bad bound: %v, want %s", err, want)
	}
}

func TestParseZone(t *testing.T) {
	for _, tt := range []struct {
		in, want string // want is the zone's name, or "" for an error
	}{
		{"Europe/Berlin", "Europe/Berlin"},
		{" America/New_York ", "America/New_York"},
		{"UTC", "UTC"},
		{"utc", "UTC"},
		{"Local", "Local"},
		{"", ""},
		{"Mars/Olympus_Mons", ""},
		{"../../etc/passwd", ""},
		{"/etc/localtime", ""},
		{"Europe/Berlin\n", "Europe/Berlin"},
		{"Europe/ Berlin", ""},
	} {
		loc, err := query.ParseZone(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("ParseZone(%q) = %v, want an error", tt.in, loc)
		case tt.want == "":
			checkOneLine(t, err)
			if want := strings.TrimSpace(tt.in); !strings.HasPrefix(err.Error(), `"`+want+`": not a time zone`) {
				t.Errorf("ParseZone(%q) error %q does not start with the quoted input", tt.in, err)
			}
		case err != nil || loc.String() != tt.want:
			t.Errorf("ParseZone(%q) = %v, %v; want %s", tt.in, loc, err, tt.want)
		}
	}
}

func FuzzParseZone(f *testing.F) {
	for _, s := range []string{"Europe/Berlin", "UTC", "Local", "../x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		loc, err := query.ParseZone(s)
		if err != nil {
			checkOneLine(t, err)
			if !strings.HasPrefix(err.Error(), strconv.Quote(strings.TrimSpace(s))+": ") {
				t.Errorf("error %q does not start with the quoted input", err)
			}
			return
		}
		if loc == nil {
			t.Fatalf("ParseZone(%q) = nil, nil", s)
		}
	})
}
