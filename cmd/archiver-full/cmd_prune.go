package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/archive/retention"
	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/export"
)

func pruneCommand() *cli.Command {
	return &cli.Command{
		Name:      "prune",
		Usage:     "remove records older than a date, for a retention policy",
		UsageText: "archiver [--archive DIR] prune --before TIME [--tz ZONE] (--export FILE [--force] | --no-export) [--confirm]",
		Description: `Removes the records older than --before from the archive:
   - DRS jobs created before it (their creationDateTime), with their whole
     logs, whatever the time of the log items;
   - the logs of jobs no longer archived, when all their items are older;
   - the states of the objects archiver observes (source servers, staging
     accounts, recovery instances, Snowball cluster jobs, SMS replication
     jobs) that archiver first saw before it: each record's firstSeen, when
     a sync (or import) captured that state. The object's own time does not
     count: a Snowball job created two years ago keeps the states captured
     after --before. The current state of each object always stays, since
     it is what the next sync compares with.
   Recovery snapshots never change, so each is the current state of its
   snapshot and stays.

--before takes RFC 3339 (2024-01-01T00:00:00Z), a local time
(2024-01-01T09:00, read in --tz), a date or month (2024-01-01, 2024-01: its
start), today, yesterday, or an age counted back from now: 90m (m is
minutes), 36h, 7d, 2w, 3mo (calendar months), 1y (calendar years), 1y6mo.
Dates, months, today and local times are read in --tz: an IANA zone such
as Europe/Berlin, UTC or Local; the default is the TZ environment variable
when set, else UTC. Months and years count back on the calendar in that
zone.

Without --confirm it only says what it would remove. With --confirm it first
writes an export of exactly those records to --export FILE (sealed, and
signed with --sign-key or ARCHIVER_SIGN_KEY as 'archiver export' does),
makes it durable, and only then removes them, in one transaction. A prune
with no export must say so with --no-export. FILE is written as 'archiver
export --out' writes it: beside its final name, then renamed into place; an
existing FILE is left alone (and the prune refused) unless --force is given;
a symbolic link is followed; a FIFO or device is written to in place. It
cannot be - (stdout): the export must be on disk before anything goes. Every removal is a link of the
hash chain, and so is the prune itself (its bound, counts and the export's
hash), so 'archiver verify' can tell a prune from tampering.

Prune cannot run while a sync runs on the same archive. A job that AWS still
lists comes back, log and all, with the next sync: prune what the service
itself no longer keeps.

EXAMPLES:
   archiver prune --before 2024-01-01 --export pruned-2023.json
   archiver prune --before 2024-01-01 --export pruned-2023.json --sign-key export-signing.pem --confirm
   archiver prune --before 400d --no-export --confirm
   archiver prune --before 2y --tz Europe/Berlin --export pruned.json --confirm`,
		Flags: append(checkpointFlags(false),
			&cli.StringFlag{Name: "before", Usage: "remove records older than this: " + cliapp.TimeForms},
			cliapp.TZFlag(),
			&cli.BoolFlag{Name: "confirm", Usage: "remove the records (without it, only say what would go)"},
			&cli.StringFlag{Name: "export", Usage: "write the records removed to this file first"},
			&cli.BoolFlag{Name: "force", Usage: "replace the --export FILE if it is an existing regular file"},
			&cli.BoolFlag{Name: "no-export", Usage: "remove the records without exporting them"},
			&cli.StringFlag{Name: "sign-key", Usage: "sign the export with this ed25519 private key (PEM file; or the PEM itself in ARCHIVER_SIGN_KEY)"},
			&cli.DurationFlag{Name: "lock-timeout", Value: time.Minute, Usage: "longest wait for the archive file lock"},
		),
		Action: func(c *cli.Context) error {
			if err := cliapp.NoArgs(c); err != nil {
				return err
			}
			o, err := pruneOptions(c, time.Now())
			if err != nil {
				return cliapp.UsageError{Err: err, Command: "prune"}
			}
			return retention.Run(c.Context, o, c.App.Writer, c.App.ErrWriter)
		},
	}
}

func pruneOptions(c *cli.Context, now time.Time) (retention.RunOptions, error) {
	o := retention.RunOptions{ArchiveDir: c.String("archive"), Confirm: c.Bool("confirm"), Export: c.String("export"), Force: c.Bool("force"), LockTimeout: c.Duration("lock-timeout"), Location: time.UTC}
	cp, err := checkpointOptions(c)
	if err != nil {
		return o, err
	}
	o.Checkpoint = cp
	b := strings.TrimSpace(c.String("before"))
	if b == "" {
		return o, fmt.Errorf("--before DATE is required")
	}
	loc, err := cliapp.ZoneOf(c)
	if err != nil {
		return o, err
	}
	o.Location = loc
	if o.Before, err = query.ParseTimeBoundIn(b, now, false, loc); err != nil {
		return o, fmt.Errorf("--before %w", err)
	}
	switch {
	case o.Export != "" && c.Bool("no-export"):
		return o, fmt.Errorf("--export and --no-export: give one")
	case o.Export == "" && !c.Bool("no-export"):
		return o, fmt.Errorf("give --export FILE to keep the records removed, or --no-export to remove them without a copy")
	case o.Export == "-":
		return o, fmt.Errorf("--export: give a file, not -, so that the export is on disk before anything is removed")
	}
	key, err := signKey(c.String("sign-key"), os.Getenv("ARCHIVER_SIGN_KEY"))
	if err != nil {
		return o, err
	}
	o.ExportOptions = export.Options{Version: archiverVersion(), Build: archiverBuildRef(), SignKey: key}
	return o, nil
}
