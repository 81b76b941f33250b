package kinds

// The kinds archiver keeps.
const (
	DRSJob            Kind = "drs.job"
	DRSJobLogItem     Kind = "drs.jobLogItem"
	DRSSourceServer   Kind = "drs.sourceServer"
	DRSStagingAccount Kind = "drs.stagingAccount"
	// DRSRecoverySnapshot is a point-in-time snapshot of a source server,
	// kept once by its snapshotID: snapshots never change once taken.
	DRSRecoverySnapshot Kind = "drs.recoverySnapshot"
	// DRSRecoveryInstance is a recovery instance launched by a drill or
	// recovery job, observed like a source server.
	DRSRecoveryInstance Kind = "drs.recoveryInstance"
	// DRSLaunchConfiguration and DRSReplicationConfiguration are a source
	// server's launch and replication settings, and DRSSourceNetwork a
	// protected VPC: each a new record when its settings change.
	DRSLaunchConfiguration      Kind = "drs.launchConfiguration"
	DRSReplicationConfiguration Kind = "drs.replicationConfiguration"
	DRSSourceNetwork            Kind = "drs.sourceNetwork"
	SnowballJob                 Kind = "snowball.clusterJob"
	SMSJob                      Kind = "sms.replicationJob"
)

// The sync sources.
const (
	SourceDRS      = "drs"
	SourceSnowball = "snowball"
	SourceSMS      = "sms"
)

// DRS jobs: one record per job, its latest state.
var drsJob = &Spec{
	Kind: DRSJob, Code: 0, Short: "job", Noun: "DRS job", Plural: "DRS jobs",
	Source: SourceDRS, Operation: "DescribeJobs", ListMember: "items",
	IDMember: "jobID", TimeMember: "creationDateTime", ARNMember: "arn",
	Class: Latest, Sweep: SweepListing,
	Index:  IndexRule{OwnJob: true},
	IDForm: FormDRSJob, JobForm: true,
	Summary: drsJobSummary,
	CLI:     "aws drs describe-jobs", Progress: "job",
	Marks: []string{"jobID"},
}

// DRS job log items: the items of each job's log, by position.
var drsJobLogItem = &Spec{
	Kind: DRSJobLogItem, Code: 1, Short: "log", Noun: "DRS job log item", Plural: "DRS job log items",
	Source: SourceDRS, Operation: "DescribeJobLogItems", PerParent: "job", Parent: ParentJob, ListMember: "items",
	TimeMember: "logDateTime",
	Class:      LogItem,
	Summary:    drsLogItemSummary,
	CLI:        "aws drs describe-job-log-items --job-id drsjob-...", Progress: "log item",
	Marks: []string{"event", "logDateTime"},
	// Items that carry an error are few, and they are what reviewers
	// search for.
	StoreAlone: carriesRawError,
}

// DRS source servers: a new record when the state changes.
var drsSourceServer = &Spec{
	Kind: DRSSourceServer, Code: 2, Short: "server", Noun: "DRS source server", Plural: "DRS source servers",
	Source: SourceDRS, Operation: "DescribeSourceServers", ListMember: "items",
	IDMember: "sourceServerID", ARNMember: "arn",
	Class: Observation, Sweep: SweepListing,
	State: State{
		// Clocks and byte counters move on every call without the
		// server's state changing; lag counts by its band.
		Volatile: [][]string{
			{"lifeCycle", "lastSeenByServiceDateTime"},
			{"lifeCycle", "elapsedReplicationDuration"},
			{"dataReplicationInfo", "etaDateTime"},
			{"dataReplicationInfo", "replicatedDisks"},
			{"sourceProperties", "lastUpdatedDateTime"},
		},
		Adjust: func(m map[string]any) {
			if info, ok := m["dataReplicationInfo"].(map[string]any); ok {
				if lag, ok := info["lagDuration"].(string); ok {
					info["lagDuration"] = LagBand(lag)
				}
			}
		},
	},
	Index:   IndexRule{IDIsServer: true},
	IDForm:  FormSourceServer,
	Summary: drsSourceServerSummary,
	CLI:     "aws drs describe-source-servers", Progress: "server",
	Marks: []string{"sourceServerID"},
}

// DRS staging accounts (ListStagingAccounts), observed like source servers.
var drsStagingAccount = &Spec{
	Kind: DRSStagingAccount, Code: 5, Short: "staging", Noun: "DRS staging account", Plural: "DRS staging accounts",
	Source: SourceDRS, Operation: "ListStagingAccounts", ListMember: "accounts",
	IDMember: "accountID",
	Class:    Observation,
	IDForm:   FormStagingAccount,
	Summary:  func(id string, _ []byte) Summary { return Summary{ID: id} },
	CLI:      "aws drs list-staging-accounts",
}

// DRS recovery snapshots: each kept once, read per source server from the
// newest archived one on.
var drsRecoverySnapshot = &Spec{
	Kind: DRSRecoverySnapshot, Code: 6, Short: "snapshot", Noun: "DRS recovery snapshot", Plural: "DRS recovery snapshots",
	Source: SourceDRS, Operation: "DescribeRecoverySnapshots", PerParent: "source server", ListMember: "items",
	IDMember: "snapshotID", ParentMember: "sourceServerID", TimeMember: "timestamp",
	Class:   Latest,
	Index:   IndexRule{IDIsText: true},
	IDForm:  FormRecoverySnapshot,
	Summary: recoverySnapshotSummary,
	CLI:     "aws drs describe-recovery-snapshots --source-server-id s-...",
	Marks:   []string{"snapshotID"},
}

// DRS recovery instances: a new record when the state changes. The
// record's time is the pointInTimeSnapshotDateTime the instance was
// launched from, so that a query by time finds it beside its snapshot.
var drsRecoveryInstance = &Spec{
	Kind: DRSRecoveryInstance, Code: 7, Short: "instance", Noun: "DRS recovery instance", Plural: "DRS recovery instances",
	Source: SourceDRS, Operation: "DescribeRecoveryInstances", ListMember: "items",
	IDMember: "recoveryInstanceID", TimeMember: "pointInTimeSnapshotDateTime", ARNMember: "arn",
	Class: Observation,
	State: State{
		// Clocks, and the byte counters and lag of failback replication.
		Volatile: [][]string{
			{"recoveryInstanceProperties", "lastUpdatedDateTime"},
			{"dataReplicationInfo", "etaDateTime"},
			{"dataReplicationInfo", "lagDuration"},
			{"dataReplicationInfo", "replicatedDisks"},
		},
	},
	Index: IndexRule{JobIsText: true, Text: func(m map[string]any) []string {
		// isDrill is a boolean: say what it means in words.
		if drill, ok := m["isDrill"].(bool); ok && drill {
			return []string{"drill instance"}
		} else if ok {
			return []string{"recovery instance"}
		}
		return nil
	}},
	IDForm:  FormRecoveryInstance,
	Summary: recoveryInstanceSummary,
	CLI:     "aws drs describe-recovery-instances",
	Marks:   []string{"recoveryInstanceID"},
}

// DRS launch configurations (GetLaunchConfiguration of each source
// server): what a launch of the server would do, a new record when it
// changes, filed under the server's ID.
var drsLaunchConfiguration = &Spec{
	Kind: DRSLaunchConfiguration, Code: 8, Short: "launch", Noun: "DRS launch configuration", Plural: "DRS launch configurations",
	Source: SourceDRS, Operation: "GetLaunchConfiguration", PerParent: "source server",
	IDMember: "sourceServerID",
	Class:    Observation, Sweep: SweepListing,
	Index:   IndexRule{IDIsServer: true},
	IDForm:  FormSourceServer,
	Summary: launchConfigurationSummary,
	CLI:     "aws drs get-launch-configuration --source-server-id s-...",
	Marks:   []string{"launchDisposition", "targetInstanceTypeRightSizingMethod", "ec2LaunchTemplateID"},
}

// DRS replication configurations (GetReplicationConfiguration of each
// source server): how the server replicates and which recovery points it
// keeps, a new record when they change, filed under the server's ID.
var drsReplicationConfiguration = &Spec{
	Kind: DRSReplicationConfiguration, Code: 9, Short: "repl", Noun: "DRS replication configuration", Plural: "DRS replication configurations",
	Source: SourceDRS, Operation: "GetReplicationConfiguration", PerParent: "source server",
	IDMember: "sourceServerID",
	Class:    Observation, Sweep: SweepListing,
	Index:   IndexRule{IDIsServer: true},
	IDForm:  FormSourceServer,
	Summary: replicationConfigurationSummary,
	CLI:     "aws drs get-replication-configuration --source-server-id s-...",
	Marks:   []string{"replicationServerInstanceType", "stagingAreaSubnetId", "pitPolicy"},
}

// DRS source networks (DescribeSourceNetworks): the VPCs DRS protects, a
// new record when one changes.
var drsSourceNetwork = &Spec{
	Kind: DRSSourceNetwork, Code: 10, Short: "network", Noun: "DRS source network", Plural: "DRS source networks",
	Source: SourceDRS, Operation: "DescribeSourceNetworks", ListMember: "items",
	IDMember: "sourceNetworkID", ARNMember: "arn",
	Class: Observation, Sweep: SweepListing,
	Index: IndexRule{IDIsText: true, StatusMembers: []string{"replicationStatus"}, Text: func(m map[string]any) []string {
		if s, ok := m["replicationStatusDetails"].(string); ok && s != "" {
			return []string{s}
		}
		return nil
	}},
	IDForm:  FormSourceNetwork,
	Summary: sourceNetworkSummary,
	CLI:     "aws drs describe-source-networks",
	Marks:   []string{"sourceNetworkID"},
}

// Snowball cluster jobs (ListClusterJobs of each cluster): a new record
// when the entry changes; the record's time is the job's CreationDate.
var snowballJob = &Spec{
	Kind: SnowballJob, Code: 3, Short: "snowball", Noun: "Snowball cluster job", Plural: "Snowball cluster jobs",
	Source: SourceSnowball, Operation: "ListClusterJobs", PerParent: "cluster", Parent: ParentCluster, ListMember: "JobListEntries",
	IDMember: "JobId", TimeMember: "CreationDate",
	Class: Observation, Sweep: SweepParent,
	State:  State{Adjust: func(m map[string]any) { normalizeTimes(m, "CreationDate") }},
	IDForm: FormSnowballJob, JobForm: true, ParentForm: FormSnowballCluster,
	Summary: snowballJobSummary,
	CLI:     "aws snowball list-cluster-jobs --cluster-id CID...", Progress: "Snowball job",
}

// SMS replication jobs, with their runs: a new record when the job or one
// of its runs changes state; the record's time is seedReplicationTime.
var smsJob = &Spec{
	Kind: SMSJob, Code: 4, Short: "sms", Noun: "SMS replication job", Plural: "SMS replication jobs",
	Source: SourceSMS, Operation: "GetReplicationJobs", ListMember: "replicationJobList",
	IDMember: "replicationJobId", TimeMember: "seedReplicationTime",
	Class: Observation, Sweep: SweepListing,
	State: State{
		// The next scheduled run and a stage's progress counter move
		// without the job's state changing; times count by instant.
		Volatile: [][]string{
			{"nextReplicationRunStartTime"},
			{"replicationRunList", "*", "stageDetails", "stageProgress"},
		},
		Adjust: func(m map[string]any) {
			normalizeTimes(m, "seedReplicationTime")
			if runs, ok := m["replicationRunList"].([]any); ok {
				for _, r := range runs {
					if run, ok := r.(map[string]any); ok {
						normalizeTimes(run, "scheduledStartTime", "completedTime")
					}
				}
			}
		},
	},
	IDForm: FormSMSJob, JobForm: true,
	Summary: smsJobSummary,
	CLI:     "aws sms get-replication-jobs", Progress: "SMS job",
}

// registry holds every kind, in the order exports present them.
var registry = []*Spec{drsJob, drsJobLogItem, drsSourceServer, drsStagingAccount,
	drsRecoverySnapshot, drsRecoveryInstance, drsLaunchConfiguration, drsReplicationConfiguration, drsSourceNetwork,
	snowballJob, smsJob}

// detectOrder is the order import tells objects listed under one member
// apart (Detect): a recovery instance names its launch job and source
// server, a recovery snapshot its source server, a log item its job: they
// go first.
var detectOrder = []*Spec{drsRecoveryInstance, drsRecoverySnapshot, drsJobLogItem, drsSourceNetwork, drsJob, drsSourceServer,
	drsLaunchConfiguration, drsReplicationConfiguration, drsStagingAccount, snowballJob, smsJob}
