package sync

import (
	"context"

	"github.com/archiver-dev/archiver/archive"
)

// compressRecords compresses the records a sync stored before their kind
// had a compression dictionary (see archive.CompressRecords), after the
// last commit and with nothing fetched any more: a bounded transaction at
// a time, the archive opened for each and closed after it, so that
// queries get in between. An archive with nothing to compress is only
// looked at.
func compressRecords(ctx context.Context, o Options) error {
	_, err := archive.CompressRecordsIn(ctx, o.ArchiveDir, archive.Options{LockTimeout: o.LockTimeout, Waiting: o.Waiting}, archive.CompressOptions{})
	return err
}
