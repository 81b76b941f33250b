// Package archive owns the bbolt file that is the source of truth for every
// job history archiver keeps.
//
// Glossary:
//   - kind: what a record is, named after its AWS source ("drs.job",
//     "drs.jobLogItem", "drs.sourceServer", "drs.stagingAccount",
//     "drs.recoverySnapshot", "drs.recoveryInstance", "snowball.clusterJob",
//     "sms.replicationJob"). Each kind has a bucket of
//     its own.
//   - record: one AWS object kept verbatim (the exact JSON bytes AWS sent),
//     with its provenance beside it: region, account, when it was first and
//     last seen, and for an import the file it came from and its SHA-256
//     (imported data is the CLI's, compacted: one line, nothing else
//     changed).
//   - record key: 16 bytes, the record's own time (creation, log or capture
//     time; big-endian nanoseconds, so keys sort by time) followed by a
//     file-wide sequence number that makes it unique.
//   - identity: what names an object across syncs (kind, AWS ID, region,
//     account). The ids bucket maps an identity to its current record key.
//   - latest record: one record per identity, replaced when AWS reports a new
//     state (jobs).
//   - observation: a new record each time the object's state changes
//     (source-server snapshots, staging accounts, Snowball and SMS jobs);
//     unchanged states only move lastSeen. An observation older than the
//     current one (an import of old output) is kept as history.
//   - job log: the log items of one job by position. Log items carry no ID in
//     AWS, so their position in the job's listing is what names them.
//   - sync run record: what the last sync did for one source, region and
//     account (outcome, counts, last success), kept in the meta bucket under
//     "syncrun/SOURCE/REGION/ACCOUNT". It describes the syncs, not AWS: it is
//     no record, and never reaches the change log, the index or an export.
//
// The archive never reads the network, and it is opened only for as long as a
// batch of writes or a read takes, so that readers and the sync can take turns
// on the file lock.
//
// A damaged file (cut short below its high-water mark, or with a page bbolt
// cannot make sense of) is found when it is opened, by plain reads of its
// meta and every page in use, before bbolt walks the memory map; a read that
// still meets a broken page is stopped by recovering the fault or panic in
// the reading goroutine. Either way the error is a DamagedError (ErrDamaged).
package archive
