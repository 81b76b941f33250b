package upkeep

import (
	"context"
	"fmt"
	"io"

	"github.com/dustin/go-humanize"

	"github.com/archiver-dev/archiver/archive"
)

// RunBackup writes a checked copy of the archive in dir to out (see
// archive.Backup) and says on stdout what it copied; o.Waiting, when nil,
// says waits for the archive's lock on stderr.
func RunBackup(ctx context.Context, dir, out string, o archive.BackupOptions, stdout, stderr io.Writer) error {
	if o.Waiting == nil {
		o.Waiting = func(msg string) { fmt.Fprintf(stderr, "archiver: %s\n", msg) }
	}
	res, err := archive.Backup(ctx, dir, out, o)
	if err != nil {
		return err
	}
	total := 0
	for _, n := range res.Counts {
		total += n
	}
	fmt.Fprintf(stdout, "archiver backup: %s, %s records as of change %d, schema %d, checked, to %s\n",
		humanize.IBytes(uint64(res.Size)), humanize.Comma(int64(total)), res.Position, res.Schema, out)
	return nil
}
