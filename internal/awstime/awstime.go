// Package awstime parses the timestamps AWS services send, leniently.
//
// DRS sends ISO 8601 strings, with or without fractional seconds, with "Z" or
// a numeric offset such as "+00:00", and now and then without any zone (read
// as UTC). Snowball and SMS send epoch seconds, possibly with a fraction.
package awstime

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrEmpty is returned for an empty timestamp.
var ErrEmpty = errors.New("empty timestamp")

var layouts = []string{
	time.RFC3339Nano, // 2006-01-02T15:04:05.999999999Z07:00, also without fraction
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02",
}

// Parse reads an ISO 8601 timestamp as DRS writes it. The result is in UTC.
func Parse(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, ErrEmpty
	}
	// "z" is as good as "Z".
	if strings.HasSuffix(s, "z") {
		s = s[:len(s)-1] + "Z"
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			t = t.UTC()
			if y := t.Year(); y < 0 || y > 9999 {
				return time.Time{}, fmt.Errorf("timestamp %q is outside years 0 to 9999 in UTC", s)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not an ISO 8601 timestamp: %q", s)
}

// ParseEpoch reads epoch seconds with an optional fraction, as JSON 1.1
// services send them (e.g. 1480475524.335). The result is in UTC.
func ParseEpoch(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, ErrEmpty
	}
	whole, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || !allDigits(frac) {
		// Exponent forms such as 1.48e9 are valid JSON numbers too.
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e11 {
			return time.Time{}, fmt.Errorf("not epoch seconds: %q", s)
		}
		return time.Unix(0, int64(math.Round(f*1e6))*1e3).UTC(), nil
	}
	if sec > 1e11 || sec < -1e11 {
		return time.Time{}, fmt.Errorf("epoch seconds out of range: %q", s)
	}
	var ns int64
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		ns, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		if strings.HasPrefix(whole, "-") {
			ns = -ns
		}
	}
	return time.Unix(sec, ns).UTC(), nil
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ParseDuration reads an ISO 8601 duration as DRS writes lag and elapsed
// times, such as "PT2M", "PT0.5S" or "P12DT3H4M5S". Weeks count as 7 days;
// years and months, which DRS does not use, count as 365 and 30 days.
func ParseDuration(s string) (time.Duration, error) {
	orig := s
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return 0, ErrEmpty
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if !strings.HasPrefix(s, "P") || len(s) == 1 {
		return 0, fmt.Errorf("not an ISO 8601 duration: %q", orig)
	}
	s = s[1:]
	var total float64
	inTime, seen := false, false
	for s != "" {
		if s[0] == 'T' {
			if inTime || len(s) == 1 {
				return 0, fmt.Errorf("not an ISO 8601 duration: %q", orig)
			}
			inTime = true
			s = s[1:]
			continue
		}
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == ',') {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, fmt.Errorf("not an ISO 8601 duration: %q", orig)
		}
		n, err := strconv.ParseFloat(strings.Replace(s[:i], ",", ".", 1), 64)
		if err != nil {
			return 0, fmt.Errorf("not an ISO 8601 duration: %q", orig)
		}
		var unit float64
		switch c := s[i]; {
		case !inTime && c == 'Y':
			unit = 365 * 86400
		case !inTime && c == 'M':
			unit = 30 * 86400
		case !inTime && c == 'W':
			unit = 7 * 86400
		case !inTime && c == 'D':
			unit = 86400
		case inTime && c == 'H':
			unit = 3600
		case inTime && c == 'M':
			unit = 60
		case inTime && c == 'S':
			unit = 1
		default:
			return 0, fmt.Errorf("not an ISO 8601 duration: %q", orig)
		}
		total += n * unit
		seen = true
		s = s[i+1:]
	}
	if !seen || total > float64(math.MaxInt64/int64(time.Second)) {
		return 0, fmt.Errorf("not an ISO 8601 duration: %q", orig)
	}
	d := time.Duration(math.Round(total * float64(time.Second)))
	if neg {
		d = -d
	}
	return d, nil
}
