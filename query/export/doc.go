// Package export writes an archive, or the records a query selects, as one
// sealed JSON document, and checks such a document offline.
//
// An export is a manifest (what it holds, the hash of every record and the
// head of the archive's hash chain), the records, one a line, and a seal:
// the SHA-256 of every byte before it and, when signed, an ed25519
// signature of that hash. Write writes one; Verify checks one with no
// archive. The partitioned export to S3 is in the subpackage s3dest.
package export
