package emulator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Data replication states a source server can be in.
const (
	stateContinuous   = "CONTINUOUS"
	stateInitialSync  = "INITIAL_SYNC"
	stateBacklog      = "BACKLOG"
	stateStalled      = "STALLED"
	stateDisconnected = "DISCONNECTED"
)

const (
	gib = int64(1) << 30
	mib = int64(1) << 20
)

// disk is one replicated disk of a source server.
type disk struct {
	name       string
	bytes      int64
	replicated int64
	backlog    int64
}

// nic is one network interface of a source server.
type nic struct {
	ips     []string
	mac     string
	primary bool
}

// replicationError is the dataReplicationError of a stalled or
// disconnected server.
type replicationError struct {
	code string
	raw  string
}

// server is the mutable state of one source server.
type server struct {
	id, arn string

	hostname, fqdn, osName, agentVersion  string
	instanceType, cpuModel                string
	sockets, cores                        int
	ram                                   int64
	windows                               bool
	disks                                 []disk
	nics                                  []nic
	awsInstanceID, vmwareUUID             string
	originAccount, originRegion, originAZ string
	stagingAZ                             string
	tags                                  map[string]string

	added, firstByte, lastUpdated, lastSeen stamp

	state        string
	lag          time.Duration
	eta          time.Time
	replErr      *replicationError
	stalledSince time.Time

	stagingStatus, stagingAccount, stagingArn string

	extra bool
	raw   json.RawMessage
}

// launchInfo is what the job history says about a server's last launch.
type launchInfo struct {
	jobID, apiCall, kind, status, instance string
}

var (
	hostRoles = []string{"web", "app", "db", "cache", "queue", "auth", "search", "files", "etl", "api", "report", "mail"}
	hostEnvs  = []string{"prod", "prod", "prod", "stg", "dr"}
	linuxOS   = []string{
		"Ubuntu 22.04.3 LTS",
		"Ubuntu 20.04.6 LTS",
		"Amazon Linux 2023.5.20240722",
		"Amazon Linux 2",
		"Red Hat Enterprise Linux release 8.9 (Ootpa)",
		"Rocky Linux release 9.3 (Blue Onyx)",
		"Debian GNU/Linux 12 (bookworm)",
		"SUSE Linux Enterprise Server 15 SP5",
	}
	windowsOS = []string{
		"Microsoft Windows Server 2019 Datacenter",
		"Microsoft Windows Server 2022 Standard",
		"Microsoft Windows Server 2016 Standard",
	}
	cpuModels = []string{
		"Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz",
		"Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz",
		"AMD EPYC 7R13 Processor",
		"Intel(R) Xeon(R) Silver 4214 CPU @ 2.20GHz",
	}
	agentVersions = []string{"4.7.1532.0", "4.6.1298.0", "4.5.1029.0"}
	originRegions = []string{"us-west-2", "eu-west-1", "us-east-2"}
)

// newServer creates source server number i of the initial history.
func (h *history) newServer(i int) *server {
	r, o, now := h.rng, h.opts, h.now
	s := &server{id: "s-" + h.uniqueHex()}
	s.arn = fmt.Sprintf("arn:aws:drs:%s:%s:source-server/%s", o.Region, o.Account, s.id)

	role := hostRoles[i%len(hostRoles)]
	env := hostEnvs[r.IntN(len(hostEnvs))]
	s.hostname = fmt.Sprintf("%s-%s-%02d", role, env, i/len(hostRoles)+1)
	s.windows = r.IntN(4) == 0
	if s.windows {
		s.osName = windowsOS[r.IntN(len(windowsOS))]
		s.hostname = strings.ToUpper(s.hostname)
	} else {
		s.osName = linuxOS[r.IntN(len(linuxOS))]
	}
	s.agentVersion = agentVersions[r.IntN(len(agentVersions))]
	s.cpuModel = cpuModels[r.IntN(len(cpuModels))]
	s.sockets = 1 + r.IntN(2)
	s.cores = []int{2, 4, 8, 16}[r.IntN(4)]
	s.ram = []int64{4, 8, 16, 32, 64}[r.IntN(5)] * gib
	s.instanceType = recommendInstance(s.sockets*s.cores, s.ram)
	s.stagingAZ = o.Region + string(rune('a'+r.IntN(3)))

	ip := fmt.Sprintf("10.%d.%d.%d", r.IntN(4), r.IntN(64), 4+r.IntN(250))
	var devPrefix string
	switch kind := r.IntN(20); {
	case kind < 10: // EC2 instance in another region
		s.awsInstanceID = "i-" + h.uniqueHex()
		s.originRegion = originRegions[r.IntN(len(originRegions))]
		s.originAZ = s.originRegion + string(rune('a'+r.IntN(3)))
		s.originAccount = o.Account
		s.fqdn = fmt.Sprintf("ip-%s.%s.compute.internal", strings.ReplaceAll(ip, ".", "-"), s.originRegion)
		s.nics = append(s.nics, nic{ips: []string{ip}, mac: randMAC(r, "0a"), primary: true})
		devPrefix = "/dev/nvme%dn1"
	case kind < 17: // VMware virtual machine
		s.vmwareUUID = randUUID(r)
		s.fqdn = s.hostname + ".corp.example.com"
		s.nics = append(s.nics, nic{ips: []string{ip}, mac: randMAC(r, "00:50:56"), primary: true})
		devPrefix = "/dev/sd%c"
	default: // physical machine
		s.fqdn = s.hostname + ".corp.example.com"
		s.nics = append(s.nics, nic{ips: []string{ip}, mac: randMAC(r, "3c:ec:ef"), primary: true})
		devPrefix = "/dev/sd%c"
	}
	if r.IntN(4) == 0 {
		second := fmt.Sprintf("172.16.%d.%d", r.IntN(32), 4+r.IntN(250))
		s.nics = append(s.nics, nic{ips: []string{second}, mac: randMAC(r, s.nics[0].mac[:2]), primary: false})
	}
	for d := range 1 + r.IntN(3) {
		size := int64(30+r.IntN(170)) * gib
		if d > 0 {
			size = int64(100+r.IntN(1900)) * gib
		}
		var name string
		switch {
		case s.windows:
			name = fmt.Sprintf(`\\.\PHYSICALDRIVE%d`, d)
		case strings.Contains(devPrefix, "nvme"):
			name = fmt.Sprintf(devPrefix, d)
		default:
			name = fmt.Sprintf(devPrefix, 'a'+d)
		}
		s.disks = append(s.disks, disk{name: name, bytes: size, replicated: size})
	}
	s.tags = map[string]string{"Name": s.hostname, "environment": env, "application": role}
	if r.IntN(3) == 0 {
		s.tags["cost-center"] = fmt.Sprintf("cc-%04d", 1000+r.IntN(200))
	}

	s.added = newStamp(r, now.Add(-historySpan-between(r, 5*24*time.Hour, 300*24*time.Hour)))
	s.firstByte = newStamp(r, s.added.t.Add(between(r, 2*time.Minute, 30*time.Minute)))
	s.lastUpdated = newStamp(r, now.Add(-between(r, time.Hour, 48*time.Hour)))
	s.lastSeen = newStamp(r, now.Add(-between(r, time.Second, time.Minute)))
	s.stagingStatus = "NOT_EXTENDED"
	s.setState(r, pickState(r), now)
	s.extra = !o.NoUnknownFields && (i == 0 || r.IntN(4) == 0)
	return s
}

// pickState draws an initial replication state, mostly CONTINUOUS.
func pickState(r *rand.Rand) string {
	switch x := r.IntN(100); {
	case x < 70:
		return stateContinuous
	case x < 78:
		return stateInitialSync
	case x < 86:
		return stateBacklog
	case x < 94:
		return stateStalled
	default:
		return stateDisconnected
	}
}

// setState moves s into state as of now, adjusting lag, errors and byte
// counters so they agree with the state.
func (s *server) setState(r *rand.Rand, state string, now time.Time) {
	prev := s.state
	s.state = state
	s.replErr = nil
	s.eta = time.Time{}
	switch state {
	case stateContinuous:
		for i := range s.disks {
			s.disks[i].replicated = s.disks[i].bytes
			s.disks[i].backlog = 0
		}
	case stateInitialSync:
		if prev == "" {
			// A server that is still syncing joined the service recently.
			s.added = newStamp(r, now.Add(-between(r, 6*time.Hour, 72*time.Hour)))
			s.firstByte = newStamp(r, s.added.t.Add(between(r, 2*time.Minute, 20*time.Minute)))
		}
		for i := range s.disks {
			s.disks[i].replicated = s.disks[i].bytes / 100 * int64(20+r.IntN(70))
			s.disks[i].backlog = 0
		}
		s.eta = now.Add(between(r, 2*time.Hour, 30*time.Hour))
	case stateBacklog:
		for i := range s.disks {
			s.disks[i].replicated = s.disks[i].bytes
		}
		s.disks[0].backlog = int64(1+r.IntN(20)) * gib
		s.eta = now.Add(between(r, 10*time.Minute, time.Hour))
	case stateStalled:
		s.stalledSince = now.Add(-between(r, time.Hour, 30*time.Hour))
		s.replErr = stalledError(r, s)
		s.disks[0].backlog = int64(2+r.IntN(40)) * gib
	case stateDisconnected:
		if prev == "" {
			s.lastSeen = newStamp(r, now.Add(-between(r, 2*24*time.Hour, 20*24*time.Hour)))
		}
		s.replErr = &replicationError{
			code: "AGENT_NOT_SEEN",
			raw:  "The AWS Replication Agent has not communicated with the service since " + s.lastSeen.s + ".",
		}
	}
	s.updateLag(r, now)
}

// updateLag recomputes the replication lag from the state as of now.
func (s *server) updateLag(r *rand.Rand, now time.Time) {
	switch s.state {
	case stateContinuous:
		s.lag = time.Duration(r.IntN(5)) * time.Second
	case stateInitialSync:
		s.lag = now.Sub(s.firstByte.t)
	case stateBacklog:
		s.lag = between(r, 4*time.Minute, 40*time.Minute)
	case stateStalled:
		s.lag = now.Sub(s.stalledSince)
	case stateDisconnected:
		s.lag = 0
	}
}

// stalledError draws a realistic reason for a stall.
func stalledError(r *rand.Rand, s *server) *replicationError {
	replIP := fmt.Sprintf("10.%d.%d.%d", 100+r.IntN(50), r.IntN(255), 4+r.IntN(250))
	switch r.IntN(5) {
	case 0:
		return &replicationError{"NOT_CONVERGING", fmt.Sprintf(
			"Replication is not converging: the source server writes data faster than it can be replicated (average change rate %d MiB/s, available bandwidth %d MiB/s).",
			30+r.IntN(40), 5+r.IntN(20))}
	case 1:
		return &replicationError{"SNAPSHOTS_FAILURE", fmt.Sprintf(
			"Failed to take EBS snapshot of staging volume vol-%s: SnapshotCreationPerVolumeRateExceeded: The maximum per volume CreateSnapshot request rate has been exceeded. Use an increasing or variable sleep interval between requests.",
			randHex(r, 17))}
	case 2:
		return &replicationError{"UNSTABLE_NETWORK", fmt.Sprintf(
			"Connection to replication server %s:1500 was reset %d times in the last hour; check firewall & proxy rules between <%s> and the staging area subnet.",
			replIP, 10+r.IntN(50), s.hostname)}
	case 3:
		return &replicationError{"FAILED_TO_LAUNCH_REPLICATION_SERVER", fmt.Sprintf(
			"An error occurred (InsufficientInstanceCapacity) when calling the RunInstances operation: We currently do not have sufficient t3.small capacity in the Availability Zone you requested (%s). Our system will be working on provisioning additional capacity.",
			s.stagingAZ)}
	default:
		return &replicationError{"FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER", fmt.Sprintf(
			"Agent could not connect to replication server on TCP port 1500: dial tcp %s:1500: i/o timeout", replIP)}
	}
}

// transition moves s to a different replication state, as a few servers
// do whenever the history moves on.
func (s *server) transition(r *rand.Rand, now time.Time) {
	switch s.state {
	case stateContinuous:
		if r.IntN(5) < 3 {
			s.setState(r, stateBacklog, now)
		} else {
			s.setState(r, stateStalled, now)
		}
	case stateBacklog, stateStalled, stateInitialSync:
		s.setState(r, stateContinuous, now)
	case stateDisconnected:
		// The agent came back and the server resynchronises its backlog.
		s.setState(r, stateBacklog, now)
	}
}

// tick moves the counters and clocks of s on to now.
func (s *server) tick(r *rand.Rand, now time.Time) {
	// A disconnected agent is not seen, so its lastSeen stays where it was.
	if s.state != stateDisconnected {
		s.lastSeen = newStamp(r, now.Add(-between(r, time.Second, time.Minute)))
	}
	for i := range s.disks {
		dk := &s.disks[i]
		switch s.state {
		case stateContinuous:
			dk.replicated = dk.bytes
			dk.backlog = int64(r.IntN(64)+1) * mib
		case stateInitialSync:
			dk.replicated = min(dk.bytes-mib, dk.replicated+(dk.bytes-dk.replicated)/4+int64(r.IntN(512))*mib)
		case stateBacklog:
			dk.backlog = max(mib, dk.backlog/2+int64(r.IntN(256))*mib)
		case stateStalled:
			dk.backlog += int64(1+r.IntN(512)) * mib
		}
	}
	if !s.eta.IsZero() {
		s.eta = now.Add(between(r, 10*time.Minute, 12*time.Hour))
	}
	s.updateLag(r, now)
}

// Wire shapes of a source server, in the member names the SDK reads.
type (
	serverWire struct {
		AgentVersion          string            `json:"agentVersion,omitempty"`
		Arn                   string            `json:"arn"`
		DataReplicationInfo   replInfoWire      `json:"dataReplicationInfo"`
		LastLaunchResult      string            `json:"lastLaunchResult"`
		LifeCycle             lifeCycleWire     `json:"lifeCycle"`
		RecoveryInstanceID    string            `json:"recoveryInstanceId,omitempty"`
		ReplicationDirection  string            `json:"replicationDirection"`
		SourceCloudProperties cloudWire         `json:"sourceCloudProperties"`
		SourceProperties      json.RawMessage   `json:"sourceProperties"`
		SourceServerID        string            `json:"sourceServerID"`
		StagingArea           stagingWire       `json:"stagingArea"`
		Tags                  map[string]string `json:"tags"`
	}
	replInfoWire struct {
		DataReplicationError      *replErrWire    `json:"dataReplicationError,omitempty"`
		DataReplicationInitiation *initiationWire `json:"dataReplicationInitiation,omitempty"`
		DataReplicationState      string          `json:"dataReplicationState"`
		EtaDateTime               string          `json:"etaDateTime,omitempty"`
		LagDuration               string          `json:"lagDuration,omitempty"`
		ReplicatedDisks           []replDiskWire  `json:"replicatedDisks"`
		StagingAvailabilityZone   string          `json:"stagingAvailabilityZone,omitempty"`
	}
	replErrWire struct {
		Error    string `json:"error"`
		RawError string `json:"rawError,omitempty"`
	}
	initiationWire struct {
		NextAttemptDateTime string     `json:"nextAttemptDateTime,omitempty"`
		StartDateTime       string     `json:"startDateTime"`
		Steps               []stepWire `json:"steps"`
	}
	stepWire struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	}
	replDiskWire struct {
		BackloggedStorageBytes int64  `json:"backloggedStorageBytes"`
		DeviceName             string `json:"deviceName"`
		ReplicatedStorageBytes int64  `json:"replicatedStorageBytes"`
		RescannedStorageBytes  int64  `json:"rescannedStorageBytes"`
		TotalStorageBytes      int64  `json:"totalStorageBytes"`
		VolumeStatus           string `json:"volumeStatus,omitempty"`
	}
	lifeCycleWire struct {
		AddedToServiceDateTime     string          `json:"addedToServiceDateTime"`
		ElapsedReplicationDuration string          `json:"elapsedReplicationDuration,omitempty"`
		FirstByteDateTime          string          `json:"firstByteDateTime,omitempty"`
		LastLaunch                 *lastLaunchWire `json:"lastLaunch,omitempty"`
		LastSeenByServiceDateTime  string          `json:"lastSeenByServiceDateTime"`
	}
	lastLaunchWire struct {
		Initiated initiatedWire `json:"initiated"`
		Status    string        `json:"status,omitempty"`
	}
	initiatedWire struct {
		APICallDateTime string `json:"apiCallDateTime"`
		JobID           string `json:"jobID"`
		Type            string `json:"type"`
	}
	cloudWire struct {
		OriginAccountID        string `json:"originAccountID,omitempty"`
		OriginAvailabilityZone string `json:"originAvailabilityZone,omitempty"`
		OriginRegion           string `json:"originRegion,omitempty"`
	}
	sourcePropsWire struct {
		Cpus                    []cpuWire  `json:"cpus"`
		Disks                   []diskWire `json:"disks"`
		IdentificationHints     hintsWire  `json:"identificationHints"`
		LastUpdatedDateTime     string     `json:"lastUpdatedDateTime"`
		NetworkInterfaces       []nicWire  `json:"networkInterfaces"`
		Os                      osWire     `json:"os"`
		RamBytes                int64      `json:"ramBytes"`
		RecommendedInstanceType string     `json:"recommendedInstanceType"`
		SupportsNitroInstances  bool       `json:"supportsNitroInstances"`
	}
	cpuWire struct {
		Cores     int    `json:"cores"`
		ModelName string `json:"modelName"`
	}
	diskWire struct {
		Bytes      int64  `json:"bytes"`
		DeviceName string `json:"deviceName"`
	}
	hintsWire struct {
		AwsInstanceID string `json:"awsInstanceID,omitempty"`
		Fqdn          string `json:"fqdn,omitempty"`
		Hostname      string `json:"hostname,omitempty"`
		VMwareUUID    string `json:"vmWareUuid,omitempty"`
	}
	nicWire struct {
		Ips        []string `json:"ips"`
		IsPrimary  bool     `json:"isPrimary"`
		MacAddress string   `json:"macAddress"`
	}
	osWire struct {
		FullString string `json:"fullString"`
	}
	stagingWire struct {
		ErrorMessage           string `json:"errorMessage,omitempty"`
		StagingAccountID       string `json:"stagingAccountID,omitempty"`
		StagingSourceServerArn string `json:"stagingSourceServerArn,omitempty"`
		Status                 string `json:"status"`
	}
)

// lastLaunchResult maps a participant launch status to the server's
// lastLaunchResult.
func lastLaunchResult(status string) string {
	switch status {
	case "":
		return "NOT_STARTED"
	case statusLaunched:
		return "SUCCEEDED"
	case statusFailed:
		return "FAILED"
	default:
		return "PENDING"
	}
}

// render re-renders the served bytes of s as of now.
func (s *server) render(now time.Time, li launchInfo) {
	props := sourcePropsWire{
		IdentificationHints:     hintsWire{AwsInstanceID: s.awsInstanceID, Fqdn: s.fqdn, Hostname: s.hostname, VMwareUUID: s.vmwareUUID},
		LastUpdatedDateTime:     s.lastUpdated.s,
		Os:                      osWire{FullString: s.osName},
		RamBytes:                s.ram,
		RecommendedInstanceType: s.instanceType,
		SupportsNitroInstances:  true,
	}
	for range s.sockets {
		props.Cpus = append(props.Cpus, cpuWire{Cores: s.cores, ModelName: s.cpuModel})
	}
	for _, d := range s.disks {
		props.Disks = append(props.Disks, diskWire{Bytes: d.bytes, DeviceName: d.name})
	}
	for _, n := range s.nics {
		props.NetworkInterfaces = append(props.NetworkInterfaces, nicWire{Ips: n.ips, IsPrimary: n.primary, MacAddress: n.mac})
	}
	propsRaw := mustMarshal(props)
	if s.extra {
		propsRaw = withMembers(propsRaw, unknownFw)
	}

	info := replInfoWire{DataReplicationState: s.state, StagingAvailabilityZone: s.stagingAZ}
	if s.state != stateDisconnected {
		info.LagDuration = isoDuration(s.lag)
	}
	if !s.eta.IsZero() {
		info.EtaDateTime = renderStamp(s.eta.Truncate(time.Second), layoutSecond).s
	}
	if s.replErr != nil {
		info.DataReplicationError = &replErrWire{Error: s.replErr.code, RawError: s.replErr.raw}
	}
	if s.state == stateInitialSync {
		info.DataReplicationInitiation = &initiationWire{StartDateTime: s.added.s, Steps: initiationSteps()}
	}
	for _, d := range s.disks {
		w := replDiskWire{DeviceName: d.name, TotalStorageBytes: d.bytes, ReplicatedStorageBytes: d.replicated, BackloggedStorageBytes: d.backlog, VolumeStatus: "REGULAR"}
		if s.state == stateDisconnected {
			w.TotalStorageBytes = 0
			w.VolumeStatus = ""
		}
		info.ReplicatedDisks = append(info.ReplicatedDisks, w)
	}

	lc := lifeCycleWire{
		AddedToServiceDateTime:     s.added.s,
		ElapsedReplicationDuration: isoDuration(now.Sub(s.firstByte.t)),
		FirstByteDateTime:          s.firstByte.s,
		LastSeenByServiceDateTime:  s.lastSeen.s,
	}
	if li.jobID != "" {
		lc.LastLaunch = &lastLaunchWire{
			Initiated: initiatedWire{APICallDateTime: li.apiCall, JobID: li.jobID, Type: li.kind},
			Status:    li.status,
		}
	}

	w := serverWire{
		AgentVersion:         s.agentVersion,
		Arn:                  s.arn,
		DataReplicationInfo:  info,
		LastLaunchResult:     lastLaunchResult(li.status),
		LifeCycle:            lc,
		RecoveryInstanceID:   li.instance,
		ReplicationDirection: "FAILOVER",
		SourceCloudProperties: cloudWire{
			OriginAccountID: s.originAccount, OriginAvailabilityZone: s.originAZ, OriginRegion: s.originRegion,
		},
		SourceProperties: propsRaw,
		SourceServerID:   s.id,
		StagingArea: stagingWire{
			StagingAccountID: s.stagingAccount, StagingSourceServerArn: s.stagingArn, Status: s.stagingStatus,
		},
		Tags: s.tags,
	}
	raw := mustMarshal(w)
	if s.extra {
		raw = withMembers(raw, unknownFuture)
	}
	s.raw = raw
}

// initiationSteps lists the replication initiation steps of a server whose
// initial sync is under way.
func initiationSteps() []stepWire {
	names := []string{
		"WAIT", "CREATE_SECURITY_GROUP", "LAUNCH_REPLICATION_SERVER", "BOOT_REPLICATION_SERVER",
		"AUTHENTICATE_WITH_SERVICE", "DOWNLOAD_REPLICATION_SOFTWARE", "CREATE_STAGING_DISKS",
		"ATTACH_STAGING_DISKS", "PAIR_REPLICATION_SERVER_WITH_AGENT",
		"CONNECT_AGENT_TO_REPLICATION_SERVER", "START_DATA_TRANSFER",
	}
	steps := make([]stepWire, len(names))
	for i, n := range names {
		steps[i] = stepWire{Name: n, Status: "SUCCEEDED"}
	}
	return steps
}

// matchesHardware reports whether id names the hardware of s: its EC2
// instance ID, VMware UUID or one of its MAC addresses.
func (s *server) matchesHardware(id string) bool {
	if id == "" {
		return true
	}
	if strings.EqualFold(id, s.awsInstanceID) || strings.EqualFold(id, s.vmwareUUID) {
		return true
	}
	for _, n := range s.nics {
		if strings.EqualFold(id, n.mac) {
			return true
		}
	}
	return false
}

// recommendInstance picks an EC2 instance type for the given size.
func recommendInstance(vcpus int, ram int64) string {
	ratio := ram / gib / int64(vcpus)
	family := "m5"
	switch {
	case ratio >= 8:
		family = "r5"
	case ratio <= 2:
		family = "c5"
	}
	size := "large"
	switch {
	case vcpus > 16:
		size = "8xlarge"
	case vcpus > 8:
		size = "4xlarge"
	case vcpus > 4:
		size = "2xlarge"
	case vcpus > 2:
		size = "xlarge"
	}
	return family + "." + size
}

// randHex returns n random lowercase hex digits.
func randHex(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

// randMAC returns a MAC address starting with prefix.
func randMAC(r *rand.Rand, prefix string) string {
	parts := strings.Split(prefix, ":")
	for len(parts) < 6 {
		parts = append(parts, randHex(r, 2))
	}
	return strings.Join(parts, ":")
}

// randUUID returns a random version 4 UUID in its textual form.
func randUUID(r *rand.Rand) string {
	h := randHex(r, 32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}
