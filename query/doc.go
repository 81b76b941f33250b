// Package query answers questions from the archive alone: filters, output
// formats and exports. It never reads the network and needs no credentials.
//
// Terms:
//   - record object: how one archived record is presented to people and
//     programs: {"kind": ..., provenance ..., "data": <the AWS object
//     verbatim>}, with "jobID" on log items and "capturedAt" on source-server
//     snapshots. The export and every output format use the same object.
//   - export: one JSON document holding a manifest and the record objects,
//     with a SHA-256 over the records so that an auditor can tell whether the
//     file was changed after it was written.
package query
