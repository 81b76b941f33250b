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
//
// A file whose free pages take a large share of it (after a first sync,
// the fragments its commits left) is then rewritten without them.
func compressRecords(ctx context.Context, o Options) error {
	ao := archive.Options{LockTimeout: o.LockTimeout, Waiting: o.Waiting}
	if _, err := archive.CompressRecordsIn(ctx, o.ArchiveDir, ao, archive.CompressOptions{}); err != nil {
		return err
	}
	_, _, _, err := archive.CompactSparseFile(ctx, o.ArchiveDir, ao)
	return err
}
