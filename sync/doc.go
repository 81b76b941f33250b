// Package sync reads job history from AWS and commits it to the archive.
//
// It holds one fetcher per API (DescribeJobs, DescribeJobLogItems,
// DescribeSourceServers) and the worker that pages through them, hands each
// page to a single committer, and checkpoints progress in the archive itself.
//
// Terms:
//   - page: one API response. Each page is committed in one bbolt transaction,
//     so a crash loses nothing already committed and never leaves half a page.
//   - raw body: the exact bytes of a response, captured by an SDK middleware so
//     that every field AWS returned, modelled by this SDK or not, is archived
//     verbatim.
//   - complete log: a job whose whole log was read while the job was already
//     COMPLETED. Its log is never read again.
//
// Sync never holds the archive open while it waits on the network: fetchers
// only fetch, and the committer opens the file when it has pages to write,
// writes them, and closes it again, so that queries can run between batches.
// Sync never reads the index or the query layer.
package sync
