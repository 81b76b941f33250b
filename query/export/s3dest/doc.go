// Package s3dest writes a partitioned export to S3: the records as gzip'd
// JSON Lines in Hive layout (kind=/region=/dt=), then a manifest of every
// part, each object written with If-None-Match so that no export replaces
// another's objects, optionally under Object Lock and SSE-KMS.
//
// Write lays the records out over any ObjectStore; Store is the S3 one,
// made from NewClient; Run is the whole export command: it reads the
// archive, writes the parts and the manifest, and records in the archive how
// far the export to that destination got (for SinceLast).
package s3dest
