package report

import (
	"time"

	"github.com/archiver-dev/archiver/internal/buildinfo"
)

// SchemaVersion names the layout of the JSON report (README.md, "Report
// JSON schema"). A change that removes or renames a member, or changes its
// meaning, takes a new version; new members may be added within one.
const SchemaVersion = "archiver.report/v1"

// Results of a launch.
const (
	ResultLaunched  = "launched"
	ResultFailed    = "failed"
	ResultSkipped   = "skipped"
	ResultCancelled = "cancelled"
	ResultPending   = "pending"
)

// Kinds of launch job.
const (
	KindDrill    = "drill"
	KindRecovery = "recovery"
)

// Report is the whole report; its JSON is the --format json document.
type Report struct {
	Schema      string         `json:"schema"`
	GeneratedAt time.Time      `json:"generatedAt"`
	Archiver    buildinfo.Info `json:"archiver"`
	Archive     ArchiveState   `json:"archive"`
	Filters     Filters        `json:"filters"`
	// Notes say how each figure is measured.
	Notes   []string `json:"notes"`
	Summary Summary  `json:"summary"`
	// Servers are the protected source servers, by hostname then ID.
	Servers []Server `json:"servers"`
}

// ArchiveState is the archive as the report read it.
type ArchiveState struct {
	Path string `json:"path"`
	// Position is the archive's change-log position when it was read.
	Position uint64 `json:"position"`
	// Checkpoint is the latest checkpoint of the archive's transparency log
	// ('archiver checkpoint' prints it); CheckpointWritten is false when
	// none was written yet and it is the log as it stood, unsigned.
	Checkpoint        string `json:"checkpoint"`
	CheckpointWritten bool   `json:"checkpointWritten"`
}

// Filters are the period and the selection the report covers.
type Filters struct {
	From          time.Time `json:"from"`
	To            time.Time `json:"to"`
	Regions       []string  `json:"regions,omitempty"`
	Accounts      []string  `json:"accounts,omitempty"`
	SourceServers []string  `json:"sourceServers,omitempty"`
}

// Summary is the report across servers.
type Summary struct {
	// Protected counts the source servers observed by the period's end or
	// taking part in a launch of it, and not deleted upstream before it;
	// Drilled those of them with a drill that launched in the period.
	Protected int `json:"protected"`
	Drilled   int `json:"drilled"`
	// Coverage is Drilled / Protected (0 with no servers).
	Coverage float64 `json:"coverage"`
	// Launches counts every launch of the period by result; SuccessRate is
	// launched / (launches that ended).
	Launches    int            `json:"launches"`
	ByResult    map[string]int `json:"byResult"`
	SuccessRate float64        `json:"successRate"`
	// Slowest are the launches with the longest time to launch, slowest
	// first (at most five).
	Slowest []LaunchRef `json:"slowest"`
	// NotDrilled are the protected servers with no drill that launched in
	// the period; NeverDrilled those with none in the whole archive.
	NotDrilled   []ServerRef `json:"notDrilled"`
	NeverDrilled []ServerRef `json:"neverDrilled"`
	// Failures groups the failed and skipped launches of every server by
	// cause.
	Failures []FailureGroup `json:"failures"`
}

// ServerRef names a source server.
type ServerRef struct {
	SourceServerID string `json:"sourceServerID"`
	Hostname       string `json:"hostname"`
}

// LaunchRef names a launch and its time to launch.
type LaunchRef struct {
	ServerRef
	JobID               string    `json:"jobID"`
	Kind                string    `json:"kind"`
	LaunchedAt          time.Time `json:"launchedAt"`
	TimeToLaunchSeconds float64   `json:"timeToLaunchSeconds"`
}

// Server is the evidence of one source server.
type Server struct {
	SourceServerID string `json:"sourceServerID"`
	Hostname       string `json:"hostname"`
	Region         string `json:"region"`
	Account        string `json:"account"`
	// Launches are its drills and recoveries in the period, oldest first.
	Launches []Launch `json:"launches"`
	// LastDrill is its last drill that launched, in the archive up to the
	// period's end; DaysSinceDrill the whole days from its launch to the
	// period's end. Both are absent when it was never drilled.
	LastDrill      *LaunchRef `json:"lastSuccessfulDrill,omitempty"`
	DaysSinceDrill *int       `json:"daysSinceDrill,omitempty"`
	// LastTimeToLaunch and LastRecoveryPoint are those of its latest launch
	// in the period that measured them.
	LastTimeToLaunch  *Measure    `json:"lastTimeToLaunch,omitempty"`
	LastRecoveryPoint *Measure    `json:"lastRecoveryPoint,omitempty"`
	Snapshots         Snapshots   `json:"snapshots"`
	Replication       Replication `json:"replication"`
	// Failures groups its failed and skipped launches by cause.
	Failures []FailureGroup `json:"failures"`
}

// Measure is one measured duration and the job it came from.
type Measure struct {
	JobID   string    `json:"jobID"`
	At      time.Time `json:"at"`
	Seconds float64   `json:"seconds"`
}

// Launch is one server's part in one drill or recovery job.
type Launch struct {
	JobID       string `json:"jobID"`
	Kind        string `json:"kind"`
	InitiatedBy string `json:"initiatedBy"`
	// JobStart is when the job started, from JobStartFrom ("JOB_START" or
	// "creationDateTime").
	JobStart     time.Time `json:"jobStart"`
	JobStartFrom string    `json:"jobStartFrom"`
	Result       string    `json:"result"`
	// LaunchStatus is the server's launchStatus in the job record.
	LaunchStatus string `json:"launchStatus,omitempty"`
	// LaunchedAt is the logDateTime of its LAUNCH_START log item, and
	// TimeToLaunchSeconds the time from JobStart to it, for a launch that
	// launched.
	LaunchedAt          *time.Time `json:"launchedAt,omitempty"`
	TimeToLaunchSeconds *float64   `json:"timeToLaunchSeconds,omitempty"`
	// SnapshotAt is the time of the point-in-time snapshot the launch used,
	// from SnapshotFrom; RecoveryPointSeconds the time from it to JobStart.
	SnapshotAt           *time.Time `json:"snapshotAt,omitempty"`
	SnapshotFrom         string     `json:"snapshotFrom,omitempty"`
	RecoveryPointSeconds *float64   `json:"recoveryPointSeconds,omitempty"`
	// FailedStep is the log event that failed or skipped the server, at
	// FailedAt, with its rawError and the AWS error code read from it.
	FailedStep string     `json:"failedStep,omitempty"`
	FailedAt   *time.Time `json:"failedAt,omitempty"`
	RawError   string     `json:"rawError,omitempty"`
	ErrorCode  string     `json:"errorCode,omitempty"`
}

// Snapshots are the server's recovery snapshots in the period.
type Snapshots struct {
	Count int `json:"count"`
	// LargestGapSeconds is the largest gap between two consecutive ones,
	// From and To their snapshot IDs and times; absent with fewer than
	// two.
	LargestGapSeconds *float64   `json:"largestGapSeconds,omitempty"`
	GapFromID         string     `json:"gapFromSnapshotID,omitempty"`
	GapFrom           *time.Time `json:"gapFrom,omitempty"`
	GapToID           string     `json:"gapToSnapshotID,omitempty"`
	GapTo             *time.Time `json:"gapTo,omitempty"`
	// Times are every snapshot's time, oldest first (the timeline's marks).
	Times []time.Time `json:"times"`
}

// Replication is the time a server spent in each replication state and
// lag band in the period, from its observations.
type Replication struct {
	Observations int `json:"observations"`
	// States maps dataReplicationState to seconds, LagBands the lag band
	// ("under 1m", ...; "none" without a lag) to seconds.
	States   map[string]float64 `json:"statesSeconds"`
	LagBands map[string]float64 `json:"lagBandsSeconds"`
	// OutsideContinuousSeconds is the observed time in any state but
	// CONTINUOUS; UnobservedSeconds the time of the period no observation
	// covers.
	OutsideContinuousSeconds float64 `json:"outsideContinuousSeconds"`
	UnobservedSeconds        float64 `json:"unobservedSeconds"`
	// Spans are the observed intervals, oldest first (the timeline's band).
	Spans []Span `json:"spans"`
}

// Span is one interval of one replication state.
type Span struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	State   string    `json:"state"`
	LagBand string    `json:"lagBand"`
}

// FailureGroup is the failed or skipped launches of one cause: the step
// (log event) and the AWS error code ("" when rawError names none).
type FailureGroup struct {
	Step      string `json:"step"`
	ErrorCode string `json:"errorCode"`
	Count     int    `json:"count"`
	// Failures are the jobs, servers and times; RawError an example.
	Failures []FailureRef `json:"failures"`
	RawError string       `json:"rawError"`
	// Fixed says whether a later launch of each server succeeded after its
	// last failure of this cause: FixedBy names that launch's job (per
	// server, in Failures).
	Fixed bool `json:"fixed"`
}

// FailureRef is one failure of a group.
type FailureRef struct {
	ServerRef
	JobID   string    `json:"jobID"`
	At      time.Time `json:"at"`
	FixedBy string    `json:"fixedByJobID,omitempty"`
}
