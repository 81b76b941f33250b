package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/internal/awsid"
	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/query"
	archsync "github.com/archiver-dev/archiver/sync"
)

func importCommand() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "add saved AWS CLI output to the archive",
		UsageText: "archiver [--archive DIR] import [--job-id ID] [--snowball-cluster-id ID] [--region REGION --account ID] FILE...",
		Description: `Reads the JSON that these AWS CLI commands print and merges its records into
the archive, to keep history from before archiver was installed:

` + importCommands() + `

(SMS was shut down in 2023: saved output of get-replication-jobs is often
all that is left of its history.) The get-... commands answer with one
object each; a file may hold several, one after another, as a loop over
the source servers prints them.

A file may hold one page, the CLI's merged pagination output, or several
pages one after another. Each file holds the output of one command.

Records are merged with what sync wrote: a state the archive already holds
is not added again, and an older state never replaces a newer one. Every
record imported names the file it came from and the file's SHA-256 in its
provenance. All files are read and checked before anything is written, and
they go in together or not at all: a file of the wrong shape imports
nothing. So does a file that is not UTF-8 or nests objects and lists deeper
than 64 levels; the message names the file and the byte offset. Files are
read as streams, so checking them takes little memory whatever their size.
Files of 16 MiB or more are written to a copy of the archive file beside it,
in steps, and the copy replaces the archive file when complete: this keeps
memory bounded and needs free disk space of about the archive's size plus
the new data. An import waits for a running sync of the archive to finish,
for up to --lock-timeout.

The AWS CLI prints only the members its version knows, so saved output may
lack members sync archived. An imported object is the same as an archived
one when every member it has (at any depth) holds the same value in the
archived one; members only the archive holds count for nothing, numbers
compare by value, and for source servers, recovery instances, Snowball and
SMS jobs the members sync ignores (clocks, byte counters, time formats) count
for nothing either.
The same object is no new record: at most its seen times widen. A job log
item that differs from the archived item at its position is a real
difference: its file imports nothing, the other files go in, and import
exits with status 1, naming each refused file, the item (from 1) and the
member that differs, such as $.eventData.rawError.

Each item is stored compacted (the white space between JSON tokens removed,
nothing else changed), so that every record is one line of JSON Lines.

Where the output does not say it, tell archiver:
   --job-id               the job of a describe-job-log-items file (default:
                          the drsjob-... in the file name)
   --snowball-cluster-id  the cluster of a list-cluster-jobs file (default: the
                          CID... in the file name)
   --region, --account    where Snowball and SMS jobs, staging accounts,
                          recovery snapshots, and log items of jobs not yet
                          archived, come from (DRS jobs, source servers and
                          recovery instances say it in their ARNs)
   --captured-at          when the output was taken (default: each file's
                          modification time); records are seen then, and
                          snapshots are taken then

EXAMPLES:
   aws drs describe-jobs --region us-east-1 > jobs.json
   aws drs describe-job-log-items --job-id drsjob-0123456789abcdef0 > drsjob-0123456789abcdef0.json
   archiver import jobs.json drsjob-0123456789abcdef0.json

   archiver import --region eu-west-1 --account 123456789012 --captured-at 2023-03-01 sms-jobs.json`,
		Flags: append(checkpointFlags(true),
			&cli.StringFlag{Name: "job-id", Usage: "job of the job log items files (default: the drsjob-... in each file name)"},
			&cli.StringFlag{Name: "snowball-cluster-id", Usage: "cluster of the Snowball cluster-job files (default: the CID... in each file name)"},
			&cli.StringFlag{Name: "region", Usage: "AWS region of records whose data does not say it"},
			&cli.StringFlag{Name: "account", Usage: "AWS account of records whose data does not say it"},
			&cli.StringFlag{Name: "captured-at", Usage: "when the output was taken: RFC 3339 or a date (default: each file's modification time)"},
			&cli.BoolFlag{Name: "no-index", Usage: "leave the full-text index as it is; the next sync (or 'archiver reindex') brings it up to date"},
			&cli.DurationFlag{Name: "lock-timeout", Value: 10 * time.Minute, Usage: "longest wait for a running sync to finish, and for the archive file lock"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print nothing on success"},
			summaryOutputFlag(),
		),
		Action: func(c *cli.Context) error {
			o, files, err := importOptions(c, time.Now())
			if err != nil {
				return cliapp.UsageError{Err: err, Command: "import"}
			}
			asJSON, err := summaryAsJSON(c)
			if err != nil {
				return err
			}
			return archsync.RunImport(c.Context, o, files, c.Bool("quiet"), asJSON, c.App.Writer, c.App.ErrWriter)
		},
	}
}

// importOptions reads and checks the import command line.
func importOptions(c *cli.Context, now time.Time) (archsync.ImportOptions, []string, error) {
	cp, err := checkpointOptions(c)
	if err != nil {
		return archsync.ImportOptions{}, nil, err
	}
	o := archsync.ImportOptions{
		Checkpoint:  cp,
		ArchiveDir:  c.String("archive"),
		NoIndex:     c.Bool("no-index"),
		LockTimeout: c.Duration("lock-timeout"),
	}
	files := c.Args().Slice()
	if len(files) == 0 {
		return o, nil, fmt.Errorf("no file to import")
	}
	if s := c.String("job-id"); s != "" {
		if o.JobID, err = awsid.ParseJobID(s); err != nil {
			return o, nil, fmt.Errorf("--job-id %w", err)
		}
	}
	if s := c.String("snowball-cluster-id"); s != "" {
		if o.ClusterID, err = awsid.ParseClusterID(s); err != nil {
			return o, nil, fmt.Errorf("--snowball-cluster-id %w", err)
		}
	}
	if s := c.String("region"); s != "" {
		if o.Region, err = awsid.ParseRegion(s); err != nil {
			return o, nil, fmt.Errorf("--region %w", err)
		}
	}
	if s := c.String("account"); s != "" {
		if o.Account, err = awsid.ParseAccount(s); err != nil {
			return o, nil, fmt.Errorf("--account %w", err)
		}
	}
	if s := strings.TrimSpace(c.String("captured-at")); s != "" {
		if o.CapturedAt, err = query.ParseTimeBound(s, now, false); err != nil {
			return o, nil, fmt.Errorf("--captured-at %w", err)
		}
	}
	if o.LockTimeout <= 0 {
		return o, nil, fmt.Errorf("--lock-timeout must be positive")
	}
	return o, files, nil
}
