// Package s3dest writes a partitioned export to S3 or a directory: the
// records in Hive layout (kind=/region=/dt=, dt a month or a day), as
// gzip'd JSON Lines or zstd Parquet parts of a bounded size, then a
// manifest of every part with its SHA-256, each object written with
// If-None-Match (a file: only if absent) so that no export replaces
// another's objects, optionally under Object Lock and SSE-KMS.
//
// Write lays the records out over any ObjectStore; Store is the S3 one,
// made from NewClient, and DirStore the directory one; Run is the whole
// export command: it reads the archive, writes the parts and the manifest,
// and records in the archive how far the export to that destination got
// (for SinceLast).
package s3dest
