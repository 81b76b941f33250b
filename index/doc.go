// Package index keeps the bleve full-text index beside the archive: log
// item events and raw errors, source-server replication errors, job and
// launch statuses and other human-readable messages as text; job, server
// and instance IDs and enums (event, status, type, initiatedBy, replication
// state) as keywords; and each record's time.
//
// The index is derived data. It never reads the network; it follows the
// archive's change log, and records in each batch the change-log position
// it reflects, so that after a crash between an archive commit and an index
// batch the next update catches up from the archive. Rebuild writes a new
// index beside the old one and switches to it atomically; an update
// (SyncWith) that finds the index's files damaged rebuilds it so, and
// RemoveLeftovers removes the directories of rebuilds that were killed.
package index
