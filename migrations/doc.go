// Package migrations owns the archive's schema history: an ordered list of
// numbered steps, each a function over one bbolt write transaction.
//
// Terms:
//   - schema version: the number of the last step applied to a file, kept in
//     the meta bucket under the key "schemaVersion".
//   - step: one change of layout (create buckets, rewrite records). A step is
//     frozen once released: it names its buckets literally rather than
//     borrowing the archive package's current constants, so that replaying it
//     on an old file always does the same thing.
//
// Every pending step runs inside the caller's single transaction, so a failure
// leaves the file exactly as it was. Migrations never read the network and
// never import the archive package (archive imports migrations).
package migrations
