package upkeep

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/migrations"
)

// RunMigrate lists the pending schema steps of the archive in dir on stdout
// and, unless dryRun, applies them in one transaction (see archive.Migrate);
// o.Waiting, when nil, says waits for the archive's lock on stderr.
func RunMigrate(ctx context.Context, dir string, dryRun bool, o archive.Options, cp archive.CheckpointOptions, stdout, stderr io.Writer) error {
	if o.Waiting == nil {
		o.Waiting = func(msg string) { fmt.Fprintf(stderr, "archiver: %s\n", msg) }
	}
	if dryRun {
		from, todo, err := archive.Pending(ctx, dir, o)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if len(todo) == 0 {
			fmt.Fprintf(stdout, "archiver migrate: schema %d, up to date; nothing to do\n", from)
			return nil
		}
		fmt.Fprintf(stdout, "archiver migrate: schema %d; this archiver writes schema %d; %s pending:\n", from, migrations.Latest(), steps(len(todo)))
		printSteps(stdout, todo)
		fmt.Fprintf(stdout, "archiver migrate: dry run, nothing changed (run 'archiver migrate' to apply %s)\n", pronoun(len(todo)))
		return nil
	}
	start := time.Now()
	from, done, err := archive.Migrate(ctx, dir, o)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// Records stored before their kind had a dictionary (all of them, the
	// first time schema 14 is reached) are compressed in bounded
	// transactions after the schema's one.
	cstart := time.Now()
	cres, err := archive.CompressRecordsIn(ctx, dir, o, archive.CompressOptions{})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if cres.Records > 0 {
		fmt.Fprintf(stdout, "archiver migrate: compressed %s records in %s in %s\n", humanize.Comma(int64(cres.Records)), transactions(cres.Transactions), time.Since(cstart).Round(time.Millisecond))
	}
	if cres.Records > 0 || len(done) > 0 {
		// The space the records gave up, and the pages of what the steps
		// rewrote (schema 15 packs the job-log index), stay in the file
		// until it is rewritten.
		before, after, err := archive.CompactFile(ctx, dir, o)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		fmt.Fprintf(stdout, "archiver migrate: archive file rewritten without its free pages: %s -> %s\n", humanize.IBytes(uint64(before)), humanize.IBytes(uint64(after)))
	}
	if len(done) == 0 && cres.Records > 0 {
		fmt.Fprintf(stdout, "archiver migrate: schema %d, up to date\n", from)
		return nil
	}
	if len(done) == 0 {
		fmt.Fprintf(stdout, "archiver migrate: schema %d, up to date; nothing to do\n", from)
		return nil
	}
	if _, err := archive.PublishCheckpoint(ctx, dir, o, cp); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	fmt.Fprintf(stdout, "archiver migrate: schema %d; applied %s in one transaction:\n", from, steps(len(done)))
	printSteps(stdout, done)
	to := from
	for _, s := range done {
		to = max(to, s.Version)
	}
	fmt.Fprintf(stdout, "archiver migrate: schema %d -> %d in %s\n", from, to, time.Since(start).Round(time.Millisecond))
	return nil
}

// printSteps lists steps one a line: number, name, description.
func printSteps(w io.Writer, steps []migrations.Step) {
	width := 0
	for _, s := range steps {
		width = max(width, len(s.Name))
	}
	for _, s := range steps {
		fmt.Fprintf(w, "   %3d  %-*s  %s\n", s.Version, width, s.Name, s.Desc)
	}
}

// transactions renders n transactions, in the plural unless n is 1.
func transactions(n int) string {
	if n == 1 {
		return "1 transaction"
	}
	return humanize.Comma(int64(n)) + " transactions"
}

// steps renders n steps, in the plural unless n is 1.
func steps(n int) string {
	if n == 1 {
		return "1 step"
	}
	return humanize.Comma(int64(n)) + " steps"
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}
