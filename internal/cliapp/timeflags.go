package cliapp

import (
	"fmt"
	"os"
	"strings"
	"time"

	// Zone names such as Europe/Berlin resolve on systems with no zone
	// database too.
	_ "time/tzdata"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/query"
)

// TimeForms is how the help names the forms every time flag takes.
const TimeForms = "RFC 3339, a local time (2026-10-01T09:00, in --tz), a date or month (2026-10-01, 2026-10), today, yesterday, or an age such as 90m, 7d, 2w, 3mo, 1y"

// TZFlag is --tz, shared by the commands that read or print times.
func TZFlag() cli.Flag {
	return &cli.StringFlag{Name: "tz", Usage: "time zone of times given without one (dates, months, today, local times) and of printed times: an IANA name such as Europe/Berlin, UTC or Local (default: $TZ when set, else UTC)"}
}

// ZoneOf returns the zone --tz names, or else the one the TZ environment
// variable names, or else UTC.
func ZoneOf(c *cli.Context) (*time.Location, error) {
	if c.IsSet("tz") {
		loc, err := query.ParseZone(c.String("tz"))
		if err != nil {
			return nil, fmt.Errorf("--tz %w", err)
		}
		return loc, nil
	}
	tz := strings.TrimPrefix(strings.TrimSpace(os.Getenv("TZ")), ":")
	switch {
	case tz == "":
		return time.UTC, nil
	case strings.HasPrefix(tz, "/"):
		return time.Local, nil // a zone file, which Go read into Local
	}
	loc, err := query.ParseZone(tz)
	if err != nil {
		return nil, fmt.Errorf("TZ (environment) %w; give --tz to override it", err)
	}
	return loc, nil
}

// timeFilterNames are the time filters, in the order of a fingerprint.
var timeFilterNames = []string{"captured-from", "captured-to", "deleted-from", "deleted-to"}

// ParseTimeFilters reads --tz and the ranges of --from/--to,
// --captured-from/--captured-to and --deleted-from/--deleted-to into f.
func ParseTimeFilters(c *cli.Context, now time.Time, f *query.Filters) error {
	loc := time.UTC
	if anyTimeFlag(c) {
		var err error
		if loc, err = ZoneOf(c); err != nil {
			return err
		}
	}
	var err error
	toFlag := "--to"
	if c.IsSet("until") {
		toFlag = "--until" // export to S3, where --to names the destination
	}
	if f.Range, err = query.ParseRangeIn("--from", toFlag, c.String("from"), c.String("to"), now, loc); err != nil {
		return err
	}
	if f.Captured, err = query.ParseRangeIn("--captured-from", "--captured-to", c.String("captured-from"), c.String("captured-to"), now, loc); err != nil {
		return err
	}
	f.DeletedRange, err = query.ParseRangeIn("--deleted-from", "--deleted-to", c.String("deleted-from"), c.String("deleted-to"), now, loc)
	return err
}

// anyTimeFlag reports whether a time filter is given: only then is the
// zone read (a TZ archiver cannot read is refused when it would count, not
// on every command).
func anyTimeFlag(c *cli.Context) bool {
	for _, name := range append([]string{"from", "to", "until"}, timeFilterNames...) {
		if strings.TrimSpace(c.String(name)) != "" {
			return true
		}
	}
	return false
}

// timeFilterParts lists the capture and deletion filters given, as
// name=value, and the zone they and --from/--to are read in when any time
// filter is given and the zone is not UTC: the same words mean other
// instants in another zone.
func timeFilterParts(c *cli.Context) []string {
	var parts []string
	for _, name := range timeFilterNames {
		if v := strings.TrimSpace(c.String(name)); v != "" {
			parts = append(parts, name+"="+v)
		}
	}
	timed := len(parts) > 0 || strings.TrimSpace(c.String("from")) != "" || strings.TrimSpace(c.String("to")) != ""
	if loc, err := ZoneOf(c); timed && err == nil && loc != time.UTC {
		parts = append(parts, "tz="+loc.String())
	}
	return parts
}
