// Package sync reads job history from AWS and commits it to the archive.
//
// It holds one fetcher per API (DRS DescribeJobs, DescribeJobLogItems,
// DescribeSourceServers, ListStagingAccounts, DescribeRecoverySnapshots (per
// source server, from its newest archived snapshot on) and
// DescribeRecoveryInstances; Snowball ListClusters and
// ListClusterJobs; SMS GetReplicationJobs) and the worker that pages through
// them for every region and account, hands each page to a single committer,
// and checkpoints progress in the archive itself. Import brings saved AWS
// CLI output of the same APIs into the archive the same way.
//
// Terms:
//   - page: one API response. Each page is committed in one bbolt transaction,
//     so a crash loses nothing already committed and never leaves half a page.
//   - raw body: the exact bytes of a response, captured by an SDK middleware so
//     that every field AWS returned, modelled by this SDK or not, is archived
//     verbatim.
//   - complete log: a job whose whole log was read while the job was already
//     COMPLETED. Its log is never read again.
//   - observation: a record of an object's state (a source server, a staging
//     account, a recovery instance, a Snowball or SMS job), kept only when
//     its fingerprint (the object less the members that move without the
//     state changing) differs from the last one kept. The members left out
//     and the adjustments made are the kind's state rule (stateRules), one
//     for sync's fingerprints and import's comparisons alike.
//   - imported state: saved AWS CLI output lacks the members the CLI's model
//     does not know. An imported object is the same state as an archived
//     one when, under the kind's state rule, the archived one holds each of
//     its members with the same value (sameImportedState); a sync compares
//     an imported current observation the same way.
//   - target: one region and account, the credentials of one profile or,
//     with --org-role, of the role assumed in an account AWS Organizations
//     lists (org.go). Targets are read side by side, TargetConcurrency at
//     a time, all feeding the one committer (targets.go); each has clients
//     and retryers of its own. A target that fails stops only itself: its
//     pages not yet committed are dropped, the others go on, and Run ends
//     with a TargetsError naming each failure.
//   - DRS not initialised: DRS's UninitializedAccountException in a target.
//     No failure: DRS is left out there, the run record carries the note
//     NotInitialised, and the other sources are read.
//   - run record: at the end of every run, good or failed, one small write
//     transaction records for each source and target what the run read and
//     added and how it ended (archive.SyncRun); --metrics-file gets the same
//     as Prometheus text. Credentials never reach either: messages quoting
//     them are redacted, in every form they travel in (see redactor).
//
// Sync never holds the archive open while it waits on the network, however
// many targets are in flight: fetchers only fetch, and the committer opens the file when it has pages to write,
// writes them, and closes it again, so that queries can run between batches.
// Sync never reads the index or the query layer.
package sync
