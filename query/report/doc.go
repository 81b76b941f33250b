// Package report answers 'archiver report' and 'archiver check': evidence
// of recoverability for each DRS source server over a period, measured from
// the archive alone (no network, no credentials, nothing written to the
// archive).
//
// Terms:
//   - launch: one source server's part in one drill (initiatedBy
//     START_DRILL) or recovery (START_RECOVERY) job. Its result is launched,
//     failed, skipped, cancelled or pending.
//   - job start: the logDateTime of the job's JOB_START log item, or the
//     job's creationDateTime when its log holds none.
//   - time to launch (RTO evidence): from the job start to the server's
//     LAUNCH_START log item, the event DRS writes when it launches the
//     recovery instance (its targetInstanceID). DRS writes no later event
//     for a launch that succeeds; the server's launchStatus in the job
//     (LAUNCHED) confirms it.
//   - recovery point (RPO evidence): from the point-in-time snapshot a
//     launch used to the job start. The snapshot's time is the
//     conversionProperties.dataTimestamp of the server's CONVERSION_END log
//     item, else the pointInTimeSnapshotDateTime of the recovery instance
//     the job launched.
//   - snapshot gap: the time between two consecutive recovery snapshots of
//     a server (their timestamp).
//   - replication time: how long a server spent in each
//     dataReplicationState and lag band, from its archived observations:
//     each holds from its capture until the next one, the last until the
//     last sync that saw it.
//
// Gather copies what a report needs out of one read transaction and
// releases the archive before Compute works on the copy, so a report never
// holds the archive lock while it computes. Which records are which is
// read from package kinds; this package never names a kind by string.
package report
