package emulator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"
)

// Launch statuses of a participating server.
const (
	statusPending    = "PENDING"
	statusInProgress = "IN_PROGRESS"
	statusLaunched   = "LAUNCHED"
	statusFailed     = "FAILED"
	statusTerminated = "TERMINATED"
)

// Job statuses.
const (
	jobPending   = "PENDING"
	jobStarted   = "STARTED"
	jobCompleted = "COMPLETED"
)

// Who initiated a job.
const (
	byDrill     = "START_DRILL"
	byRecovery  = "START_RECOVERY"
	byTerminate = "TERMINATE_RECOVERY_INSTANCES"
	byFailback  = "FAILBACK"
)

// Job log events, as enumerated by the DRS API.
const (
	evJobStart               = "JOB_START"
	evServerSkipped          = "SERVER_SKIPPED"
	evCleanupStart           = "CLEANUP_START"
	evCleanupEnd             = "CLEANUP_END"
	evCleanupFail            = "CLEANUP_FAIL"
	evSnapshotStart          = "SNAPSHOT_START"
	evSnapshotEnd            = "SNAPSHOT_END"
	evSnapshotFail           = "SNAPSHOT_FAIL"
	evUsingPreviousSnapshot  = "USING_PREVIOUS_SNAPSHOT"
	evUsingPreviousSnapshotX = "USING_PREVIOUS_SNAPSHOT_FAILED"
	evConversionStart        = "CONVERSION_START"
	evConversionEnd          = "CONVERSION_END"
	evConversionFail         = "CONVERSION_FAIL"
	evLaunchStart            = "LAUNCH_START"
	evLaunchFailed           = "LAUNCH_FAILED"
	evJobCancel              = "JOB_CANCEL"
	evJobEnd                 = "JOB_END"
)

// participant is one server taking part in a job.
type participant struct {
	serverID string
	planned  string // recovery instance the job works with
	instance string // recovery instance as currently reported
	status   string
}

// eventData is the eventData member of a job log item.
type eventData struct {
	ConversionProperties *conversionProps `json:"conversionProperties,omitempty"`
	ConversionServerID   string           `json:"conversionServerID,omitempty"`
	RawError             string           `json:"rawError,omitempty"`
	SourceServerID       string           `json:"sourceServerID,omitempty"`
	TargetInstanceID     string           `json:"targetInstanceID,omitempty"`
}

// conversionProps is the conversionProperties member of a log item.
type conversionProps struct {
	DataTimestamp         string                       `json:"dataTimestamp,omitempty"`
	ForceUefi             bool                         `json:"forceUefi"`
	RootVolumeName        string                       `json:"rootVolumeName,omitempty"`
	VolumeToConversionMap map[string]map[string]string `json:"volumeToConversionMap,omitempty"`
	VolumeToVolumeSize    map[string]int64             `json:"volumeToVolumeSize,omitempty"`
}

// plannedEvent is a log item a job will write once the history reaches it.
type plannedEvent struct {
	event string
	part  int // index into job.parts, or -1 for job-level events
	data  eventData
	// snapAge, when set, dates conversionProperties.dataTimestamp this long
	// before the job was created.
	snapAge time.Duration
	status  string // launch status of the participant after the event
	show    bool   // the participant reports its recovery instance from now on
	hide    bool   // the participant stops reporting its recovery instance
	gap     time.Duration
	extra   []member
}

// job is the mutable state of one job: the plan of everything it will log
// and how much of it has happened so far.
type job struct {
	id, arn, initiatedBy, jobType string
	tags                          map[string]string
	created, end                  stamp
	parts                         []participant
	plan                          []plannedEvent
	endGap                        time.Duration
	revealed                      int
	log                           []json.RawMessage
	prev                          time.Time // instant of the latest served timestamp
	extra                         bool
	raw                           json.RawMessage
}

// status reports the job status as of the revealed log.
func (j *job) status() string {
	switch {
	case j.revealed == 0:
		return jobPending
	case j.revealed >= len(j.plan):
		return jobCompleted
	default:
		return jobStarted
	}
}

// done reports whether the job has completed.
func (j *job) done() bool { return j.revealed >= len(j.plan) }

// reveal lets the next n planned events happen. They are placed after
// start (and after everything the job logged so far) and, where they fit,
// before limit. Revealing the last event ends the job.
func (j *job) reveal(r *rand.Rand, n int, start, limit time.Time) {
	n = min(n, len(j.plan)-j.revealed)
	if n <= 0 {
		return
	}
	if start.Before(j.prev) {
		start = j.prev
	}
	ending := j.revealed+n == len(j.plan)
	gaps := make([]time.Duration, 0, n+1)
	for _, ev := range j.plan[j.revealed : j.revealed+n] {
		gaps = append(gaps, ev.gap)
	}
	if ending {
		gaps = append(gaps, j.endGap)
	}
	times := spread(start, limit, gaps)
	for i := range n {
		ev := &j.plan[j.revealed]
		st := stampAfter(r, times[i], j.prev)
		j.prev = st.t
		j.apply(ev)
		data := ev.data
		if ev.snapAge > 0 && data.ConversionProperties != nil {
			cp := *data.ConversionProperties
			cp.DataTimestamp = newStamp(r, j.created.t.Add(-ev.snapAge)).s
			data.ConversionProperties = &cp
		}
		j.log = append(j.log, renderLogItem(ev.event, data, st.s, ev.extra))
		j.revealed++
	}
	if ending {
		j.end = stampAfter(r, times[n], j.prev)
		j.prev = j.end.t
	}
}

// apply updates the participants for an event that just happened.
func (j *job) apply(ev *plannedEvent) {
	if ev.part >= 0 {
		p := &j.parts[ev.part]
		if ev.status != "" {
			p.status = ev.status
		}
		if ev.show {
			p.instance = p.planned
		}
		if ev.hide {
			p.instance = ""
		}
	}
	switch ev.event {
	case evJobCancel:
		for i := range j.parts {
			if s := j.parts[i].status; s == statusPending || s == statusInProgress {
				j.parts[i].status = statusFailed
			}
		}
	case evJobEnd:
		for i := range j.parts {
			switch j.parts[i].status {
			case statusInProgress:
				j.parts[i].status = statusLaunched
			case statusPending:
				j.parts[i].status = statusFailed
			}
		}
	}
}

// logWire is the wire shape of a job log item.
type logWire struct {
	Event       string          `json:"event"`
	EventData   json.RawMessage `json:"eventData,omitempty"`
	LogDateTime string          `json:"logDateTime"`
}

// renderLogItem renders one served log item.
func renderLogItem(event string, data eventData, when string, extra []member) json.RawMessage {
	w := logWire{Event: event, LogDateTime: when}
	if d := mustMarshal(data); string(d) != "{}" {
		w.EventData = d
	}
	return withMembers(mustMarshal(w), extra...)
}

// Wire shapes of a job.
type (
	jobWire struct {
		Arn                  string            `json:"arn"`
		CreationDateTime     string            `json:"creationDateTime"`
		EndDateTime          string            `json:"endDateTime,omitempty"`
		InitiatedBy          string            `json:"initiatedBy"`
		JobID                string            `json:"jobID"`
		ParticipatingServers []partWire        `json:"participatingServers"`
		Status               string            `json:"status"`
		Tags                 map[string]string `json:"tags"`
		Type                 string            `json:"type"`
	}
	partWire struct {
		LaunchStatus       string `json:"launchStatus"`
		RecoveryInstanceID string `json:"recoveryInstanceID,omitempty"`
		SourceServerID     string `json:"sourceServerID"`
	}
)

// render re-renders the served bytes of the job.
func (j *job) render() {
	w := jobWire{
		Arn:                  j.arn,
		CreationDateTime:     j.created.s,
		InitiatedBy:          j.initiatedBy,
		JobID:                j.id,
		ParticipatingServers: make([]partWire, 0, len(j.parts)),
		Status:               j.status(),
		Tags:                 j.tags,
		Type:                 j.jobType,
	}
	if j.done() {
		w.EndDateTime = j.end.s
	}
	for _, p := range j.parts {
		w.ParticipatingServers = append(w.ParticipatingServers, partWire{
			LaunchStatus: p.status, RecoveryInstanceID: p.instance, SourceServerID: p.serverID,
		})
	}
	raw := mustMarshal(w)
	if j.extra {
		raw = withMembers(raw, unknownFuture, unknownScale)
	}
	j.raw = raw
}

// Realistic error texts, as EC2, EBS, KMS and the DRS launch workflow
// report them.

func launchError(r *rand.Rand, h *history, s *server) string {
	o := h.opts
	switch r.IntN(6) {
	case 0, 1:
		az := o.Region + string(rune('a'+r.IntN(3)))
		return fmt.Sprintf("An error occurred (InsufficientInstanceCapacity) when calling the RunInstances operation: We currently do not have sufficient %s capacity in the Availability Zone you requested (%s). Our system will be working on provisioning additional capacity. You can currently get %s capacity by not specifying an Availability Zone in your request or choosing %sb, %sc.",
			s.instanceType, az, s.instanceType, o.Region, o.Region)
	case 2:
		return "An error occurred (VolumeLimitExceeded) when calling the RunInstances operation: You have exceeded your maximum gp3 storage limit of 50 TiB in this region. Please contact AWS Support to request an Elastic Block Store service limit increase."
	case 3:
		return fmt.Sprintf("An error occurred (InvalidKMSKey.InvalidState) when calling the RunInstances operation: The KMS key provided is in an incorrect state: arn:aws:kms:%s:%s:key/%s is disabled.",
			o.Region, o.Account, randUUID(r))
	case 4:
		return fmt.Sprintf("EC2 returned an unexpected response: <Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>%s</RequestID></Response> & the launch was not retried",
			randUUID(r))
	default:
		return fmt.Sprintf("An error occurred (InvalidParameterValue) when calling the RunInstances operation: Value (subnet-%s) for parameter subnetId is invalid. Subnet does not exist or is not in the same VPC as security group sg-%s.",
			randHex(r, 17), randHex(r, 17))
	}
}

func conversionError(r *rand.Rand, h *history, s *server) string {
	o := h.opts
	switch r.IntN(4) {
	case 0, 1:
		return "Failed to create conversion server: UnauthorizedOperation: You are not authorized to perform this operation. Encoded authorization failure message: " + encodedFailure(r)
	case 2:
		return fmt.Sprintf("Failed to create conversion server: KMSKeyDisabled: The key arn:aws:kms:%s:%s:key/%s is disabled and cannot be used to decrypt volume vol-%s.",
			o.Region, o.Account, randUUID(r), randHex(r, 17))
	default:
		return fmt.Sprintf("Conversion failed: unable to find a bootable partition on root volume %s (%s).", s.disks[0].name, s.osName)
	}
}

func snapshotError(r *rand.Rand) string {
	if r.IntN(2) == 0 {
		return fmt.Sprintf("Snapshot snap-%s failed: Internal error while taking EBS snapshot", randHex(r, 17))
	}
	return "An error occurred (SnapshotCreationPerVolumeRateExceeded) when calling the CreateSnapshot operation: The maximum per volume CreateSnapshot request rate has been exceeded. Use an increasing or variable sleep interval between requests."
}

func previousSnapshotError(r *rand.Rand) string {
	id := randHex(r, 17)
	return fmt.Sprintf("Point in time snapshot snap-%s is no longer available: InvalidSnapshot.NotFound: The snapshot 'snap-%s' does not exist.", id, id)
}

func cleanupError(r *rand.Rand, instance string) string {
	if r.IntN(2) == 0 {
		return fmt.Sprintf("Failed to terminate recovery instance %s: An error occurred (OperationNotPermitted) when calling the TerminateInstances operation: The instance '%s' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.", instance, instance)
	}
	return fmt.Sprintf("Failed to terminate recovery instance %s: An error occurred (UnauthorizedOperation) when calling the TerminateInstances operation: You are not authorized to perform this operation. Encoded authorization failure message: %s", instance, encodedFailure(r))
}

func skipReason(s *server) string {
	return fmt.Sprintf("Source server %s (%s) was skipped: data replication is not healthy & no recovery snapshot is available for the requested point in time", s.id, s.hostname)
}

func failbackError(r *rand.Rand, s *server) string {
	return fmt.Sprintf("Failback client on %s stopped responding: connection to failback client timed out after %d seconds", s.nics[0].ips[0], 600+60*r.IntN(10))
}

// encodedFailure imitates the opaque blob AWS appends to authorization
// failures.
func encodedFailure(r *rand.Rand) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := make([]byte, 96+r.IntN(64))
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}
