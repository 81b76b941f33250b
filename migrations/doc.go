// Package migrations owns the archive's schema history: an ordered list of
// numbered steps, each a function over one bbolt write transaction.
//
// Terms:
//   - schema version: the number of the last step applied to a file, kept in
//     the meta bucket under the key "schemaVersion".
//   - applied steps: the number and name of every step applied to a file,
//     one a line, in the meta bucket under "schemaSteps". A step is pending
//     when its name is not recorded, whatever the schema version says, so a
//     step merged after a higher-numbered one still reaches every file. Files
//     from before the record have their applied steps inferred from the
//     version (see Applied).
//   - released steps: testdata/released.txt lists the steps main has
//     released; a test refuses a released step renumbered or renamed and a
//     new step numbered at or below the highest released one.
//   - step: one change of layout (create buckets, rewrite records). A step is
//     frozen once released: it names its buckets literally rather than
//     borrowing the archive package's current constants, so that replaying it
//     on an old file always does the same thing.
//
// Every pending step runs inside the caller's single transaction, so a failure
// leaves the file exactly as it was. Migrations never read the network and
// never import the archive package (archive imports migrations).
package migrations
