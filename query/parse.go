package query

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/archiver-dev/archiver/internal/awsid"
)

// Errors from the parsers below are one line and start with the quoted
// input, trimmed, so that a caller can put the flag name in front:
// `--from "soon": want RFC 3339 (...), a date (...) or an age (...)`.

// Reasons a time bound is refused; each follows the quoted input.
var (
	errTimeForm  = errors.New("want RFC 3339 (2026-03-04T10:00:00Z), a local time (2026-03-04T10:00), a date (2026-03-04), a month (2026-03), today, yesterday or an age (90m, 36h, 7d, 2w, 3mo, 1y)")
	errNoSuchDay = errors.New("no such date or time")
	errAgeZero   = errors.New("each age term must be above zero (36h, 7d, 1d12h)")
	errAgeLong   = errors.New("age too long (at most 106751d, 120000mo or 10000y)")
	errYear      = errors.New("year outside 0..9999 in UTC")
	errZeroBound = errors.New("0001-01-01T00:00:00Z is the zero time, which means no bound")
)

const (
	dateLayout  = "2006-01-02"
	monthLayout = "2006-01"
	localLayout = "2006-01-02T15:04:05"
	day         = 24 * time.Hour
)

// ageUnits maps the unit letters of an age to their length. m is minutes;
// months (mo) and years (y), whose length varies, are counted on the
// calendar instead (see calendarUnits).
var ageUnits = map[byte]time.Duration{
	's': time.Second,
	'm': time.Minute,
	'h': time.Hour,
	'd': day,
	'w': 7 * day,
}

// Calendar units of an age, and the largest count of each.
const (
	maxAgeMonths = 120000
	maxAgeYears  = 10000
)

// ParseTimeBound reads one end of a time range as ParseTimeBoundIn does,
// reading dates and times without a zone in UTC.
func ParseTimeBound(s string, now time.Time, end bool) (time.Time, error) {
	return ParseTimeBoundIn(s, now, end, time.UTC)
}

// ParseTimeBoundIn reads one end of a time range, as given to --from or
// --to. Surrounding spaces are ignored. loc (nil: UTC) is the zone of the
// forms that name none. It accepts:
//   - RFC 3339, with or without fractional seconds, with Z or a numeric
//     offset: 2026-03-04T10:11:12Z, 2026-03-04T10:11:12.5+02:00; the
//     seconds may be left out (2026-03-04T10:11Z);
//   - a local time, with no zone, read in loc: 2026-03-04T10:11,
//     2026-03-04T10:11:12, 2026-03-04T10:11:12.5; a space may stand for
//     the T (2026-03-04 10:11). Like RFC 3339, it names that instant;
//   - a date, 2026-03-04: the start of that day in loc, or its last
//     nanosecond when end is true, so that a date names the whole day at
//     either end of a range;
//   - a month, 2026-03: its first instant in loc, or its last when end is
//     true;
//   - today and yesterday: that day in loc, as a date;
//   - now;
//   - an age, now minus that long: positive whole numbers each followed by a
//     unit s, m (minutes), h, d (24h), w (7d), mo (calendar months) or y
//     (calendar years), run together: 90s, 36h, 7d, 1d12h, 3mo, 1y6mo.
//     Months and years are taken off the date in loc, as time.AddDate does
//     (normalizing: 1mo before March 31 is March 3 or 2), then the rest.
//
// The result is in UTC, and its year is within 0..9999 so that it always
// formats as RFC 3339. Errors start with the quoted input.
func ParseTimeBoundIn(s string, now time.Time, end bool, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	s = strings.TrimSpace(s)
	t, err := parseTimeBound(s, now.In(loc), end, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: %w", s, err)
	}
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return time.Time{}, fmt.Errorf("%q: %w", s, errYear)
	}
	return t, nil
}

func parseTimeBound(s string, now time.Time, end bool, loc *time.Location) (time.Time, error) {
	switch {
	case s == "now":
		return now, nil
	case s == "today" || s == "yesterday":
		y, m, d := now.In(loc).Date()
		if s == "yesterday" {
			d--
		}
		return span(y, m, d, 0, 1, end, loc), nil
	case isAge(s):
		years, months, d, err := parseAge(s)
		if err != nil {
			return time.Time{}, err
		}
		return now.AddDate(-years, -months, 0).Add(-d), nil
	case shaped(s, "dddd-dd"):
		t, err := time.Parse(monthLayout, s)
		if err != nil {
			return time.Time{}, errNoSuchDay
		}
		return span(t.Year(), t.Month(), 1, 1, 0, end, loc), nil
	case shaped(s, "dddd-dd-dd"):
		t, err := time.Parse(dateLayout, s)
		if err != nil {
			return time.Time{}, errNoSuchDay
		}
		return span(t.Year(), t.Month(), t.Day(), 0, 1, end, loc), nil
	}
	norm, zone, ok := timestampForm(s)
	if !ok {
		return time.Time{}, errTimeForm
	}
	var t time.Time
	var err error
	if zone {
		t, err = time.Parse(time.RFC3339Nano, norm)
	} else {
		t, err = time.ParseInLocation(localLayout, norm, loc)
	}
	if err != nil {
		return time.Time{}, errNoSuchDay
	}
	return t, nil
}

// span returns the first instant of the day y-m-d in loc, or when end is
// true the last nanosecond before the day months and days later begins:
// the end of the day or month. Counting on the calendar keeps days of 23
// or 25 hours right, and so does dayStart where a day starts at 01:00.
func span(y int, m time.Month, d, months, days int, end bool, loc *time.Location) time.Time {
	if !end {
		return dayStart(y, m, d, loc)
	}
	return dayStart(y, m+time.Month(months), d+days, loc).Add(-time.Nanosecond)
}

// dayStart returns the first instant of the day y-m-d in loc (out-of-range
// months and days are normalized, as time.Date does). Where a clock change
// skips midnight, the day starts when the new offset does, not at a
// midnight time.Date places on the day before.
func dayStart(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	wy, wm, wd := time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Date()
	if ty, tm, td := t.Date(); ty == wy && tm == wm && td == wd {
		return t
	}
	if _, next := t.ZoneBounds(); !next.IsZero() {
		return next
	}
	return t
}

// isAge reports whether s is made of digits and unit letters only, starting
// with a digit; parseAge decides whether they are in a valid order.
func isAge(s string) bool {
	if s == "" || !isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if _, ok := ageUnits[s[i]]; !ok && !isDigit(s[i]) && s[i] != 'o' && s[i] != 'y' {
			return false
		}
	}
	return true
}

// parseAge sums the terms of an age such as 1d12h or 1y6mo: calendar years
// and months apart, the rest as a duration. Arithmetic is checked:
// time.Duration would wrap silently.
func parseAge(s string) (years, months int, total time.Duration, err error) {
	for s != "" {
		i := 0
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, 0, 0, errTimeForm // a unit without a number, or a number without a unit
		}
		var n int64
		for _, c := range []byte(s[:i]) {
			if n > (math.MaxInt64-9)/10 {
				return 0, 0, 0, errAgeLong
			}
			n = n*10 + int64(c-'0')
		}
		unitLen := 1
		switch {
		case strings.HasPrefix(s[i:], "mo"):
			unitLen = 2
			if n > maxAgeMonths || int64(months)+n > maxAgeMonths {
				return 0, 0, 0, errAgeLong
			}
			months += int(n)
		case s[i] == 'y':
			if n > maxAgeYears || int64(years)+n > maxAgeYears {
				return 0, 0, 0, errAgeLong
			}
			years += int(n)
		default:
			unit, ok := ageUnits[s[i]]
			if !ok {
				return 0, 0, 0, errTimeForm // a lone o
			}
			if n > math.MaxInt64/int64(unit) {
				return 0, 0, 0, errAgeLong
			}
			d := time.Duration(n) * unit
			if total > math.MaxInt64-d {
				return 0, 0, 0, errAgeLong
			}
			total += d
		}
		if n == 0 {
			return 0, 0, 0, errAgeZero
		}
		s = s[i+unitLen:]
	}
	return years, months, total, nil
}

// timestampForm checks that s has the shape of an RFC 3339 timestamp, or of
// one with no zone, with T or a space between date and time and with the
// seconds optional, leaving the ranges of the fields to time.Parse. It
// returns s with T and seconds filled in, and whether it names a zone. It
// is stricter than time.Parse, which also takes a comma before the fraction
// and offsets such as +24:00.
func timestampForm(s string) (norm string, zone, ok bool) {
	if len(s) < len("2006-01-02T15:04") || !shaped(s[:10], "dddd-dd-dd") || (s[10] != 'T' && s[10] != ' ') || !shaped(s[11:16], "dd:dd") {
		return "", false, false
	}
	b := []byte(s[:10] + "T" + s[11:16])
	rest := s[16:]
	if len(rest) >= 3 && shaped(rest[:3], ":dd") {
		b = append(b, rest[:3]...)
		rest = rest[3:]
		if rest != "" && rest[0] == '.' {
			n := 1
			for n < len(rest) && isDigit(rest[n]) {
				n++
			}
			if n == 1 {
				return "", false, false
			}
			b = append(b, rest[:n]...)
			rest = rest[n:]
		}
	} else {
		b = append(b, ":00"...)
	}
	switch {
	case rest == "":
		return string(b), false, true
	case rest == "Z":
	case len(rest) == len("+07:00") && (rest[0] == '+' || rest[0] == '-') && shaped(rest[1:], "dd:dd") &&
		rest[1:3] <= "23" && rest[4:6] <= "59":
	default:
		return "", false, false
	}
	return string(b) + rest, true, true
}

// shaped reports whether s matches pattern, where d in pattern stands for
// an ASCII digit and any other byte for itself.
func shaped(s, pattern string) bool {
	if len(s) != len(pattern) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if pattern[i] == 'd' {
			if !isDigit(s[i]) {
				return false
			}
		} else if s[i] != pattern[i] {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// Range is a span of time, inclusive at both ends. A zero From or To leaves
// that side unbounded.
type Range struct {
	From, To time.Time
}

// ParseRange reads the values of --from and --to as ParseRangeIn does, in
// UTC.
func ParseRange(from, to string, now time.Time) (Range, error) {
	return ParseRangeIn("--from", "--to", from, to, now, time.UTC)
}

// ParseRangeIn reads the values of a pair of range flags, such as --from
// and --to, reading the forms with no zone in loc (nil: UTC). An empty or
// blank value leaves its side unbounded. From takes the start of a bare
// date or month and To its end, so --from 2026-03-04 --to 2026-03-04 covers
// that whole day. Errors start with the flag name. The zero instant
// 0001-01-01T00:00:00Z is refused as a bound, since a zero bound means
// none.
func ParseRangeIn(fromFlag, toFlag, from, to string, now time.Time, loc *time.Location) (Range, error) {
	var r Range
	var err error
	if r.From, err = parseRangeBound(fromFlag, from, now, false, loc); err != nil {
		return Range{}, err
	}
	if r.To, err = parseRangeBound(toFlag, to, now, true, loc); err != nil {
		return Range{}, err
	}
	if !r.From.IsZero() && !r.To.IsZero() && r.From.After(r.To) {
		return Range{}, fmt.Errorf("%s %q (%s) is after %s %q (%s)",
			fromFlag, strings.TrimSpace(from), r.From.Format(time.RFC3339Nano),
			toFlag, strings.TrimSpace(to), r.To.Format(time.RFC3339Nano))
	}
	return r, nil
}

func parseRangeBound(flag, s string, now time.Time, end bool, loc *time.Location) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	t, err := ParseTimeBoundIn(s, now, end, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %w", flag, err)
	}
	if t.IsZero() {
		return time.Time{}, fmt.Errorf("%s %q: %w", flag, strings.TrimSpace(s), errZeroBound)
	}
	return t, nil
}

// IsZero reports whether r bounds neither side.
func (r Range) IsZero() bool { return r.From.IsZero() && r.To.IsZero() }

// ParseZone reads a time zone, as given to --tz: an IANA name such as
// Europe/Berlin, UTC, or Local (the system's zone). Errors start with the
// quoted input.
func ParseZone(s string) (*time.Location, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.EqualFold(s, "UTC") || strings.EqualFold(s, "Z"):
		return time.UTC, nil
	case strings.EqualFold(s, "Local"):
		return time.Local, nil
	}
	var loc *time.Location
	var err error
	if s != "" && len(s) <= 64 && !strings.ContainsAny(s, "\\\x00\r\n\t ") {
		loc, err = time.LoadLocation(s)
	}
	if loc == nil || err != nil {
		return nil, fmt.Errorf("%q: not a time zone (want an IANA name such as Europe/Berlin, UTC or Local)", s)
	}
	return loc, nil
}

// Contains reports whether t lies within r, ends included.
func (r Range) Contains(t time.Time) bool {
	return (r.From.IsZero() || !t.Before(r.From)) && (r.To.IsZero() || !t.After(r.To))
}

// The ID and region parsers of the query filters are those of package
// awsid, which sync and import share.

// ParseSourceServerID is awsid.ParseSourceServerID: a DRS source server ID.
func ParseSourceServerID(s string) (string, error) { return awsid.ParseSourceServerID(s) }

// ParseAccount is awsid.ParseAccount: an AWS account ID.
func ParseAccount(s string) (string, error) { return awsid.ParseAccount(s) }

// ParseRegion is awsid.ParseRegion: the shape of an AWS region name.
func ParseRegion(s string) (string, error) { return awsid.ParseRegion(s) }

// ParseSnowballJobID is awsid.ParseSnowballJobID: a Snowball job ID.
func ParseSnowballJobID(s string) (string, error) { return awsid.ParseSnowballJobID(s) }

// ParseSMSJobID is awsid.ParseSMSJobID: an SMS replication job ID.
func ParseSMSJobID(s string) (string, error) { return awsid.ParseSMSJobID(s) }

// ParseRecoverySnapshotID is awsid.ParseRecoverySnapshotID: a DRS recovery
// snapshot ID.
func ParseRecoverySnapshotID(s string) (string, error) { return awsid.ParseRecoverySnapshotID(s) }
