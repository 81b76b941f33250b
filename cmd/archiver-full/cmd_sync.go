package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/internal/awsid"
	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/internal/outfile"
	archsync "github.com/archiver-dev/archiver/sync"
)

func syncCommand() *cli.Command {
	return &cli.Command{
		Name:      "sync",
		Usage:     "read new job history from AWS into the archive",
		UsageText: "archiver [--archive DIR] sync [--source drs,snowball,sms] [--region REGION|all]... [--profile NAME]... [--org-role NAME [--org-unit OU] [--org-exclude-account ID]...] [--endpoint-url URL]",
		Description: `Reads the job history of each --source and commits what arrives to the
archive every --commit-interval, each API page whole, in one transaction.
Every field AWS returns is kept verbatim, including fields this build does
not know.

` + sourceCalls() + `

Source servers are read whole (extended servers of every staging account
included); recovery snapshots only from the newest archived one on;
Snowball clusters are those ListClusters lists, or each
--snowball-cluster-id.

A DRS job's log is read until the job is COMPLETED and never again after
that. Observed kinds (source servers, staging accounts, recovery instances,
launch and replication configurations, source networks, Snowball and SMS
jobs) get a new record only when their state changed (replication state,
lag band, errors; EC2 state; settings; JobState; job and run states...), so
the archive shows when each change happened. A recovery snapshot is kept
once. A crash or kill loses nothing already committed: run sync again and
it finishes the work.

Each --profile is one account and each --region one region; every profile is
read in every region, and every record carries its region and account (the
account is asked of STS GetCallerIdentity). The same job ID in two regions
or accounts is two records. --region all reads every region of the
partition where DRS is offered.

With --org-role NAME the accounts are those AWS Organizations lists
(ListAccounts, or ListAccountsForParent with --org-unit), asked with the
credentials of the management account or a delegated administrator (the
first --profile, or the default chain). Active accounts only, narrowed by
--org-include-account and --org-exclude-account. In each, sync assumes
arn:aws:iam::ACCOUNT:role/NAME with STS AssumeRole (session name archiver,
--org-external-id if the role's trust policy asks for one); the SDK
refreshes the credentials before they expire. README "AWS Organizations"
gives the role's trust and permission policies.

Every account and region is a target. Targets are read side by side,
--target-concurrency at a time, each with its own clients and retries, so a
throttled target backs off without slowing the others. A target that fails
(a role that cannot be assumed, a permission missing, of several
profiles one whose credentials are refused) stops only itself:
the others are read to their end and committed, the failure is recorded
for that target (status, metrics file), the summary line says how many
failed, and sync exits 1 at the end naming each failed target and why. A
region where DRS is not initialised is recorded as "DRS not initialised",
which is no failure (archiver_sync_not_initialised is 1 there in the
metrics file).

Throttling and 5xx answers are retried with capped exponential backoff
(--max-attempts tries per call). A malformed answer stops the sync with exit
status 1 and a message naming the API operation; nothing of that page is kept.

When the pages are in, sync brings the full-text index beside the archive up
to date with everything committed (also after a failed or killed run).

Sync holds the archive file only while it commits, never while it waits on
AWS, so 'archiver query' and 'archiver export' can run during a sync. When
sync itself has to wait for the file (another process holds it), it says so.

Credentials and region come from the standard AWS chain: environment,
AWS_PROFILE or --profile, shared config and credentials files, SSO, instance
roles. AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (DRS, SNOWBALL, SMS,
STS) are honoured, as is --endpoint-url for every service.

On a terminal a progress line is drawn on stderr, as wide as the terminal:
job logs read of those known so far ("120/1,500+ job logs") while jobs are
still being listed, then a bar and a percentage, which never go back. Otherwise one summary line
(counts and duration) is printed when the sync ends, for cron mail; --quiet
drops it.

When calls fail and are tried again (an endpoint that refuses connections,
throttling), a line on stderr says so as it happens, e.g. "archiver:
DescribeJobs: connection refused at http://127.0.0.1:9; retrying (attempt 2
of 12)"; a burst of failures makes one line. Without credentials, sync says
what to set in one line; an HTML page or a 407 where AWS should answer is
named as a proxy or captive portal.

Every run, good or failed, is recorded in the archive for each source,
region and account: when it ran, how long it took, what it read and added,
and its outcome. 'archiver status' shows it. With --metrics-file, the same
goes to a Prometheus text file for node_exporter's textfile collector,
replaced at the end of every run by design (no --force needed, unlike the
outputs of export, backup and prune): written beside it, synced and
renamed over it (mode 0644, so that the collector can read it). A symbolic
link is followed and its target replaced the same way; a FIFO or device is
written to in place. The metrics are: archiver_sync_last_success_timestamp_seconds,
archiver_sync_last_run_timestamp_seconds, archiver_sync_success,
archiver_sync_duration_seconds, archiver_sync_items_total,
archiver_sync_records_added_total, archiver_sync_errors_total and
archiver_sync_runs_total, labelled by source, region and account (and kind);
and, per DRS source server (labelled source_server, hostname, region and
account), the measures of 'archiver report' over the last 90 days:
archiver_drs_server_last_drill_timestamp_seconds (0: never drilled),
archiver_drs_server_time_to_launch_seconds and
archiver_drs_server_recovery_point_seconds of its latest launch that
measured them.

When another process holds the archive for longer than --lock-timeout, sync
stops with "archive busy: ..." naming the holder.

EXAMPLES:
   archiver sync --region us-east-1
   AWS_PROFILE=dr-audit archiver sync --region eu-west-1 --quiet
   archiver sync --source drs,snowball --region us-east-1 --region us-west-2 --profile prod --profile staging
   archiver sync --profile org-management --org-role ArchiverReadOnly --region all --org-exclude-account 111122223333
   archiver --archive /var/lib/archiver sync --region us-east-1 --endpoint-url http://127.0.0.1:4566
   archiver sync --region us-east-1 --quiet --metrics-file /var/lib/node_exporter/textfile/archiver.prom`,
		Flags: append(checkpointFlags(true),
			&cli.StringFlag{Name: "source", Value: "drs", Usage: "comma-separated sources to read: drs, snowball, sms"},
			&cli.StringSliceFlag{Name: "region", Usage: "AWS region, or all for every region of the partition where DRS is offered; repeat it to read several (default: AWS_REGION or the profile's region)"},
			&cli.StringSliceFlag{Name: "profile", Usage: "shared config profile, one account each; repeat it to read several accounts (default: AWS_PROFILE or default)"},
			&cli.StringFlag{Name: "org-role", Usage: "read every active account AWS Organizations lists, assuming this role (by name) in each"},
			&cli.StringFlag{Name: "org-external-id", Usage: "external ID to pass when assuming --org-role"},
			&cli.StringFlag{Name: "org-unit", Usage: "with --org-role, only the accounts directly in this organizational unit (ou-...) or root (r-...)"},
			&cli.StringSliceFlag{Name: "org-include-account", Usage: "with --org-role, read only this account (repeatable)"},
			&cli.StringSliceFlag{Name: "org-exclude-account", Usage: "with --org-role, leave this account out (repeatable)"},
			&cli.IntFlag{Name: "target-concurrency", Value: archsync.DefaultTargetConcurrency, Usage: "targets (account and region) read at once, 1-64"},
			&cli.StringSliceFlag{Name: "snowball-cluster-id", Usage: "read the jobs of this Snowball cluster only (repeatable; default: every cluster ListClusters returns)"},
			&cli.StringFlag{Name: "endpoint-url", Usage: "send API calls to this URL instead of the AWS endpoint"},
			&cli.IntFlag{Name: "page-size", Value: 1000, Usage: "items asked for per API call (maxResults), 1-1000"},
			&cli.IntFlag{Name: "concurrency", Value: 4, Usage: "job logs read at once, 1-32"},
			&cli.IntFlag{Name: "max-attempts", Value: 12, Usage: "tries per API call before giving up, throttling included"},
			&cli.DurationFlag{Name: "max-backoff", Value: 20 * time.Second, Usage: "longest wait between tries of one call"},
			&cli.DurationFlag{Name: "commit-interval", Value: 50 * time.Millisecond, Usage: "longest a fetched page waits before it is committed; pages fetched meanwhile are committed together"},
			&cli.DurationFlag{Name: "lock-timeout", Value: 10 * time.Minute, Usage: "longest wait for the archive file lock held by another process"},
			&cli.BoolFlag{Name: "no-index", Usage: "leave the full-text index as it is; the next sync (or 'archiver reindex') brings it up to date"},
			&cli.StringFlag{Name: "metrics-file", Usage: "write Prometheus metrics of every run here, for node_exporter's textfile collector (a .prom file in its directory)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print nothing on success"},
			summaryOutputFlag(),
		),
		Action: func(c *cli.Context) error {
			if err := cliapp.NoArgs(c); err != nil {
				return err
			}
			opts, err := syncOptions(c)
			if err != nil {
				return err
			}
			asJSON, err := summaryAsJSON(c)
			if err != nil {
				return err
			}
			return runSync(c.Context, opts, syncSay{quiet: c.Bool("quiet"), json: asJSON}, c.App.Writer, c.App.ErrWriter)
		},
	}
}

func syncOptions(c *cli.Context) (archsync.Options, error) {
	sources, err := archsync.ParseSources(c.String("source"))
	if err != nil {
		return archsync.Options{}, cliapp.UsageError{Err: fmt.Errorf("--source: %w", err), Command: "sync"}
	}
	ps := c.Int("page-size")
	if ps < 1 || ps > 1000 {
		return archsync.Options{}, cliapp.UsageError{Err: fmt.Errorf("--page-size %d: want 1 to 1000", ps), Command: "sync"}
	}
	conc := c.Int("concurrency")
	if conc < 1 || conc > 32 {
		return archsync.Options{}, cliapp.UsageError{Err: fmt.Errorf("--concurrency %d: want 1 to 32", conc), Command: "sync"}
	}
	att := c.Int("max-attempts")
	if att < 1 || att > 100 {
		return archsync.Options{}, cliapp.UsageError{Err: fmt.Errorf("--max-attempts %d: want 1 to 100", att), Command: "sync"}
	}
	if c.Duration("max-backoff") <= 0 || c.Duration("lock-timeout") <= 0 || c.Duration("commit-interval") <= 0 {
		return archsync.Options{}, cliapp.UsageError{Err: fmt.Errorf("--max-backoff, --commit-interval and --lock-timeout must be positive"), Command: "sync"}
	}
	var regions, clusters []string
	for _, s := range c.StringSlice("region") {
		if strings.TrimSpace(s) == archsync.AllRegions {
			regions = append(regions, archsync.AllRegions)
			continue
		}
		r, err := awsid.ParseRegion(s)
		if err != nil {
			return archsync.Options{}, cliapp.UsageError{Err: fmt.Errorf("--region %w", err), Command: "sync"}
		}
		regions = append(regions, r)
	}
	for _, s := range c.StringSlice("snowball-cluster-id") {
		id, err := awsid.ParseClusterID(s)
		if err != nil {
			return archsync.Options{}, cliapp.UsageError{Err: fmt.Errorf("--snowball-cluster-id %w", err), Command: "sync"}
		}
		clusters = append(clusters, id)
	}
	if mf := c.String("metrics-file"); mf != "" {
		if fi, err := os.Stat(filepath.Dir(mf)); err != nil || !fi.IsDir() {
			return archsync.Options{}, cliapp.UsageError{Err: fmt.Errorf("--metrics-file %s: directory %s does not exist", mf, filepath.Dir(mf)), Command: "sync"}
		}
		if err := outfile.Check(mf, outfile.Options{Force: true}); err != nil {
			return archsync.Options{}, cliapp.UsageError{Err: fmt.Errorf("--metrics-file %w", err), Command: "sync"}
		}
	}
	var profiles []string
	for _, p := range c.StringSlice("profile") {
		if p = strings.TrimSpace(p); p == "" {
			return archsync.Options{}, cliapp.UsageError{Err: fmt.Errorf("--profile: empty profile name"), Command: "sync"}
		}
		profiles = append(profiles, p)
	}
	if err := archsync.CheckProfiles(c.Context, profiles); err != nil {
		return archsync.Options{}, cliapp.UsageError{Err: fmt.Errorf("--profile: %w", err), Command: "sync"}
	}
	cp, err := checkpointOptions(c)
	if err != nil {
		return archsync.Options{}, cliapp.UsageError{Err: err, Command: "sync"}
	}
	org, err := orgOptions(c)
	if err != nil {
		return archsync.Options{}, cliapp.UsageError{Err: err, Command: "sync"}
	}
	o := archsync.Options{
		ArchiveDir: c.String("archive"),
		Checkpoint: cp,
		Sources:    sources,
		Regions:    regions,
		Profiles:   profiles,

		SnowballClusters: clusters,
		EndpointURL:      c.String("endpoint-url"),
		PageSize:         int32(ps),
		Concurrency:      conc,
		MaxAttempts:      att,
		MaxBackoff:       c.Duration("max-backoff"),
		LockTimeout:      c.Duration("lock-timeout"),

		CommitInterval: c.Duration("commit-interval"),
		NoIndex:        c.Bool("no-index"),
		MetricsFile:    c.String("metrics-file"),
		Debug:          debugOutput(c),
	}
	o.OrgRole, o.OrgExternalID, o.OrgUnit = org.OrgRole, org.OrgExternalID, org.OrgUnit
	o.OrgIncludeAccounts, o.OrgExcludeAccounts = org.OrgIncludeAccounts, org.OrgExcludeAccounts
	o.TargetConcurrency = org.TargetConcurrency
	return o, nil
}

// runSync runs one sync with a progress display on a terminal and a summary
// line otherwise.
func runSync(ctx context.Context, opts archsync.Options, say syncSay, stdout, stderr io.Writer) error {
	quiet := say.quiet
	var stats archsync.Stats
	progOut := stderr
	if opts.Debug != nil {
		// Debug lines would break a progress line redrawn in place: the
		// summary line is printed at the end instead.
		progOut = struct{ io.Writer }{stderr}
	}
	prog := startProgress(progOut, &stats, quiet)
	opts.Waiting = prog.say
	opts.Build = archiverBuildRef()
	opts.Retrying = prog.say
	start := time.Now()
	err := archsync.Run(ctx, opts, &stats)
	appendServerGauges(ctx, opts, err, stderr)
	prog.stop()
	var failed *archsync.TargetsError
	if err != nil && !errors.As(err, &failed) {
		return syncError(err)
	}
	// The targets that went well are in the archive: the summary says what
	// they brought, the error what failed.
	if !quiet {
		took := time.Since(start)
		switch {
		case say.json:
			b, jerr := json.Marshal(stats.RunSummary(took, err))
			if jerr != nil {
				return jerr
			}
			fmt.Fprintf(stdout, "%s\n", b)
		case cliapp.IsTerminal(stdout):
			sum := stats.RunSummary(took, err)
			fmt.Fprintf(stdout, "archiver sync: %s\n", sum.Header())
			for _, l := range sum.Lines() {
				fmt.Fprintf(stdout, "  %s\n", l)
			}
		default:
			fmt.Fprintf(stdout, "archiver sync: %s\n", stats.Summary(took))
		}
	}
	if err != nil {
		return syncError(err)
	}
	return nil
}

// syncError is the error a sync that failed with err returns: an
// interrupt says what it leaves.
func syncError(err error) error {
	if errors.Is(err, context.Canceled) {
		err = cliapp.Interrupted(err, "pages committed so far are kept, and the next sync resumes")
	}
	return fmt.Errorf("sync: %w", err)
}

// syncSay is how sync reports when it ends: nothing (quiet), a JSON
// document, or text (lines on a terminal, one line otherwise).
type syncSay struct{ quiet, json bool }
