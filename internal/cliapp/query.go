package cliapp

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/query"
)

// Search is the full-text side of the query and export commands, which
// only archiver-full has: the executable without it answers the queries
// the archive answers alone and returns ErrNeedsFull for the others.
type Search struct {
	// CheckText checks a --text query.
	CheckText func(string) error
	// Open opens the index for a query (query.Options.OpenSearch).
	Open func(f query.Filters, dir string, say func(string)) (query.Searcher, func() error, error)
}

// ErrNeedsFull is returned, before anything is printed, by the query
// command of an executable without a Search for a query whose filters
// take the full-text index: archiver-full answers it.
var ErrNeedsFull = errors.New("this query takes the full-text index, which archiver-full searches")

// QueryCommand is 'archiver query'; s is nil in an executable without the
// full-text index.
func QueryCommand(s *Search) *cli.Command {
	return &cli.Command{
		Name:      "query",
		Usage:     "answer questions from the archive, offline",
		UsageText: "archiver [--archive DIR] query [filters] [--output table|json|jsonl|csv] [--wide] [--max-items N [--starting-token T]]",
		Description: `Lists the archived records that match every filter given, oldest first:
every kind archiver keeps (see --kind). It reads the archive and its
full-text index only: no network, no credentials. It can run while a sync
runs, and answers from everything that sync has committed.

FILTERS (combined with AND; a repeated flag matches any of its values):
   --from, --to       record time, inclusive. The record time of each kind:
` + KindTimes(24) + `
                      (the capture time, when a sync or import first saw
                      that state, also where AWS gave none). So --from 7d
                      finds Snowball jobs created, and SMS jobs first
                      seeded, in the last week, not the jobs that changed:
                      --captured-from finds those.
   --captured-from, --captured-to
                      when archiver first saw the record (its firstSeen).
                      Source servers, staging accounts, recovery instances,
                      Snowball and SMS jobs keep a record per state, so
                      this is when that state was captured: "what changed
                      last week" is --captured-from 1w. A DRS job is one
                      record updated in place: its firstSeen is when
                      archiver first saw the job. Log items and recovery
                      snapshots never change.
   --deleted-from, --deleted-to
                      only the latest records of objects deleted upstream
                      (as --deleted), whose deletion a sync noticed in this
                      range (deletedUpstreamAt)
   --tz ZONE          the zone of dates, months, today, yesterday and times
                      given with no zone, and of the times the table and csv
                      print: an IANA name (Europe/Berlin), UTC or Local.
                      Default: the TZ environment variable when set, else
                      UTC. json and jsonl print UTC whatever it is.

   Every time flag takes: RFC 3339 (2026-03-04T10:00:00Z,
   2026-03-04T10:00:00+02:00); a local time, in --tz (2026-03-04T10:00,
   2026-03-04T10:00:00, 2026-03-04 10:00); a date (2026-03-04) or a month
   (2026-03), which count whole: from their start at --from, to their end at
   --to; today and yesterday, likewise; now; or an age, now minus that long:
   90s, 45m (m is minutes), 36h, 7d, 2w, 3mo (calendar months), 1y
   (calendar years), or terms run together such as 1y6mo or 1d12h. Months
   and years count back on the calendar in --tz; d is 24 hours.

   --job-id ID        every record of a job: a DRS job and its log items
                      (drsjob-...), every observation of a Snowball job
                      (JID...) or of an SMS replication job (sms-job-...)
   --id ID            a record by its own ID, every observation of it: a job
                      as --job-id, a source server (s-..., with its launch
                      and replication configurations), source network
                      (sn-...), recovery snapshot (pit-...), recovery
                      instance (i-...), staging account (12 digits), or the
                      jobs of a Snowball cluster (CID...)
   --source-server ID records about that source server (s-...)
   --kind KIND        ` + KindList(22, 22, 78) + `
   --region REGION    records from that AWS region (us-east-1)
   --account ID       records from that AWS account (12 digits)
   --event EVENT      log item event, such as LAUNCH_FAILED
   --status STATUS    job status, launch status, last launch result, a
                      recovery instance's ec2InstanceState (RUNNING), a
                      Snowball JobState or an SMS job or run state
                      --event and --status ignore case and take only values
                      the services define: a typo is refused with the
                      closest one
   --initiated-by X   DRS jobs started by X: START_DRILL, START_RECOVERY,
                      FAILBACK, DIAGNOSTIC... (any case)
   --type TYPE        DRS jobs of that type: LAUNCH, TERMINATE,
                      CREATE_CONVERTED_SNAPSHOT (any case)
   --text QUERY       full text: see FULL-TEXT QUERIES below

FULL-TEXT QUERIES (--text; README.md, "Full-text queries", has the details):
   capacity           a word, in the events, raw errors and messages (case
                      does not matter); "RunInstances operation" a phrase
   a b                at least one of the plain words; +a must match, -a
                      must not: '+event:LAUNCH_FAILED capacity quota'
   a AND b, a OR b, NOT a (also &&, ||, !) and ( ): NOT binds tightest,
                      then AND, then OR; AND, OR and NOT in capitals only
   field:value        fields: jobID, serverID, instanceID, event, status,
                      type, initiatedBy, replicationState (whole values,
                      any case) and text (the default); field names ignore
                      case; field:"a phrase", field:/regexp/
   Insuff*, launch_?  wildcards (* any run, ? one character) within one term
   /launch_.*/        a regexp matching one whole term, ignoring case
   capacty~, cap~2    fuzzy: within 1 (or 2) edits of a term

OUTPUT:
   table (the default on a terminal), json (one array), jsonl (one record a
   line, the default otherwise) or csv. json and jsonl records are the objects
   of 'archiver export': kind, data verbatim, jobID on log items, capturedAt
   on snapshots.

   The table's columns: TIME (in UTC, which the header names); KIND; ID, the
   record's own ID (a log item's job); JOB and SERVER, the job and source
   server a record names besides; WHAT, the state or event; CAPTURED, when an
   observation was taken; MESSAGE. Columns no row fills are left out. To fit
   the terminal, MESSAGE narrows first, then goes, then CAPTURED, JOB, WHAT,
   KIND, SERVER and TIME in turn: an ID is never cut, so that it can be
   copied into the next command. --wide shows every column at full width.

   csv columns: time, kind, id (the record's own ID; empty for log items),
   job (the job the record is, belongs to or names), pos (a log item's
   position in its job's log, from 0), cluster (a Snowball job's cluster),
   server (every server the record names, separated by spaces), what,
   message, capturedAt (observations only), region, account.

   With --max-items, a NextToken is printed when more records remain (after
   the table, or on stderr for the other formats); give it to
   --starting-token with the same filters to continue.

EXAMPLES:
   archiver query --event LAUNCH_FAILED --from 90d
   archiver query --text InsufficientInstanceCapacity --kind drs.jobLogItem
   archiver query --job-id drsjob-0123456789abcdef0 --output jsonl
   archiver query --id JID123e4567-e89b-12d3-a456-426655440000
   archiver query --initiated-by start_drill --type launch --from 30d
   archiver query --source-server s-0123456789abcdef0 --from 2026-07-01 --to 2026-09-30
   archiver query --text 'event:LAUNCH_FAILED AND capacity' --max-items 50
   archiver query --kind snowball.clusterJob --kind sms.replicationJob --captured-from 1w
   archiver query --deleted-from 2026-10 --deleted-to 2026-10 --tz Europe/Berlin
   archiver query --text '"RunInstances operation" AND NOT InsufficientInstanceCapacity'`,
		Flags: append(FilterFlags(),
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "table, json, jsonl or csv (default: table on a terminal, jsonl otherwise)"},
			&cli.IntFlag{Name: "max-items", Usage: "print at most N records and a NextToken to continue"},
			&cli.BoolFlag{Name: "wide", Usage: "table: every column at full width, whatever the terminal's width"},
			&cli.StringFlag{Name: "starting-token", Usage: "continue from the NextToken of the same query"},
			&cli.DurationFlag{Name: "lock-timeout", Value: time.Minute, Usage: "longest wait for a running sync to release the archive (a sync updating the full-text index is not waited for: the query searches the archive)"},
		),
		Action: func(c *cli.Context) error {
			if err := NoArgs(c); err != nil {
				return err
			}
			o, err := queryOptions(c, time.Now(), s)
			if err != nil {
				return UsageError{Err: err, Command: "query"}
			}
			if s == nil && o.Request.NeedsIndex() {
				return ErrNeedsFull
			}
			err = query.Answer(c.Context, o, c.App.Writer, c.App.ErrWriter)
			if query.IsUsage(err) {
				return UsageError{Err: err, Command: "query"}
			}
			return err
		},
	}
}

// FilterFlags are the record filters query and export share.
func FilterFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "from", Usage: "earliest record time (which time for each kind: query --help): " + TimeForms},
		&cli.StringFlag{Name: "to", Usage: "latest record time, same forms as --from (a date or month counts whole)"},
		&cli.StringFlag{Name: "captured-from", Usage: "earliest time archiver first saw the record (its firstSeen), same forms as --from"},
		&cli.StringFlag{Name: "captured-to", Usage: "latest time archiver first saw the record, same forms as --from"},
		&cli.StringFlag{Name: "deleted-from", Usage: "only objects deleted upstream, noticed at or after this time (same forms as --from)"},
		&cli.StringFlag{Name: "deleted-to", Usage: "only objects deleted upstream, noticed at or before this time (same forms as --from)"},
		TZFlag(),
		&cli.StringSliceFlag{Name: "job-id", Usage: "job ID: drsjob-…, JID… or sms-job-… (repeatable)"},
		&cli.StringSliceFlag{Name: "source-server", Usage: "source server ID (repeatable)"},
		&cli.StringSliceFlag{Name: "kind", Usage: "record kind (repeatable)"},
		&cli.StringSliceFlag{Name: "event", Usage: "log item event (repeatable)"},
		&cli.StringSliceFlag{Name: "status", Usage: "status (repeatable)"},
		&cli.StringFlag{Name: "text", Usage: "full-text query: words, \"phrases\", field:value, AND, OR, NOT, ( ) (see 'archiver query --help')"},
		&cli.StringSliceFlag{Name: "region", Usage: "AWS region the records came from (repeatable)"},
		&cli.StringSliceFlag{Name: "account", Usage: "AWS account the records came from (repeatable)"},
		&cli.BoolFlag{Name: "deleted", Usage: "only the latest records of objects AWS no longer lists (deleted upstream)"},
		&cli.StringSliceFlag{Name: "id", Usage: "record ID: a job, source server (its settings too), source network, recovery snapshot or instance, staging account or Snowball cluster (repeatable)"},
		&cli.StringSliceFlag{Name: "initiated-by", Usage: "DRS job initiatedBy, such as START_DRILL (repeatable)"},
		&cli.StringSliceFlag{Name: "type", Usage: "DRS job type, such as LAUNCH (repeatable)"},
	}
}

// ParseFilters reads and checks the filter flags; errors name the flag.
// checkText checks --text; nil leaves it to the index's executable.
func ParseFilters(c *cli.Context, now time.Time, checkText func(string) error) (query.Filters, error) {
	var f query.Filters
	var err error
	if err = ParseTimeFilters(c, now, &f); err != nil {
		return f, err
	}
	for _, s := range c.StringSlice("job-id") {
		id, err := query.ParseAnyJobID(s)
		if err != nil {
			return f, fmt.Errorf("--job-id %w", err)
		}
		f.JobIDs = append(f.JobIDs, id)
	}
	for _, s := range c.StringSlice("source-server") {
		id, err := query.ParseSourceServerID(s)
		if err != nil {
			return f, fmt.Errorf("--source-server %w", err)
		}
		f.ServerIDs = append(f.ServerIDs, id)
	}
	for _, s := range c.StringSlice("kind") {
		k, err := kinds.Parse(strings.TrimSpace(s))
		if err != nil {
			return f, fmt.Errorf("--kind: %w", err)
		}
		f.Kinds = append(f.Kinds, k)
	}
	if f.Events, err = enums("--event", c.StringSlice("event")); err != nil {
		return f, err
	}
	if f.Statuses, err = enums("--status", c.StringSlice("status")); err != nil {
		return f, err
	}
	for _, s := range c.StringSlice("region") {
		r, err := query.ParseRegion(s)
		if err != nil {
			return f, fmt.Errorf("--region %w", err)
		}
		f.Regions = append(f.Regions, r)
	}
	for _, s := range c.StringSlice("account") {
		a, err := query.ParseAccount(s)
		if err != nil {
			return f, fmt.Errorf("--account %w", err)
		}
		f.Accounts = append(f.Accounts, a)
	}
	f.Text = strings.TrimSpace(c.String("text"))
	f.Deleted = c.Bool("deleted")
	if err := parseIDFilters(c, &f); err != nil {
		return f, err
	}
	if checkText != nil {
		err = checkText(f.Text)
	}
	return f, err
}

// queryOptions reads and checks the query flags; every error is a usage
// error naming the flag.
func queryOptions(c *cli.Context, now time.Time, s *Search) (query.Options, error) {
	o := query.Options{ArchiveDir: c.String("archive"), LockTimeout: c.Duration("lock-timeout")}
	var checkText func(string) error
	if s != nil {
		o.OpenSearch, checkText = s.Open, s.CheckText
	}
	o.Writer.Wide = c.Bool("wide")
	var err error
	if o.Request.Filters, err = ParseFilters(c, now, checkText); err != nil {
		return o, err
	}
	tty := IsTerminal(c.App.Writer)
	switch out := c.String("output"); {
	case out != "":
		if o.Format, err = query.ParseFormat(out); err != nil {
			return o, fmt.Errorf("--output: %w", err)
		}
	case tty:
		o.Format = query.FormatTable
	default:
		o.Format = query.FormatJSONL
	}
	if o.Format == query.FormatTable || o.Format == query.FormatCSV || c.IsSet("tz") {
		// The zone times are printed in; JSON prints UTC whatever it is.
		if o.Writer.Location, err = ZoneOf(c); err != nil {
			return o, err
		}
	}
	if tty {
		if w, _, err := term.GetSize(int(c.App.Writer.(*os.File).Fd())); err == nil {
			o.Writer.Width = w
		}
		o.Writer.Color = os.Getenv("NO_COLOR") == ""
	}
	if n := c.Int("max-items"); n < 0 {
		return o, fmt.Errorf("--max-items %d: want a positive number", n)
	} else {
		o.Request.MaxItems = n
	}
	o.Request.StartingToken = strings.TrimSpace(c.String("starting-token"))
	o.Request.Fingerprint = fingerprint(c)
	if o.Request.StartingToken != "" {
		if _, err := query.DecodeToken(o.Request.StartingToken, o.Request.Fingerprint); err != nil {
			return o, fmt.Errorf("--starting-token: %w", err)
		}
	}
	return o, nil
}

// enumFlags are the enum kinds of the flags that take enum values.
var enumFlags = map[string]query.EnumKind{
	"--event":             query.EnumEvent,
	"--status":            query.EnumStatus,
	"--type":              query.EnumJobType,
	"--initiated-by":      query.EnumInitiatedBy,
	"--replication-state": query.EnumReplicationState,
}

// enums checks the values of an enum flag (--event, --status...) against
// the values the services define, ignoring case; a typo is refused with
// the closest known value.
func enums(flag string, values []string) ([]string, error) {
	kind, ok := enumFlags[flag]
	if !ok {
		return nil, fmt.Errorf("%s: not an enum flag", flag)
	}
	return query.CheckEnum(flag, kind, values)
}

// fingerprint is the canonical form of the query's filters as given, which
// ties a starting token to the query that printed it. A relative --from
// stays relative, so the next run of the same command line accepts it.
func fingerprint(c *cli.Context) string {
	return strings.Join(filterParts(c), "\n")
}

// filterParts lists the filters given, as name=value in a fixed order.
func filterParts(c *cli.Context) []string {
	var parts []string
	for _, name := range []string{"from", "to", "text"} {
		if v := strings.TrimSpace(c.String(name)); v != "" {
			parts = append(parts, name+"="+v)
		}
	}
	parts = append(parts, timeFilterParts(c)...)
	for _, name := range []string{"job-id", "source-server", "kind", "event", "status", "region", "account", "id", "initiated-by", "type"} {
		vs := append([]string(nil), c.StringSlice(name)...)
		for i := range vs {
			vs[i] = strings.TrimSpace(vs[i])
			if name == "event" || name == "status" || name == "initiated-by" || name == "type" {
				vs[i] = strings.ToUpper(vs[i])
			}
		}
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, name+"="+v)
		}
	}
	if c.Bool("deleted") {
		parts = append(parts, "deleted=true")
	}
	return parts
}

// FilterManifest is the filters given, for an export's manifest: flag name
// to value, or to the list of values of a repeatable flag.
func FilterManifest(c *cli.Context) map[string]any {
	m := map[string]any{}
	for _, p := range filterParts(c) {
		name, v, _ := strings.Cut(p, "=")
		switch name {
		case "from", "to", "text":
			m[name] = v
		case "captured-from", "captured-to", "deleted-from", "deleted-to", "tz":
			m[name] = v
		case "deleted":
			m[name] = true
		default:
			list, _ := m[name].([]string)
			m[name] = append(list, v)
		}
	}
	return m
}

// AnyFilter reports whether any filter flag was given.
func AnyFilter(c *cli.Context) bool { return len(filterParts(c)) > 0 }

// parseIDFilters reads --id, --initiated-by and --type into f.
func parseIDFilters(c *cli.Context, f *query.Filters) error {
	for _, s := range c.StringSlice("id") {
		id, err := query.ParseRecordID(s)
		if err != nil {
			return fmt.Errorf("--id %w", err)
		}
		f.IDs = append(f.IDs, id)
	}
	var err error
	if f.InitiatedBy, err = enums("--initiated-by", c.StringSlice("initiated-by")); err != nil {
		return err
	}
	f.Types, err = enums("--type", c.StringSlice("type"))
	return err
}
