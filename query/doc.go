// Package query answers questions from the archive alone: filters, query
// planning and output formats. It never reads the network and needs no
// credentials. The filters that take the full-text index (--text, server
// IDs, events, statuses) it hands to a Searcher, which the subpackage
// search provides; query itself links nothing of the index, so a program
// that answers the other filters starts without it. Exports are in the
// subpackages export (the sealed JSON document), export/s3dest (the
// partitioned export to S3) and ddl (the tables over it).
//
// Terms:
//   - record object: how one archived record is presented to people and
//     programs: {"kind": ..., provenance ..., "data": <the AWS object
//     verbatim>}, with "jobID" on log items and "capturedAt" on source-server
//     snapshots. The export and every output format use the same object.
//   - export: one JSON document holding a manifest and the record objects,
//     with a SHA-256 over the records so that an auditor can tell whether the
//     file was changed after it was written (package export).
package query
