package emulator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// SMS page sizes.
const (
	smsDefaultPage = 50
	smsMaxPage     = 100
)

// Replication job states.
const (
	smsJobPending   = "PENDING"
	smsJobActive    = "ACTIVE"
	smsJobFailed    = "FAILED"
	smsJobCompleted = "COMPLETED"
	smsJobPaused    = "PAUSED_ON_FAILURE"
)

// Replication run states and types.
const (
	smsRunActive    = "ACTIVE"
	smsRunFailed    = "FAILED"
	smsRunCompleted = "COMPLETED"
	smsRunMissed    = "MISSED"
	smsRunAutomatic = "AUTOMATIC"
	smsRunOnDemand  = "ON_DEMAND"
)

// pausedAfter is the number of consecutive failed runs that pause a job.
const pausedAfter = 3

// Profiles of a replication job in the initial history.
const (
	profileRunning   = iota // ACTIVE with a run under way
	profileIdle             // ACTIVE, waiting for its next run
	profileFailed           // FAILED: its IAM role is missing
	profileCompleted        // COMPLETED: a one-time migration
	profilePending          // PENDING: the first run is still ahead
	profilePaused           // PAUSED_ON_FAILURE: a disk it cannot replicate
	profileCount
)

// smsStages are the stages a replication run reports while it is active.
var smsStages = []string{"Preparing", "Uploading", "Converting", "Creating AMI"}

// vmManager is a virtualization manager the SMS connector reports from.
type vmManager struct {
	id, name, kind string
}

// smsRun is the mutable state of one replication run.
type smsRun struct {
	id, state, runType   string
	stage, progress      string
	statusMessage, amiID string
	description          string
	scheduled, completed epochStamp
	encrypted            bool
	kmsKeyID             string
	extra                []member
	raw                  json.RawMessage
}

// smsJob is the mutable state of one replication job.
type smsJob struct {
	id, serverID          string
	vm                    vmServerWire
	seed, next            epochStamp
	frequency             int // hours between runs
	runOnce               bool
	licenseType, roleName string
	latestAmiID           string
	state, statusMessage  string
	description           string
	keepAmis              int
	encrypted             bool
	kmsKeyID              string
	runs                  []*smsRun // oldest first
	failures              int       // consecutive failed runs
	extra                 []member
	raw                   json.RawMessage
}

// period is the time between two runs of j.
func (j *smsJob) period() time.Duration { return time.Duration(j.frequency) * time.Hour }

// lastRun returns the newest run of j, or nil.
func (j *smsJob) lastRun() *smsRun {
	if len(j.runs) == 0 {
		return nil
	}
	return j.runs[len(j.runs)-1]
}

// movable reports whether j can still change state.
func (j *smsJob) movable() bool {
	return j.state == smsJobPending || j.state == smsJobActive || j.state == smsJobPaused
}

// smsHistory is the synthetic Server Migration Service state of the
// account: replication jobs in creation order, each with its runs.
type smsHistory struct {
	opts     Options
	rng      *rand.Rand
	managers []vmManager
	jobs     []*smsJob
	byID     map[string]*smsJob
	ids      map[string]bool
}

// newSMSHistory generates the replication jobs described by o, which must
// be resolved. The first six jobs show every profile once, in a random
// order; later ones are mostly active.
func newSMSHistory(o Options) *smsHistory {
	r := rand.New(rand.NewPCG(uint64(o.Seed), smsStream))
	sh := &smsHistory{opts: o, rng: r, byID: map[string]*smsJob{}, ids: map[string]bool{}}
	sh.managers = []vmManager{
		{id: randUUID(r), name: "vcenter01.corp.example.com", kind: "VSPHERE"},
		{id: randUUID(r), name: "scvmm01.corp.example.com", kind: "SCVMM"},
		{id: randUUID(r), name: "hyperv01.corp.example.com", kind: "HYPERV-MANAGER"},
	}
	first := r.Perm(profileCount)
	for i := range o.SMSJobs {
		var profile int
		if i < len(first) {
			profile = first[i]
		} else {
			switch x := r.IntN(100); {
			case x < 30:
				profile = profileRunning
			case x < 60:
				profile = profileIdle
			case x < 70:
				profile = profileFailed
			case x < 85:
				profile = profileCompleted
			case x < 90:
				profile = profilePending
			default:
				profile = profilePaused
			}
		}
		j := sh.newJob(i, profile)
		sh.jobs = append(sh.jobs, j)
		sh.byID[j.id] = j
	}
	sh.render()
	return sh
}

// uniqueHex returns n random lowercase hex digits not handed out before.
func (sh *smsHistory) uniqueHex(n int) string {
	for {
		x := randHex(sh.rng, n)
		if !sh.ids[x] {
			sh.ids[x] = true
			return x
		}
	}
}

// smsDescriptions are job descriptions; empty ones are left out.
var smsDescriptions = []string{
	"", "Lift & shift of the order system", "Wave 2 <finance>", "Migrate to EC2 before the datacenter exit",
	"", "Nightly sync until cutover",
}

// newJob creates replication job number i of the initial history with the
// given profile.
func (sh *smsHistory) newJob(i, profile int) *smsJob {
	r, o, now := sh.rng, sh.opts, sh.opts.Now
	j := &smsJob{
		id:          "sms-job-" + sh.uniqueHex(17),
		serverID:    "s-" + sh.uniqueHex(8),
		frequency:   []int{4, 6, 12, 24}[r.IntN(4)],
		licenseType: "AWS",
		roleName:    "sms",
		keepAmis:    []int{0, 3, 5}[r.IntN(3)],
		description: smsDescriptions[r.IntN(len(smsDescriptions))],
	}
	j.vm = sh.newVM(i)
	if r.IntN(4) == 0 {
		j.licenseType = "BYOL"
	}
	if r.IntN(4) == 0 {
		j.roleName = "" // the service uses its default role
	}
	if r.IntN(3) == 0 {
		j.encrypted = true
		if r.IntN(2) == 0 {
			j.kmsKeyID = fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", o.Region, o.Account, randUUID(r))
		}
	}
	freq := j.period()
	switch profile {
	case profileRunning:
		k := 1 + r.IntN(6)
		start := now.Add(-between(r, 10*time.Minute, min(2*time.Hour, freq/2)))
		j.seed = renderEpoch(start.Add(-time.Duration(k) * freq))
		for n := range k {
			sh.pastRun(j, j.seed.t.Add(time.Duration(n)*freq))
		}
		j.state = smsJobActive
		sh.startRun(j, renderEpoch(start), smsRunAutomatic, "")
	case profileIdle:
		k := 1 + r.IntN(6)
		last := now.Add(-between(r, freq/2+time.Minute, freq-time.Minute))
		j.seed = renderEpoch(last.Add(-time.Duration(k-1) * freq))
		for n := range k {
			sh.pastRun(j, j.seed.t.Add(time.Duration(n)*freq))
		}
		j.state = smsJobActive
		j.next = renderEpoch(j.lastRun().scheduled.t.Add(freq))
	case profileFailed:
		j.roleName = "sms-migration-role"
		j.seed = renderEpoch(now.Add(-between(r, 2*24*time.Hour, 20*24*time.Hour)))
		msg := iamRoleError(o, j.roleName)
		run := sh.newRun(j, j.seed, smsRunAutomatic)
		run.state, run.statusMessage = smsRunFailed, msg
		run.completed = renderEpoch(j.seed.t.Add(between(r, 30*time.Second, 5*time.Minute)))
		j.state, j.statusMessage = smsJobFailed, "Replication job failed: "+msg
	case profileCompleted:
		j.runOnce = true
		j.seed = renderEpoch(now.Add(-between(r, 3*24*time.Hour, 60*24*time.Hour)))
		sh.pastRun(j, j.seed.t)
		run := j.lastRun()
		if run.state != smsRunCompleted {
			// A one-time migration that completed ended with a good run.
			sh.completeRun(j, run, renderEpoch(run.scheduled.t.Add(between(r, 20*time.Minute, 3*time.Hour))))
		}
		j.state = smsJobCompleted
	case profilePending:
		j.seed = renderEpoch(now.Add(between(r, time.Hour, 48*time.Hour)))
		j.next = j.seed
		j.state = smsJobPending
	case profilePaused:
		k := r.IntN(4)
		lastFail := now.Add(-between(r, time.Hour, 3*24*time.Hour))
		j.seed = renderEpoch(lastFail.Add(-time.Duration(k+pausedAfter-1) * freq))
		for n := range k {
			sh.pastRun(j, j.seed.t.Add(time.Duration(n)*freq))
		}
		// The disk fails every run from the first that tried it on.
		msg := unsupportedDiskError(j.vm)
		for n := k; j.state != smsJobPaused; n++ {
			at := renderEpoch(j.seed.t.Add(time.Duration(n) * freq))
			run := sh.newRun(j, at, smsRunAutomatic)
			sh.failRun(j, run, renderEpoch(at.t.Add(between(r, 2*time.Minute, 20*time.Minute))), msg)
		}
	}
	if !o.NoUnknownFields && (i == 0 || r.IntN(3) == 0) {
		j.extra = []member{unknownFuture}
	}
	return j
}

// vmEnvs are the environments VM names carry.
var vmEnvs = []string{"prod", "prod", "stg", "legacy"}

// newVM describes the VM that replication job number i replicates.
func (sh *smsHistory) newVM(i int) vmServerWire {
	r := sh.rng
	m := sh.managers[0]
	switch x := r.IntN(20); {
	case x >= 17:
		m = sh.managers[2]
	case x >= 14:
		m = sh.managers[1]
	}
	name := fmt.Sprintf("%s-%s-%02d", hostRoles[(i+3)%len(hostRoles)], vmEnvs[r.IntN(len(vmEnvs))], 1+r.IntN(9))
	vm := vmServerWire{VMName: name, VMManagerName: m.name, VMManagerType: m.kind}
	vm.VMServerAddress.VMManagerID = m.id
	if m.kind == "VSPHERE" {
		vm.VMServerAddress.VMID = fmt.Sprintf("vm-%d", 100+r.IntN(9900))
		vm.VMPath = "/Datacenter-1/vm/Production/" + name
	} else {
		vm.VMServerAddress.VMID = randUUID(r)
		vm.VMPath = `C:\ClusterStorage\Volume1\Hyper-V\` + name
	}
	return vm
}

// newRun appends a run of j scheduled at at; the caller sets its state.
func (sh *smsHistory) newRun(j *smsJob, at epochStamp, runType string) *smsRun {
	run := &smsRun{
		id:        "sms-run-" + sh.uniqueHex(17),
		runType:   runType,
		scheduled: at,
		encrypted: j.encrypted,
		kmsKeyID:  j.kmsKeyID,
	}
	if !sh.opts.NoUnknownFields && sh.rng.IntN(5) == 0 {
		run.extra = []member{unknownNotes}
	}
	j.runs = append(j.runs, run)
	return run
}

// pastRun appends a run of j scheduled at at that is over: mostly
// completed, now and then failed or missed, never so often failed that the
// job would have paused.
func (sh *smsHistory) pastRun(j *smsJob, at time.Time) {
	r := sh.rng
	run := sh.newRun(j, renderEpoch(at), smsRunAutomatic)
	switch x := r.IntN(10); {
	case x == 8 && j.failures+1 < pausedAfter:
		sh.failRun(j, run, renderEpoch(at.Add(between(r, 5*time.Minute, time.Hour))), transientError(r, j))
	case x == 9:
		run.state = smsRunMissed
		run.statusMessage = "Replication run was missed: the previous replication run had not completed at its scheduled start time"
	default:
		sh.completeRun(j, run, renderEpoch(at.Add(between(r, 20*time.Minute, j.period()/2))))
	}
}

// startRun appends an active run of j scheduled at at.
func (sh *smsHistory) startRun(j *smsJob, at epochStamp, runType, description string) {
	r := sh.rng
	run := sh.newRun(j, at, runType)
	run.state = smsRunActive
	run.description = description
	run.stage = smsStages[r.IntN(len(smsStages))]
	run.progress = fmt.Sprintf("%d%%", r.IntN(100))
	j.next = renderEpoch(at.t.Add(j.period()))
}

// completeRun ends run of j successfully at done with a new AMI.
func (sh *smsHistory) completeRun(j *smsJob, run *smsRun, done epochStamp) {
	run.state, run.completed = smsRunCompleted, done
	run.stage, run.progress, run.statusMessage = "", "", ""
	run.amiID = "ami-" + sh.uniqueHex(17)
	j.latestAmiID = run.amiID
	j.failures = 0
	j.statusMessage = ""
	if j.runOnce {
		j.state, j.next = smsJobCompleted, epochStamp{}
	}
}

// failRun ends run of j with msg at done. The job pauses after
// pausedAfter failures in a row.
func (sh *smsHistory) failRun(j *smsJob, run *smsRun, done epochStamp, msg string) {
	run.state, run.completed = smsRunFailed, done
	run.stage, run.progress, run.statusMessage = "", "", msg
	j.failures++
	j.statusMessage = "The latest replication run failed: " + msg
	if j.failures >= pausedAfter {
		j.state, j.next = smsJobPaused, epochStamp{}
		j.statusMessage = fmt.Sprintf("Replication job paused after %d consecutive failed replication runs. Last failure: %s", j.failures, msg)
	}
}

// advance moves about two in three of the jobs that can change on by one
// step within the window from old to now, and at least one when there is
// any: a pending job starts its first run, an active run completes (or now
// and then fails), an idle job starts its next run (on demand when its
// schedule is not due yet) and a paused job resumes with an on-demand run.
func (sh *smsHistory) advance(old, now time.Time) {
	r := sh.rng
	var movable []*smsJob
	for _, j := range sh.jobs {
		if j.movable() {
			movable = append(movable, j)
		}
	}
	if len(movable) == 0 {
		return
	}
	moved := false
	for _, j := range movable {
		if r.IntN(3) < 2 {
			sh.step(j, old, now)
			moved = true
		}
	}
	if !moved {
		sh.step(movable[r.IntN(len(movable))], old, now)
	}
	sh.render()
}

// step moves j on by one step within the window from old to now.
func (sh *smsHistory) step(j *smsJob, old, now time.Time) {
	r := sh.rng
	switch j.state {
	case smsJobPending:
		at := sh.nextStart(j, old, now)
		j.seed, j.state = at, smsJobActive
		sh.startRun(j, at, sh.runType(j, now), "")
	case smsJobPaused:
		j.state, j.statusMessage, j.failures = smsJobActive, "", 0
		sh.startRun(j, epochWithin(r, old, now), smsRunOnDemand, "Retry after fixing the source VM")
	case smsJobActive:
		run := j.lastRun()
		if run == nil || run.state != smsRunActive {
			sh.startRun(j, sh.nextStart(j, old, now), sh.runType(j, now), "")
			return
		}
		done := epochWithin(r, later(old, run.scheduled.t), now)
		if r.IntN(6) == 0 {
			sh.failRun(j, run, done, transientError(r, j))
		} else {
			sh.completeRun(j, run, done)
		}
	}
}

// nextStart is when the next run of j starts within the window from old to
// now: at its scheduled time when that falls in the window, otherwise at
// some time in it.
func (sh *smsHistory) nextStart(j *smsJob, old, now time.Time) epochStamp {
	if j.next.s != "" && j.next.t.After(old) && !j.next.t.After(now) {
		return j.next
	}
	return epochWithin(sh.rng, old, now)
}

// runType is the type of the next run of j started before now: a run
// started ahead of its schedule was started on demand.
func (sh *smsHistory) runType(j *smsJob, now time.Time) string {
	if j.next.s != "" && j.next.t.After(now) {
		return smsRunOnDemand
	}
	return smsRunAutomatic
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Wire shapes of a replication job, in the member names SMS serves.
type (
	smsJobWire struct {
		ReplicationJobID            string            `json:"replicationJobId"`
		ServerID                    string            `json:"serverId"`
		ServerType                  string            `json:"serverType"`
		VMServer                    vmServerWire      `json:"vmServer"`
		SeedReplicationTime         json.Number       `json:"seedReplicationTime,omitempty"`
		Frequency                   int               `json:"frequency"`
		RunOnce                     bool              `json:"runOnce"`
		NextReplicationRunStartTime json.Number       `json:"nextReplicationRunStartTime,omitempty"`
		LicenseType                 string            `json:"licenseType"`
		RoleName                    string            `json:"roleName,omitempty"`
		LatestAmiID                 string            `json:"latestAmiId,omitempty"`
		State                       string            `json:"state"`
		StatusMessage               string            `json:"statusMessage,omitempty"`
		Description                 string            `json:"description,omitempty"`
		NumberOfRecentAmisToKeep    int               `json:"numberOfRecentAmisToKeep"`
		Encrypted                   bool              `json:"encrypted"`
		KmsKeyID                    string            `json:"kmsKeyId,omitempty"`
		ReplicationRunList          []json.RawMessage `json:"replicationRunList"`
	}
	vmServerWire struct {
		VMServerAddress vmAddressWire `json:"vmServerAddress"`
		VMName          string        `json:"vmName"`
		VMManagerName   string        `json:"vmManagerName"`
		VMManagerType   string        `json:"vmManagerType"`
		VMPath          string        `json:"vmPath"`
	}
	vmAddressWire struct {
		VMManagerID string `json:"vmManagerId"`
		VMID        string `json:"vmId"`
	}
	smsRunWire struct {
		ReplicationRunID   string      `json:"replicationRunId"`
		State              string      `json:"state"`
		Type               string      `json:"type"`
		StageDetails       *stageWire  `json:"stageDetails,omitempty"`
		StatusMessage      string      `json:"statusMessage,omitempty"`
		AmiID              string      `json:"amiId,omitempty"`
		ScheduledStartTime json.Number `json:"scheduledStartTime,omitempty"`
		CompletedTime      json.Number `json:"completedTime,omitempty"`
		Description        string      `json:"description,omitempty"`
		Encrypted          bool        `json:"encrypted"`
		KmsKeyID           string      `json:"kmsKeyId,omitempty"`
	}
	stageWire struct {
		Stage         string `json:"stage"`
		StageProgress string `json:"stageProgress"`
	}
)

// render re-renders the served bytes of every job and run.
func (sh *smsHistory) render() {
	for _, j := range sh.jobs {
		runs := make([]json.RawMessage, 0, len(j.runs))
		for _, run := range j.runs {
			w := smsRunWire{
				ReplicationRunID:   run.id,
				State:              run.state,
				Type:               run.runType,
				StatusMessage:      run.statusMessage,
				AmiID:              run.amiID,
				ScheduledStartTime: json.Number(run.scheduled.s),
				CompletedTime:      json.Number(run.completed.s),
				Description:        run.description,
				Encrypted:          run.encrypted,
				KmsKeyID:           run.kmsKeyID,
			}
			if run.stage != "" {
				w.StageDetails = &stageWire{Stage: run.stage, StageProgress: run.progress}
			}
			run.raw = withMembers(mustMarshal(w), run.extra...)
			runs = append(runs, run.raw)
		}
		j.raw = withMembers(mustMarshal(smsJobWire{
			ReplicationJobID:            j.id,
			ServerID:                    j.serverID,
			ServerType:                  "VIRTUAL_MACHINE",
			VMServer:                    j.vm,
			SeedReplicationTime:         json.Number(j.seed.s),
			Frequency:                   j.frequency,
			RunOnce:                     j.runOnce,
			NextReplicationRunStartTime: json.Number(j.next.s),
			LicenseType:                 j.licenseType,
			RoleName:                    j.roleName,
			LatestAmiID:                 j.latestAmiID,
			State:                       j.state,
			StatusMessage:               j.statusMessage,
			Description:                 j.description,
			NumberOfRecentAmisToKeep:    j.keepAmis,
			Encrypted:                   j.encrypted,
			KmsKeyID:                    j.kmsKeyID,
			ReplicationRunList:          runs,
		}), j.extra...)
	}
}

// smsInput is the input of GetReplicationJobs.
type smsInput struct {
	ReplicationJobID *string `json:"replicationJobId"`
	NextToken        *string `json:"nextToken"`
	MaxResults       *int64  `json:"maxResults"`

	// cycle is Faults.RepeatTokens of the operation; see pageOf.
	cycle int
}

// invalidParameter builds a 400 InvalidParameterException, the error SMS
// answers bad input with.
func invalidParameter(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "InvalidParameterException", message: fmt.Sprintf(format, args...)}
}

// getReplicationJobs serves GetReplicationJobs: every job in creation
// order, or the one named by replicationJobId.
func (sh *smsHistory) getReplicationJobs(body []byte, cycle int) ([]byte, *apiError) {
	in := smsInput{cycle: cycle}
	if aerr := decodeJSON11(body, &in); aerr != nil {
		return nil, aerr
	}
	jobs, key := sh.jobs, ""
	if in.ReplicationJobID != nil && *in.ReplicationJobID != "" {
		j, ok := sh.byID[*in.ReplicationJobID]
		if !ok {
			return nil, invalidParameter("Replication job %s does not exist.", *in.ReplicationJobID)
		}
		jobs, key = []*smsJob{j}, "job="+j.id
	}
	lo, hi, next, perr := pageOf(OpGetReplicationJobs, key, len(jobs), in.MaxResults, in.NextToken, smsDefaultPage, smsMaxPage, in.cycle)
	if perr != nil {
		return nil, invalidParameter("%s", perr.msg)
	}
	items := make([]json.RawMessage, 0, hi-lo)
	for _, j := range jobs[lo:hi] {
		items = append(items, j.raw)
	}
	return envelope("replicationJobList", items, next), nil
}

// Realistic failure texts of replication runs.

func iamRoleError(o Options, role string) string {
	return fmt.Sprintf("Failed to start replication run: the IAM role %s (arn:aws:iam::%s:role/%s) does not exist or cannot be assumed by sms.amazonaws.com. Create it with the ServerMigrationServiceRole policy & a trust policy for sms.amazonaws.com, then retry.",
		role, o.Account, role)
}

func unsupportedDiskError(vm vmServerWire) string {
	if vm.VMManagerType == "VSPHERE" {
		return fmt.Sprintf("Unsupported disk: [datastore1] %s/%s_1.vmdk is a physical-mode raw device mapping <RDM>; only virtual disks can be replicated. Convert the disk to a virtual-mode RDM or VMDK & retry.",
			vm.VMName, vm.VMName)
	}
	return fmt.Sprintf(`Unsupported disk: %s\data.vhdx is a pass-through disk <not a virtual hard disk>; only VHD & VHDX files can be replicated.`, vm.VMPath)
}

func transientError(r *rand.Rand, j *smsJob) string {
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf("Uploading disk 0 failed: connection to %s timed out after 300 seconds & the upload was abandoned after 3 attempts", j.vm.VMManagerName)
	case 1:
		return fmt.Sprintf("ImportImage task import-ami-%s failed: ClientError: Unknown OS / Missing OS files.", randHex(r, 17))
	case 2:
		return "Failed to create AMI: An error occurred (SnapshotLimitExceeded) when calling the CreateSnapshot operation: The maximum number of snapshots has been reached."
	default:
		return fmt.Sprintf("Snapshot of %s failed on the VM manager: <vim.fault.FileLocked> Unable to access file since it is locked", j.vm.VMName)
	}
}
