package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// configStream is the random stream of launch and replication
// configurations, networkStream that of source networks. They are streams
// of their own so that adding them left every other answer as it was, and
// the number of source networks changes no configuration.
const (
	configStream  = 0x636f6e66696773
	networkStream = 0x6e6574776f726b
)

// Values of the SDK's enums that the configurations use.
const (
	dispositionStopped = "STOPPED"
	dispositionStarted = "STARTED"

	rightSizingNone  = "NONE"
	rightSizingBasic = "BASIC"
	rightSizingInAWS = "IN_AWS"

	networkStopped    = "STOPPED"
	networkInProgress = "IN_PROGRESS"
	networkProtected  = "PROTECTED"
	networkError      = "ERROR"
)

// Drift rates: on each Advance about one in driftLaunch launch
// configurations, one in driftReplication replication configurations and one
// in driftNetwork source networks change (see drift).
const (
	driftLaunch      = 4
	driftReplication = 4
	driftNetwork     = 3
)

// versioned is a served object together with every state it was served in:
// raw is the current bytes, versions each distinct state since New in
// order, consecutive ones always different.
type versioned struct {
	raw      json.RawMessage
	versions []json.RawMessage
}

// set makes raw the current state, and a new version when it differs from
// the last one.
func (v *versioned) set(raw json.RawMessage) {
	v.raw = raw
	if n := len(v.versions); n == 0 || !bytes.Equal(v.versions[n-1], raw) {
		v.versions = append(v.versions, raw)
	}
}

// cloneVersions returns copies of the versions of v that the caller may
// keep.
func (v *versioned) cloneVersions() []json.RawMessage {
	out := make([]json.RawMessage, len(v.versions))
	for i, raw := range v.versions {
		out[i] = cloneRaw(raw)
	}
	return out
}

// launchConfig is the launch configuration of one source server.
type launchConfig struct {
	versioned
	serverID, name, templateID string
	disposition, rightSizing   string
	copyPrivateIP, copyTags    bool
	osByol, postLaunch         bool
	launchInto                 string // launchIntoEC2InstanceID, or ""
	extra                      bool
}

// pitRule is one rule of a replication configuration's point-in-time
// policy.
type pitRule struct {
	id                  int64
	units               string
	interval, retention int32
	enabled             bool
}

// configDisk is one replicated disk of a replication configuration.
type configDisk struct {
	device             string
	boot               bool
	staging, optimized string
	iops, throughput   int64
}

// replicationConfig is the replication configuration of one source server.
type replicationConfig struct {
	versioned
	serverID, name, subnet, instanceType string
	encryption, keyArn                   string
	routing, largeDisk                   string
	bandwidth                            int64
	dedicated, publicIP                  bool
	defaultGroup, autoNewDisks           bool
	groups                               []string
	disks                                []configDisk
	pit                                  []pitRule
	tags                                 map[string]string
	extra                                bool
}

// sourceNetwork is one source network: a VPC whose layout DRS protects.
type sourceNetwork struct {
	versioned
	id, arn, vpc, region, account string
	status, details               string
	stack, launchedVPC            string
	recovered                     *stamp // lastRecovery.apiCallDateTime, or nil
	recoveryResult                string
	tags                          map[string]string
	extra                         bool
}

// configHistory holds the launch and replication configurations of the
// source servers, by server ID, and the source networks. The
// configurations of a deleted server stay here, unserved, so that Restore
// brings them back as they were.
type configHistory struct {
	rng, netRNG     *rand.Rand
	noUnknown       bool
	region, account string
	launch          map[string]*launchConfig
	repl            map[string]*replicationConfig
	networks        []*sourceNetwork // ordered by ID
	subnets, groups []string
	ids             map[string]bool
}

// newConfigHistory generates the configurations of the servers of h and
// its source networks.
func newConfigHistory(h *history) *configHistory {
	o := h.opts
	ch := &configHistory{
		rng:       rand.New(rand.NewPCG(uint64(o.Seed), configStream)),
		netRNG:    rand.New(rand.NewPCG(uint64(o.Seed), networkStream)),
		noUnknown: o.NoUnknownFields,
		region:    o.Region,
		account:   o.Account,
		launch:    map[string]*launchConfig{},
		repl:      map[string]*replicationConfig{},
		ids:       map[string]bool{},
	}
	// A staging area is a subnet or two and a security group shared by
	// most servers, as replication templates set them up.
	ch.subnets = []string{"subnet-" + ch.uniqueHex(), "subnet-" + ch.uniqueHex()}
	ch.groups = []string{"sg-" + ch.uniqueHex(), "sg-" + ch.uniqueHex()}
	ch.ensure(h)

	accounts := []string{o.Account}
	if len(o.StagingAccounts) > 0 {
		accounts = append(accounts, o.StagingAccounts[0])
	}
	for i := range o.SourceNetworks {
		acct := o.Account
		if i == o.SourceNetworks-1 && len(accounts) > 1 && i > 0 {
			acct = accounts[1] // one network of another account
		}
		ch.networks = append(ch.networks, ch.newNetwork(i, acct, h.now))
	}
	slices.SortFunc(ch.networks, func(a, b *sourceNetwork) int { return strings.Compare(a.id, b.id) })
	for _, n := range ch.networks {
		ch.renderNetwork(n)
	}
	return ch
}

// uniqueHex returns 17 random lowercase hex digits not handed out before
// by ch, drawn from the configuration stream.
func (ch *configHistory) uniqueHex() string {
	return ch.uniqueHexOf(ch.rng)
}

// uniqueHexOf returns 17 random lowercase hex digits drawn from r, not
// handed out before by ch.
func (ch *configHistory) uniqueHexOf(r *rand.Rand) string {
	for {
		x := randHex(r, 17)
		if !ch.ids[x] {
			ch.ids[x] = true
			return x
		}
	}
}

// ensure gives every server of h that has none a launch and a replication
// configuration.
func (ch *configHistory) ensure(h *history) {
	for _, s := range h.servers {
		if _, ok := ch.launch[s.id]; !ok {
			lc := ch.newLaunch(s, len(ch.launch))
			ch.launch[s.id] = lc
			ch.renderLaunch(lc)
		}
		if _, ok := ch.repl[s.id]; !ok {
			rc := ch.newReplication(s)
			ch.repl[s.id] = rc
			ch.renderReplication(rc)
		}
	}
}

// newLaunch draws the launch configuration of s, the n-th one made.
func (ch *configHistory) newLaunch(s *server, n int) *launchConfig {
	r := ch.rng
	lc := &launchConfig{
		serverID:    s.id,
		name:        s.hostname,
		templateID:  "lt-" + ch.uniqueHex(),
		disposition: dispositionStopped,
		rightSizing: rightSizingBasic,
		copyTags:    r.IntN(3) != 0,
		postLaunch:  r.IntN(2) == 0,
	}
	if r.IntN(3) == 0 {
		lc.disposition = dispositionStarted
	}
	switch r.IntN(6) {
	case 0:
		lc.rightSizing = rightSizingNone
	case 1:
		lc.rightSizing = rightSizingInAWS
	}
	lc.copyPrivateIP = r.IntN(3) == 0
	lc.osByol = s.windows && r.IntN(2) == 0
	if r.IntN(8) == 0 {
		lc.launchInto = "i-" + ch.uniqueHex()
	}
	lc.extra = !ch.noUnknown && (n == 0 || r.IntN(5) == 0)
	return lc
}

// defaultPIT is the point-in-time policy DRS gives a new server: a
// snapshot every ten minutes kept an hour, hourly ones kept a day and
// daily ones kept a week.
func defaultPIT() []pitRule {
	return []pitRule{
		{id: 1, units: "MINUTE", interval: 10, retention: 60, enabled: true},
		{id: 2, units: "HOUR", interval: 1, retention: 24, enabled: true},
		{id: 3, units: "DAY", interval: 1, retention: 7, enabled: true},
	}
}

// newReplication draws the replication configuration of s.
func (ch *configHistory) newReplication(s *server) *replicationConfig {
	r := ch.rng
	rc := &replicationConfig{
		serverID:     s.id,
		name:         s.hostname,
		subnet:       ch.subnets[r.IntN(len(ch.subnets))],
		instanceType: "t3.small",
		encryption:   "DEFAULT",
		routing:      "PRIVATE_IP",
		largeDisk:    "GP3",
		defaultGroup: true,
		autoNewDisks: r.IntN(4) != 0,
		groups:       []string{},
		pit:          defaultPIT(),
		tags:         map[string]string{"drs-staging": "true"},
	}
	if r.IntN(5) == 0 {
		rc.instanceType = "m5.large"
	}
	if r.IntN(3) == 0 {
		rc.encryption = "CUSTOM"
		rc.keyArn = fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", ch.region, ch.account, randUUID(r))
	}
	if r.IntN(4) == 0 {
		rc.routing = "PUBLIC_IP"
		rc.publicIP = true
	}
	switch r.IntN(6) {
	case 0:
		rc.largeDisk = "ST1"
	case 1:
		rc.largeDisk = "AUTO"
	}
	if r.IntN(3) == 0 {
		rc.bandwidth = int64(50 * (1 + r.IntN(20)))
	}
	rc.dedicated = r.IntN(6) == 0
	if r.IntN(3) == 0 {
		rc.groups = append(rc.groups, ch.groups[r.IntN(len(ch.groups))])
		rc.defaultGroup = r.IntN(2) == 0
	}
	if env := s.tags["environment"]; env != "" {
		rc.tags["environment"] = env
	}
	for i, d := range s.disks {
		cd := configDisk{device: d.name, boot: i == 0, staging: "AUTO"}
		switch {
		case r.IntN(4) == 0:
			cd.staging = "GP3"
			cd.iops, cd.throughput = 3000, 125
		case d.bytes >= 500*gib:
			cd.optimized = "ST1"
		default:
			cd.optimized = "GP3"
		}
		rc.disks = append(rc.disks, cd)
	}
	rc.extra = !ch.noUnknown && r.IntN(5) == 0
	return rc
}

// newNetwork draws source network number i, of account acct.
func (ch *configHistory) newNetwork(i int, acct string, now time.Time) *sourceNetwork {
	r := ch.netRNG
	n := &sourceNetwork{id: "sn-" + ch.uniqueHexOf(r), vpc: "vpc-" + ch.uniqueHexOf(r), account: acct}
	n.arn = fmt.Sprintf("arn:aws:drs:%s:%s:source-network/%s", ch.region, ch.account, n.id)
	n.region = originRegions[r.IntN(len(originRegions))]
	env := hostEnvs[r.IntN(len(hostEnvs))]
	n.tags = map[string]string{"Name": fmt.Sprintf("%s-vpc-%02d", env, i+1), "environment": env}
	switch x := r.IntN(10); {
	case x < 6:
		n.status = networkProtected
	case x < 8:
		n.status = networkInProgress
	case x < 9:
		n.status = networkStopped
	default:
		n.setError(r)
	}
	if r.IntN(3) == 0 {
		n.stack = "drs-recovery-" + n.id
		n.launchedVPC = "vpc-" + ch.uniqueHexOf(r)
		at := newStamp(r, now.Add(-between(r, 24*time.Hour, historySpan)))
		n.recovered = &at
		n.recoveryResult = "SUCCESS"
		if r.IntN(4) == 0 {
			n.recoveryResult = "PARTIAL_SUCCESS"
		}
	}
	n.extra = !ch.noUnknown && i == 0
	return n
}

// setError puts n in the ERROR state with a reason.
func (n *sourceNetwork) setError(r *rand.Rand) {
	n.status = networkError
	n.details = [...]string{
		"Failed to describe VPC " + n.vpc + ": UnauthorizedOperation: You are not authorized to perform this operation.",
		"The source VPC " + n.vpc + " was not found in " + n.region + "; it may have been deleted.",
		"CloudFormation template export failed: Rate exceeded (Service: CloudFormation; Status Code: 400; Error Code: Throttling).",
	}[r.IntN(3)]
}

// advance lets the configurations drift as the history moves on: about
// one launch configuration in four changes (its launch disposition,
// right-sizing method, private IP or tag copying, or post-launch actions),
// about one replication configuration in four (its bandwidth throttling,
// point-in-time policy, replication server instance type, staging area
// tags or dedicated replication server) and about one source network in
// three moves on to its next replication status. At least one of each
// changes and, when there are two or more, at least one stays as it was.
func (ch *configHistory) advance(h *history) {
	r := ch.rng
	ch.ensure(h)
	launches := make([]*launchConfig, 0, len(h.servers))
	repls := make([]*replicationConfig, 0, len(h.servers))
	for _, s := range h.servers {
		launches = append(launches, ch.launch[s.id])
		repls = append(repls, ch.repl[s.id])
	}
	drift(r, len(launches), driftLaunch, func(i int) {
		launches[i].change(r)
		ch.renderLaunch(launches[i])
	})
	drift(r, len(repls), driftReplication, func(i int) {
		repls[i].change(r)
		ch.renderReplication(repls[i])
	})
	drift(ch.netRNG, len(ch.networks), driftNetwork, func(i int) {
		ch.networks[i].change(ch.netRNG)
		ch.renderNetwork(ch.networks[i])
	})
}

// drift calls change for about one in every of n objects: always for one
// drawn at random and, when n is two or more, never for another one drawn
// at random.
func drift(r *rand.Rand, n, every int, change func(i int)) {
	if n == 0 {
		return
	}
	forced, kept := r.IntN(n), -1
	if n > 1 {
		kept = (forced + 1 + r.IntN(n-1)) % n
	}
	for i := range n {
		if i != kept && (i == forced || r.IntN(every) == 0) {
			change(i)
		}
	}
}

// change changes one setting of a launch configuration.
func (lc *launchConfig) change(r *rand.Rand) {
	switch r.IntN(5) {
	case 0, 1:
		if lc.disposition == dispositionStopped {
			lc.disposition = dispositionStarted
		} else {
			lc.disposition = dispositionStopped
		}
	case 2:
		switch lc.rightSizing {
		case rightSizingNone:
			lc.rightSizing = rightSizingBasic
		case rightSizingBasic:
			lc.rightSizing = rightSizingInAWS
		default:
			lc.rightSizing = rightSizingNone
		}
	case 3:
		lc.copyPrivateIP = !lc.copyPrivateIP
	default:
		lc.copyTags = !lc.copyTags
		lc.postLaunch = !lc.postLaunch
	}
}

// change changes one setting of a replication configuration.
func (rc *replicationConfig) change(r *rand.Rand) {
	switch r.IntN(5) {
	case 0, 1:
		switch old := rc.bandwidth; {
		case old == 0 || r.IntN(3) == 0:
			rc.bandwidth = int64(50 * (1 + r.IntN(20)))
			if rc.bandwidth == old {
				rc.bandwidth += 50
			}
		default:
			rc.bandwidth = 0
		}
	case 2:
		rc.pit = slices.Clone(rc.pit)
		i := r.IntN(len(rc.pit))
		if rc.pit[i].units == "DAY" {
			rc.pit[i].retention = map[int32]int32{7: 14, 14: 30}[rc.pit[i].retention]
			if rc.pit[i].retention == 0 {
				rc.pit[i].retention = 7
			}
		} else {
			rc.pit[i].enabled = !rc.pit[i].enabled
		}
	case 3:
		if rc.instanceType == "t3.small" {
			rc.instanceType = "m5.large"
		} else {
			rc.instanceType = "t3.small"
		}
	default:
		rc.tags = maps.Clone(rc.tags)
		if _, ok := rc.tags["backup-window"]; ok {
			delete(rc.tags, "backup-window")
		} else {
			rc.tags["backup-window"] = fmt.Sprintf("%02d:00-%02d:00", r.IntN(24), r.IntN(24))
		}
		rc.dedicated = !rc.dedicated
	}
}

// change moves a source network on to its next replication status.
func (n *sourceNetwork) change(r *rand.Rand) {
	n.details = ""
	switch n.status {
	case networkInProgress:
		n.status = networkProtected
	case networkProtected:
		if r.IntN(2) == 0 {
			n.setError(r)
		} else {
			n.status = networkStopped
		}
	default: // STOPPED, ERROR
		n.status = networkInProgress
	}
}

// Wire shapes of the configurations and source networks, in the member
// names the SDK reads.
type (
	launchConfigWire struct {
		CopyPrivateIP                       bool           `json:"copyPrivateIp"`
		CopyTags                            bool           `json:"copyTags"`
		EC2LaunchTemplateID                 string         `json:"ec2LaunchTemplateID"`
		LaunchDisposition                   string         `json:"launchDisposition"`
		LaunchIntoInstanceProperties        launchIntoWire `json:"launchIntoInstanceProperties"`
		Licensing                           licensingWire  `json:"licensing"`
		Name                                string         `json:"name"`
		PostLaunchEnabled                   bool           `json:"postLaunchEnabled"`
		SourceServerID                      string         `json:"sourceServerID"`
		TargetInstanceTypeRightSizingMethod string         `json:"targetInstanceTypeRightSizingMethod"`
	}
	launchIntoWire struct {
		LaunchIntoEC2InstanceID string `json:"launchIntoEC2InstanceID,omitempty"`
	}
	licensingWire struct {
		OsByol bool `json:"osByol"`
	}
	replicationConfigWire struct {
		AssociateDefaultSecurityGroup       bool              `json:"associateDefaultSecurityGroup"`
		AutoReplicateNewDisks               bool              `json:"autoReplicateNewDisks"`
		BandwidthThrottling                 int64             `json:"bandwidthThrottling"`
		CreatePublicIP                      bool              `json:"createPublicIP"`
		DataPlaneRouting                    string            `json:"dataPlaneRouting"`
		DefaultLargeStagingDiskType         string            `json:"defaultLargeStagingDiskType"`
		EbsEncryption                       string            `json:"ebsEncryption"`
		EbsEncryptionKeyArn                 string            `json:"ebsEncryptionKeyArn,omitempty"`
		InternetProtocol                    string            `json:"internetProtocol"`
		Name                                string            `json:"name"`
		PitPolicy                           []pitRuleWire     `json:"pitPolicy"`
		ReplicatedDisks                     []configDiskWire  `json:"replicatedDisks"`
		ReplicationServerInstanceType       string            `json:"replicationServerInstanceType"`
		ReplicationServersSecurityGroupsIDs []string          `json:"replicationServersSecurityGroupsIDs"`
		SourceServerID                      string            `json:"sourceServerID"`
		StagingAreaSubnetID                 string            `json:"stagingAreaSubnetId"`
		StagingAreaTags                     map[string]string `json:"stagingAreaTags"`
		UseDedicatedReplicationServer       bool              `json:"useDedicatedReplicationServer"`
	}
	pitRuleWire struct {
		Enabled           bool   `json:"enabled"`
		Interval          int32  `json:"interval"`
		RetentionDuration int32  `json:"retentionDuration"`
		RuleID            int64  `json:"ruleID"`
		Units             string `json:"units"`
	}
	configDiskWire struct {
		DeviceName               string `json:"deviceName"`
		Iops                     int64  `json:"iops,omitempty"`
		IsBootDisk               bool   `json:"isBootDisk"`
		OptimizedStagingDiskType string `json:"optimizedStagingDiskType,omitempty"`
		StagingDiskType          string `json:"stagingDiskType"`
		Throughput               int64  `json:"throughput,omitempty"`
	}
	sourceNetworkWire struct {
		Arn                      string            `json:"arn"`
		CfnStackName             string            `json:"cfnStackName,omitempty"`
		LastRecovery             *lastRecoveryWire `json:"lastRecovery,omitempty"`
		LaunchedVpcID            string            `json:"launchedVpcID,omitempty"`
		ReplicationStatus        string            `json:"replicationStatus"`
		ReplicationStatusDetails string            `json:"replicationStatusDetails,omitempty"`
		SourceAccountID          string            `json:"sourceAccountID"`
		SourceNetworkID          string            `json:"sourceNetworkID"`
		SourceRegion             string            `json:"sourceRegion"`
		SourceVpcID              string            `json:"sourceVpcID"`
		Tags                     map[string]string `json:"tags"`
	}
	lastRecoveryWire struct {
		APICallDateTime    string `json:"apiCallDateTime"`
		LastRecoveryResult string `json:"lastRecoveryResult"`
	}
)

// renderLaunch renders the served bytes of a launch configuration.
func (ch *configHistory) renderLaunch(lc *launchConfig) {
	raw := mustMarshal(launchConfigWire{
		CopyPrivateIP:                       lc.copyPrivateIP,
		CopyTags:                            lc.copyTags,
		EC2LaunchTemplateID:                 lc.templateID,
		LaunchDisposition:                   lc.disposition,
		LaunchIntoInstanceProperties:        launchIntoWire{LaunchIntoEC2InstanceID: lc.launchInto},
		Licensing:                           licensingWire{OsByol: lc.osByol},
		Name:                                lc.name,
		PostLaunchEnabled:                   lc.postLaunch,
		SourceServerID:                      lc.serverID,
		TargetInstanceTypeRightSizingMethod: lc.rightSizing,
	})
	if lc.extra {
		raw = withMembers(raw, unknownFuture)
	}
	lc.set(raw)
}

// renderReplication renders the served bytes of a replication
// configuration.
func (ch *configHistory) renderReplication(rc *replicationConfig) {
	w := replicationConfigWire{
		AssociateDefaultSecurityGroup:       rc.defaultGroup,
		AutoReplicateNewDisks:               rc.autoNewDisks,
		BandwidthThrottling:                 rc.bandwidth,
		CreatePublicIP:                      rc.publicIP,
		DataPlaneRouting:                    rc.routing,
		DefaultLargeStagingDiskType:         rc.largeDisk,
		EbsEncryption:                       rc.encryption,
		EbsEncryptionKeyArn:                 rc.keyArn,
		InternetProtocol:                    "IPV4",
		Name:                                rc.name,
		ReplicationServerInstanceType:       rc.instanceType,
		ReplicationServersSecurityGroupsIDs: rc.groups,
		SourceServerID:                      rc.serverID,
		StagingAreaSubnetID:                 rc.subnet,
		StagingAreaTags:                     rc.tags,
		UseDedicatedReplicationServer:       rc.dedicated,
	}
	for _, p := range rc.pit {
		w.PitPolicy = append(w.PitPolicy, pitRuleWire{Enabled: p.enabled, Interval: p.interval, RetentionDuration: p.retention, RuleID: p.id, Units: p.units})
	}
	for _, d := range rc.disks {
		w.ReplicatedDisks = append(w.ReplicatedDisks, configDiskWire{
			DeviceName: d.device, Iops: d.iops, IsBootDisk: d.boot,
			OptimizedStagingDiskType: d.optimized, StagingDiskType: d.staging, Throughput: d.throughput,
		})
	}
	raw := mustMarshal(w)
	if rc.extra {
		raw = withMembers(raw, unknownScale)
	}
	rc.set(raw)
}

// renderNetwork renders the served bytes of a source network.
func (ch *configHistory) renderNetwork(n *sourceNetwork) {
	w := sourceNetworkWire{
		Arn:                      n.arn,
		CfnStackName:             n.stack,
		LaunchedVpcID:            n.launchedVPC,
		ReplicationStatus:        n.status,
		ReplicationStatusDetails: n.details,
		SourceAccountID:          n.account,
		SourceNetworkID:          n.id,
		SourceRegion:             n.region,
		SourceVpcID:              n.vpc,
		Tags:                     n.tags,
	}
	if n.recovered != nil {
		w.LastRecovery = &lastRecoveryWire{APICallDateTime: n.recovered.s, LastRecoveryResult: n.recoveryResult}
	}
	raw := mustMarshal(w)
	if n.extra {
		raw = withMembers(raw, unknownNotes)
	}
	n.set(raw)
}

// notFound is the answer of DRS to a call naming a source server it does
// not have.
func notFound(serverID string) *apiError {
	return &apiError{status: 404, code: "ResourceNotFoundException", message: fmt.Sprintf("source server %s does not exist", serverID)}
}

// getLaunchConfiguration serves GetLaunchConfiguration: the launch
// configuration of one source server.
func (h *history) getLaunchConfiguration(req request) ([]byte, *apiError) {
	if req.SourceServerID == "" {
		return nil, validationError("sourceServerID is required")
	}
	if _, ok := h.serverByID[req.SourceServerID]; !ok {
		return nil, notFound(req.SourceServerID)
	}
	return cloneRaw(h.cfg.launch[req.SourceServerID].raw), nil
}

// getReplicationConfiguration serves GetReplicationConfiguration: the
// replication configuration of one source server.
func (h *history) getReplicationConfiguration(req request) ([]byte, *apiError) {
	if req.SourceServerID == "" {
		return nil, validationError("sourceServerID is required")
	}
	if _, ok := h.serverByID[req.SourceServerID]; !ok {
		return nil, notFound(req.SourceServerID)
	}
	return cloneRaw(h.cfg.repl[req.SourceServerID].raw), nil
}

// describeSourceNetworks serves DescribeSourceNetworks, ordered by ID and
// filtered by ID, origin account and origin region.
func (h *history) describeSourceNetworks(req request) ([]byte, *apiError) {
	var f requestFilters
	if req.Filters != nil {
		f = *req.Filters
	}
	ids := slices.Sorted(slices.Values(f.SourceNetworkIDs))
	items := make([]json.RawMessage, 0, len(h.cfg.networks))
	for _, n := range h.cfg.networks {
		if len(ids) > 0 && !slices.Contains(ids, n.id) {
			continue
		}
		if f.OriginAccountID != "" && f.OriginAccountID != n.account {
			continue
		}
		if f.OriginRegion != "" && f.OriginRegion != n.region {
			continue
		}
		items = append(items, n.raw)
	}
	key := fmt.Sprintf("ids=%s|account=%s|region=%s", strings.Join(ids, ","), f.OriginAccountID, f.OriginRegion)
	lo, hi, next, aerr := page(OpDescribeSourceNetworks, key, len(items), req, maxPageSize)
	if aerr != nil {
		return nil, aerr
	}
	return envelope("items", items[lo:hi], next), nil
}

// LaunchConfigurations returns the served bytes of the launch
// configuration of every source server, in the order SourceServers lists
// the servers: what GetLaunchConfiguration answers for each.
func (s *Server) LaunchConfigurations() []json.RawMessage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]json.RawMessage, len(s.h.servers))
	for i, sv := range s.h.servers {
		out[i] = cloneRaw(s.h.cfg.launch[sv.id].raw)
	}
	return out
}

// LaunchConfigurationVersions returns every state the launch configuration
// of the source server serverID was served in since New, oldest first, the
// current one last; consecutive states always differ. A client that read
// it after New and after every Advance saw exactly these. It returns nil
// for an unknown or deleted server.
func (s *Server) LaunchConfigurationVersions(serverID string) []json.RawMessage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.h.serverByID[serverID]; !ok {
		return nil
	}
	return s.h.cfg.launch[serverID].cloneVersions()
}

// ReplicationConfigurations returns the served bytes of the replication
// configuration of every source server, in the order SourceServers lists
// the servers: what GetReplicationConfiguration answers for each.
func (s *Server) ReplicationConfigurations() []json.RawMessage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]json.RawMessage, len(s.h.servers))
	for i, sv := range s.h.servers {
		out[i] = cloneRaw(s.h.cfg.repl[sv.id].raw)
	}
	return out
}

// ReplicationConfigurationVersions returns every state the replication
// configuration of the source server serverID was served in since New, as
// LaunchConfigurationVersions does for launch configurations.
func (s *Server) ReplicationConfigurationVersions(serverID string) []json.RawMessage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.h.serverByID[serverID]; !ok {
		return nil
	}
	return s.h.cfg.repl[serverID].cloneVersions()
}

// SourceNetworks returns the served bytes of every source network, in the
// order DescribeSourceNetworks lists them: by ID.
func (s *Server) SourceNetworks() []json.RawMessage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]json.RawMessage, len(s.h.cfg.networks))
	for i, n := range s.h.cfg.networks {
		out[i] = cloneRaw(n.raw)
	}
	return out
}

// SourceNetworkIDs returns the IDs of every source network, in the order
// DescribeSourceNetworks lists them.
func (s *Server) SourceNetworkIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, len(s.h.cfg.networks))
	for i, n := range s.h.cfg.networks {
		out[i] = n.id
	}
	return out
}

// SourceNetworkVersions returns every state the source network
// networkID was served in since New, as LaunchConfigurationVersions does
// for launch configurations, or nil for an unknown or deleted network.
func (s *Server) SourceNetworkVersions(networkID string) []json.RawMessage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, n := range s.h.cfg.networks {
		if n.id == networkID {
			return n.cloneVersions()
		}
	}
	return nil
}

// DeleteSourceNetwork removes the source network networkID from the
// history, as the DeleteSourceNetwork API does: later listings no longer
// hold it. Restore puts it back as it was.
func (s *Server) DeleteSourceNetwork(networkID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.h
	i := slices.IndexFunc(h.cfg.networks, func(n *sourceNetwork) bool { return n.id == networkID })
	if i < 0 {
		return fmt.Errorf("delete source network %s: no such network", networkID)
	}
	put := cut(&h.cfg.networks, i)
	h.stash(networkID, func(*history) { put() })
	return nil
}
