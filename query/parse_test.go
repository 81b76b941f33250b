package query_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/query"
)

// parseNow is the fixed present of the tests: ages count back from it.
var parseNow = time.Date(2026, 3, 4, 10, 11, 12, 0, time.UTC)

const timeForms = `want RFC 3339 (2026-03-04T10:00:00Z), a date (2026-03-04) or an age (36h, 7d)`

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

		{name: "empty", in: "", wantErr: `"": ` + timeForms},
		{name: "word", in: "yesterday", wantErr: `"yesterday": ` + timeForms},
		{name: "age without unit", in: "36", wantErr: `"36": ` + timeForms},
		{name: "unit without number", in: "1dh", wantErr: `"1dh": ` + timeForms},
		{name: "unknown unit", in: "3y", wantErr: `"3y": ` + timeForms},
		{name: "upper-case unit", in: "7D", wantErr: `"7D": ` + timeForms},
		{name: "signed age", in: "-7d", wantErr: `"-7d": ` + timeForms},
		{name: "fractional age", in: "1.5h", wantErr: `"1.5h": ` + timeForms},
		{name: "spaced age", in: "1d 12h", wantErr: `"1d 12h": ` + timeForms},
		{name: "zero age", in: "0d", wantErr: `"0d": each age term must be above zero (36h, 7d, 1d12h)`},
		{name: "zero term", in: "1d0h", wantErr: `"1d0h": each age term must be above zero (36h, 7d, 1d12h)`},
		{name: "overflowing number", in: "99999999999999999d", wantErr: `"99999999999999999d": age too long (at most 106751d)`},
		{name: "overflowing digits", in: "99999999999999999999999s", wantErr: `"99999999999999999999999s": age too long (at most 106751d)`},
		{name: "overflowing sum", in: "106751d106751d", wantErr: `"106751d106751d": age too long (at most 106751d)`},
		{name: "not a leap year", in: "2026-02-29", wantErr: `"2026-02-29": no such date or time`},
		{name: "month 13", in: "2026-13-01", wantErr: `"2026-13-01": no such date or time`},
		{name: "hour 24", in: "2026-03-04T24:00:00Z", wantErr: `"2026-03-04T24:00:00Z": no such date or time`},
		{name: "leap second", in: "2026-12-31T23:59:60Z", wantErr: `"2026-12-31T23:59:60Z": no such date or time`},
		{name: "offset hour 24", in: "2026-03-04T10:11:12+24:00", wantErr: `"2026-03-04T10:11:12+24:00": ` + timeForms},
		{name: "offset minute 60", in: "2026-03-04T10:11:12+01:60", wantErr: `"2026-03-04T10:11:12+01:60": ` + timeForms},
		{name: "no zone", in: "2026-03-04T10:11:12", wantErr: `"2026-03-04T10:11:12": ` + timeForms},
		{name: "lower-case z", in: "2026-03-04T10:11:12z", wantErr: `"2026-03-04T10:11:12z": ` + timeForms},
		{name: "space for T", in: "2026-03-04 10:11:12Z", wantErr: `"2026-03-04 10:11:12Z": ` + timeForms},
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
		{name: "bad from", from: "yesterday", to: "1d", wantErr: `--from "yesterday": ` + timeForms},
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

// idParsers are the ID parsers with the patterns the DRS API documents for
// them, written as regular expressions to check the parsers independently.
var idParsers = map[string]struct {
	parse   func(string) (string, error)
	pattern *regexp.Regexp
	maxLen  int
}{
	"ParseJobID":          {query.ParseJobID, regexp.MustCompile(`^drsjob-[0-9a-zA-Z]{17}$`), 24},
	"ParseSourceServerID": {query.ParseSourceServerID, regexp.MustCompile(`^s-[0-9a-zA-Z]{17}$`), 19},
	"ParseInstanceID":     {query.ParseInstanceID, regexp.MustCompile(`^i-[0-9a-fA-F]{8,}$`), 255},
	"ParseAccount":        {query.ParseAccount, regexp.MustCompile(`^[0-9]{12}$`), 12},
	"ParseRegion":         {query.ParseRegion, regexp.MustCompile(`^[a-z]{2,}(-[a-z]+)+-[0-9]+$`), 32},
	"ParseClusterID":      {query.ParseClusterID, regexp.MustCompile(`^CID[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`), 39},
}

func TestParseIDs(t *testing.T) {
	tests := []struct {
		parse   func(string) (string, error)
		in      string
		want    string
		wantErr string
	}{
		{parse: query.ParseJobID, in: "drsjob-0123456789abcdefG", want: "drsjob-0123456789abcdefG"},
		{parse: query.ParseJobID, in: "  drsjob-ABCDEFGHIJKLMNOPQ\n", want: "drsjob-ABCDEFGHIJKLMNOPQ"},
		{parse: query.ParseJobID, in: "drsjob-12", wantErr: `"drsjob-12": not a DRS job ID (want drsjob- and 17 letters or digits)`},
		{parse: query.ParseJobID, in: "drsjob-0123456789abcdefgh", wantErr: `"drsjob-0123456789abcdefgh": not a DRS job ID (want drsjob- and 17 letters or digits)`},
		{parse: query.ParseJobID, in: "drsjob-0123456789abcdef_", wantErr: `"drsjob-0123456789abcdef_": not a DRS job ID (want drsjob- and 17 letters or digits)`},
		{parse: query.ParseJobID, in: "DRSJOB-0123456789abcdefg", wantErr: `"DRSJOB-0123456789abcdefg": not a DRS job ID (want drsjob- and 17 letters or digits)`},
		{parse: query.ParseJobID, in: "s-0123456789abcdefg", wantErr: `"s-0123456789abcdefg": not a DRS job ID (want drsjob- and 17 letters or digits)`},
		{parse: query.ParseJobID, in: "drsjob-0123456789abcdéf", wantErr: `"drsjob-0123456789abcdéf": not a DRS job ID (want drsjob- and 17 letters or digits)`},
		{parse: query.ParseJobID, in: "", wantErr: `"": not a DRS job ID (want drsjob- and 17 letters or digits)`},

		{parse: query.ParseSourceServerID, in: "s-0123456789abcdefG", want: "s-0123456789abcdefG"},
		{parse: query.ParseSourceServerID, in: "s-0123456789abcdef", wantErr: `"s-0123456789abcdef": not a source server ID (want s- and 17 letters or digits)`},
		{parse: query.ParseSourceServerID, in: "s-0123456789abcdefgh", wantErr: `"s-0123456789abcdefgh": not a source server ID (want s- and 17 letters or digits)`},
		{parse: query.ParseSourceServerID, in: "s_0123456789abcdefg", wantErr: `"s_0123456789abcdefg": not a source server ID (want s- and 17 letters or digits)`},
		{parse: query.ParseSourceServerID, in: "s-0123456789abcde-g", wantErr: `"s-0123456789abcde-g": not a source server ID (want s- and 17 letters or digits)`},
		{parse: query.ParseSourceServerID, in: "s-0123456789abc\ndefg", wantErr: `"s-0123456789abc\ndefg": not a source server ID (want s- and 17 letters or digits)`},

		{parse: query.ParseInstanceID, in: "i-0123abcd", want: "i-0123abcd"},
		{parse: query.ParseInstanceID, in: "i-0123456789ABCDEF0", want: "i-0123456789ABCDEF0"},
		{parse: query.ParseInstanceID, in: " i-" + strings.Repeat("f", 253) + " ", want: "i-" + strings.Repeat("f", 253)},
		{parse: query.ParseInstanceID, in: "i-" + strings.Repeat("f", 254), wantErr: `"i-` + strings.Repeat("f", 254) + `": not an EC2 instance ID (want i- and 8 or more hex digits)`},
		{parse: query.ParseInstanceID, in: "i-0123abc", wantErr: `"i-0123abc": not an EC2 instance ID (want i- and 8 or more hex digits)`},
		{parse: query.ParseInstanceID, in: "i-0123abcg", wantErr: `"i-0123abcg": not an EC2 instance ID (want i- and 8 or more hex digits)`},
		{parse: query.ParseInstanceID, in: "I-0123abcd", wantErr: `"I-0123abcd": not an EC2 instance ID (want i- and 8 or more hex digits)`},
		{parse: query.ParseInstanceID, in: "i-", wantErr: `"i-": not an EC2 instance ID (want i- and 8 or more hex digits)`},

		{parse: query.ParseAccount, in: " 123456789012 ", want: "123456789012"},
		{parse: query.ParseAccount, in: "12345678901", wantErr: `"12345678901": not an AWS account ID (want 12 digits)`},
		{parse: query.ParseAccount, in: "12345678901a", wantErr: `"12345678901a": not an AWS account ID (want 12 digits)`},

		{parse: query.ParseRegion, in: "us-east-1", want: "us-east-1"},
		{parse: query.ParseRegion, in: "us-gov-west-1", want: "us-gov-west-1"},
		{parse: query.ParseRegion, in: "US-EAST-1", wantErr: `"US-EAST-1": not an AWS region (want a name such as us-east-1)`},
		{parse: query.ParseRegion, in: "us-east", wantErr: `"us-east": not an AWS region (want a name such as us-east-1)`},
		{parse: query.ParseRegion, in: "us--1", wantErr: `"us--1": not an AWS region (want a name such as us-east-1)`},

		{parse: query.ParseClusterID, in: "CID123e4567-e89b-12d3-a456-426655440000", want: "CID123e4567-e89b-12d3-a456-426655440000"},
		{parse: query.ParseClusterID, in: "JID123e4567-e89b-12d3-a456-426655440000", wantErr: `"JID123e4567-e89b-12d3-a456-426655440000": not a Snowball cluster ID (want CID and a UUID, such as CID123e4567-e89b-12d3-a456-426655440000)`},
		{parse: query.ParseClusterID, in: "CID123e4567e89b-12d3-a456-4266554400000", wantErr: `"CID123e4567e89b-12d3-a456-4266554400000": not a Snowball cluster ID (want CID and a UUID, such as CID123e4567-e89b-12d3-a456-426655440000)`},
	}
	for _, tt := range tests {
		got, err := tt.parse(tt.in)
		if tt.wantErr != "" {
			if err == nil {
				t.Errorf("parse(%q) = %q, want error %q", tt.in, got, tt.wantErr)
				continue
			}
			checkOneLine(t, err)
			if err.Error() != tt.wantErr {
				t.Errorf("parse(%q) error\n got %s\nwant %s", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parse(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseTimeBound(f *testing.F) {
	for _, s := range []string{"2026-03-04T10:11:12Z", "2026-03-04", "1d12h", "yesterday"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
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

func FuzzParseJobID(f *testing.F) {
	fuzzID(f, "ParseJobID", "drsjob-0123456789abcdefG", "drsjob-12")
}

func FuzzParseSourceServerID(f *testing.F) {
	fuzzID(f, "ParseSourceServerID", "s-0123456789abcdefG", "s-12")
}

func FuzzParseInstanceID(f *testing.F) {
	fuzzID(f, "ParseInstanceID", "i-0123abcd", "i-0123abcg")
}

func FuzzParseAccount(f *testing.F) {
	fuzzID(f, "ParseAccount", "123456789012", "1234567890123")
}

func FuzzParseRegion(f *testing.F) {
	fuzzID(f, "ParseRegion", "us-east-1", "us-gov-west-1", "us-east", "eu-west-01x")
}

func FuzzParseClusterID(f *testing.F) {
	fuzzID(f, "ParseClusterID", "CID123e4567-e89b-12d3-a456-426655440000", "CID123e4567-e89b-12d3-a456-42665544000")
}
