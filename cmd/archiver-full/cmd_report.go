package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/synclock"
	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/internal/outfile"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/report"
	archsync "github.com/archiver-dev/archiver/sync"
)

// exitPolicy is the exit status of 'archiver check' when a server breaks
// the policy.
const exitPolicy = 3

// selectionFlags are the period and filters report and check share.
func selectionFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "from", Usage: "start of the period (default: 90 days before --to); " + cliapp.TimeForms},
		&cli.StringFlag{Name: "to", Usage: "end of the period (default: now)"},
		cliapp.TZFlag(),
		&cli.StringSliceFlag{Name: "region", Usage: "AWS region of the servers and jobs (repeatable)"},
		&cli.StringSliceFlag{Name: "account", Usage: "AWS account of the servers and jobs (repeatable)"},
		&cli.StringSliceFlag{Name: "source-server", Usage: "source server ID, s-... (repeatable)"},
		&cli.DurationFlag{Name: "lock-timeout", Value: time.Minute, Usage: "longest wait for a sync to release the archive"},
	}
}

// parseSelection reads the period and filters; errors are usage errors of
// command.
func parseSelection(c *cli.Context, command string, now time.Time) (report.Selection, error) {
	var sel report.Selection
	bad := func(err error) error { return cliapp.UsageError{Err: err, Command: command} }
	loc := time.UTC
	if c.IsSet("from") || c.IsSet("to") {
		var err error
		if loc, err = cliapp.ZoneOf(c); err != nil {
			return sel, bad(err)
		}
	}
	r, err := query.ParseRangeIn("--from", "--to", c.String("from"), c.String("to"), now, loc)
	if err != nil {
		return sel, bad(err)
	}
	sel.Range = r
	for _, s := range c.StringSlice("region") {
		v, err := query.ParseRegion(s)
		if err != nil {
			return sel, bad(fmt.Errorf("--region %w", err))
		}
		sel.Regions = append(sel.Regions, v)
	}
	for _, s := range c.StringSlice("account") {
		v, err := query.ParseAccount(s)
		if err != nil {
			return sel, bad(fmt.Errorf("--account %w", err))
		}
		sel.Accounts = append(sel.Accounts, v)
	}
	for _, s := range c.StringSlice("source-server") {
		v, err := query.ParseSourceServerID(s)
		if err != nil {
			return sel, bad(fmt.Errorf("--source-server %w", err))
		}
		sel.ServerIDs = append(sel.ServerIDs, v)
	}
	if c.Duration("lock-timeout") <= 0 {
		return sel, bad(fmt.Errorf("--lock-timeout must be positive"))
	}
	return sel, nil
}

// formatOf is the report format: --format, else the one --out's extension
// names, else a table.
func formatOf(format, out string) (string, error) {
	if format != "" {
		f := strings.ToLower(strings.TrimSpace(format))
		if f == "md" {
			f = report.FormatMarkdown
		}
		if !slices.Contains(report.Formats, f) {
			return "", fmt.Errorf("--format %q: want one of %s", format, strings.Join(report.Formats, ", "))
		}
		return f, nil
	}
	switch strings.ToLower(filepath.Ext(out)) {
	case ".html", ".htm":
		return report.FormatHTML, nil
	case ".md", ".markdown":
		return report.FormatMarkdown, nil
	case ".json":
		return report.FormatJSON, nil
	}
	return report.FormatTable, nil
}

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "evidence of recoverability: drills, measured time to launch (RTO) and recovery point (RPO), per source server",
		UsageText: "archiver [--archive DIR] report [--from WHEN] [--to WHEN] [--region R] [--account A] [--source-server ID] [--format html|markdown|json|table] [--out FILE [--force]]",
		Description: `Reports, from the archive alone (no network, no credentials, nothing
written to it), for each protected DRS source server over a period (by
default the last 90 days):

   - its drills and recoveries: each job, the server's result (launched,
     failed, skipped, cancelled, pending) and, when it failed, the failing
     step (the job log event) and its rawError with the AWS error code
     read out of it (InsufficientInstanceCapacity, VolumeLimitExceeded,
     KMSKeyDisabled, ...)
   - its last drill that launched, and the days since
   - the measured time to launch of each launch (RTO evidence): from the
     job's JOB_START log item to the server's LAUNCH_START
   - the measured recovery point of each launch (RPO evidence): from the
     point-in-time snapshot it used (CONVERSION_END's
     conversionProperties.dataTimestamp, else the recovery instance's
     pointInTimeSnapshotDateTime) to the job's start
   - the largest gap between consecutive recovery snapshots, and the time
     spent outside CONTINUOUS replication and in each lag band
   - its failures grouped by cause, and whether a later launch succeeded

and across servers: coverage (servers with a drill that launched / servers
protected), the launch success rate, the slowest launches and the servers
not drilled. The report states the archive's checkpoint, change-log
position and the archiver version it was made with, and names the job of
every figure, so that 'archiver query --job-id JOB' shows its records. Its
notes say exactly how each figure is measured.

FORMATS (--format; by default the one --out's extension names, .html, .md
or .json, else a table):
   html       one self-contained page that opens offline in any browser:
              a timeline per server (replication state as a band, recovery
              snapshots and the largest gap, drills, recoveries and
              failures as marks), sortable tables, a printable layout. It
              fetches nothing (its Content-Security-Policy forbids it).
   markdown   the same, as Markdown, for a ticket or a wiki
   json       the report as data; "schema" names its version (README.md,
              "Report JSON schema")
   table      one line per server, for a terminal

--out writes to a file, atomically (--force replaces one); without it, or
with -, the report goes to standard output.

EXAMPLES:
   archiver report --out drills-2026-q3.html
   archiver report --from 2026-07 --to 2026-09 --format markdown --out q3.md
   archiver report --region eu-west-1 --format json | jq '.summary.coverage'
   archiver report --source-server s-0123456789abcdef0`,
		Flags: append(selectionFlags(),
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "html, markdown, json or table (default: by --out's extension, else table)"},
			&cli.StringFlag{Name: "out", Usage: "file to write the report to (- or none: standard output)"},
			&cli.BoolFlag{Name: "force", Usage: "replace an existing --out file"},
		),
		Action: func(c *cli.Context) error {
			if err := cliapp.NoArgs(c); err != nil {
				return err
			}
			now := time.Now()
			sel, err := parseSelection(c, "report", now)
			if err != nil {
				return err
			}
			o := report.Options{
				ArchiveDir: c.String("archive"), Selection: sel, Out: c.String("out"), Force: c.Bool("force"),
				LockTimeout: c.Duration("lock-timeout"), Build: archiverBuild(),
			}
			if o.Format, err = formatOf(c.String("format"), o.Out); err != nil {
				return cliapp.UsageError{Err: err, Command: "report"}
			}
			if o.Out != "" && o.Out != "-" {
				if err := outfile.Check(o.Out, outfile.Options{Force: o.Force, Stdout: c.App.Writer}); err != nil {
					return cliapp.UsageError{Err: fmt.Errorf("--out %w", err), Command: "report"}
				}
			}
			path, err := report.Run(c.Context, o, now, c.App.Writer, c.App.ErrWriter)
			if err != nil {
				return err
			}
			if path != "" {
				fmt.Fprintf(c.App.ErrWriter, "archiver: report written to %s\n", path)
			}
			return nil
		},
	}
}

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "check drill age, time to launch and recovery point against a policy; exit 3 when a server breaks it",
		UsageText: "archiver [--archive DIR] check [--max-drill-age AGE] [--max-rto DURATION] [--max-rpo DURATION] [--source-server ID] [--output text|json]",
		Description: `Checks every protected DRS source server against a policy, from the
archive alone, and prints each server that breaks a rule with its evidence
(the job and time the measure came from), then one line counting them.
The measures are those of 'archiver report' (see its help):

   --max-drill-age AGE   its last drill that launched is older than AGE at
                         the period's end, or it was never drilled
   --max-rto DURATION    the time to launch of its latest launch in the
                         period is longer
   --max-rpo DURATION    the recovery point of its latest launch in the
                         period is longer

Give at least one rule. Durations are whole numbers with a unit, run
together: s, m (minutes), h, d (24 hours), w: 90d, 1h, 15m, 1d12h. A
server whose latest launch measured no time to launch or recovery point
breaks neither of those rules. The period (--from, --to) is that of
report: by default the last 90 days.

--output json prints one object: "schema" (archiver.check/v1), the policy
in seconds, the archive's checkpoint, and "breaches", each with the
server, rule, limitSeconds, valueSeconds, jobID and evidence.

For cron mail and CI the exit status says whether the policy holds: 0 when
every server meets it, 3 when at least one breaks it (each is printed, and
one line on stderr counts them); 1 and 2 are runtime and usage errors, as
for every command.

EXAMPLES:
   archiver check --max-drill-age 90d --max-rto 1h --max-rpo 15m
   archiver check --max-drill-age 30d --source-server s-0123456789abcdef0
   archiver check --max-rto 45m --output json | jq '.breaches[].sourceServerID'`,
		Flags: append(selectionFlags(),
			&cli.StringFlag{Name: "max-drill-age", Usage: "longest time since a server's last drill that launched, such as 90d"},
			&cli.StringFlag{Name: "max-rto", Usage: "longest time to launch of a server's latest launch, such as 1h"},
			&cli.StringFlag{Name: "max-rpo", Usage: "longest recovery point of a server's latest launch, such as 15m"},
			&cli.StringFlag{Name: "output", Value: "text", Usage: "text or json"},
		),
		Action: func(c *cli.Context) error {
			if err := cliapp.NoArgs(c); err != nil {
				return err
			}
			now := time.Now()
			sel, err := parseSelection(c, "check", now)
			if err != nil {
				return err
			}
			o := report.CheckOptions{ArchiveDir: c.String("archive"), Selection: sel, Output: c.String("output"),
				LockTimeout: c.Duration("lock-timeout"), Build: archiverBuild()}
			if o.Output != "text" && o.Output != "json" {
				return cliapp.UsageError{Err: fmt.Errorf("--output %q: want text or json", o.Output), Command: "check"}
			}
			for _, l := range []struct {
				flag string
				to   *time.Duration
			}{{"max-drill-age", &o.MaxDrillAge}, {"max-rto", &o.MaxRTO}, {"max-rpo", &o.MaxRPO}} {
				if !c.IsSet(l.flag) {
					continue
				}
				d, err := report.ParseLimit(c.String(l.flag))
				if err != nil {
					return cliapp.UsageError{Err: fmt.Errorf("--%s %w", l.flag, err), Command: "check"}
				}
				*l.to = d
			}
			if o.Policy == (report.Policy{}) {
				return cliapp.UsageError{Err: fmt.Errorf("give at least one rule: --max-drill-age, --max-rto or --max-rpo"), Command: "check"}
			}
			return report.RunCheck(c.Context, o, now, c.App.Writer, c.App.ErrWriter)
		},
	}
}

// appendServerGauges adds the per-server gauges of the archive, as the sync
// run left it, to the --metrics-file the run wrote. A run that never got
// the archive (locked, interrupted) leaves the file as it is. Trouble is
// told on stderr; it does not fail the sync.
func appendServerGauges(ctx context.Context, opts archsync.Options, runErr error, stderr io.Writer) {
	if opts.MetricsFile == "" || errors.Is(runErr, context.Canceled) || errors.Is(runErr, archive.ErrLocked) || errors.Is(runErr, synclock.ErrRunning) {
		return
	}
	err := report.AppendGauges(ctx, opts.MetricsFile, opts.ArchiveDir, opts.LockTimeout, time.Now(), archiverBuild())
	if err != nil {
		fmt.Fprintf(stderr, "archiver: sync: %v\n", err)
	}
}
