// Package emulator is a deterministic stand-in for the AWS APIs archiver
// reads: Elastic Disaster Recovery (DRS), Snowball, Server Migration
// Service (SMS) and STS GetCallerIdentity. It is used by tests and the demo
// and only ever listens on loopback.
//
// The package owns four things:
//
//   - a synthetic history of one account in one region, generated from a
//     seed so that the same Options always produce byte-for-byte the same
//     answers: DRS source servers, recovery and drill jobs and their job
//     logs, recovery snapshots and instances, the launch and replication
//     configuration of every source server and a few source networks;
//     Snowball clusters and their jobs (nodes); SMS replication jobs and
//     their replication runs. Snowball and SMS, recovery snapshots and
//     instances, and configurations and source networks draw from random
//     streams of their own, so adding them changed no other byte;
//   - an HTTP server (Server) that speaks each service's protocol exactly as
//     the AWS SDK and the AWS CLI send it, including pagination tokens and
//     error answers;
//   - fault injection by operation name, in each protocol's error form:
//     throttling, server errors, latency, truncated and malformed answers,
//     answers of valid JSON with members of the wrong type, nextTokens
//     that repeat or expire, access denied and an uninitialized DRS
//     account; and ground-truth accessors, so a test can compare what a
//     client archived with exactly what was served;
//   - a Mux that puts several Servers behind one listener and routes each
//     request by the region and access key ID of its SigV4 credential
//     scope, so one endpoint URL serves two regions and two accounts
//     (profiles). A lone Server ignores Authorization. A Mux can also
//     serve an AWS organization (SetOrganization, NewOrgMux): AWS
//     Organizations ListAccounts and ListAccountsForParent (JSON 1.1, to
//     the management account's key only) and STS AssumeRole (query
//     protocol), whose credentials route to the Server of the role's
//     account (AddAccount); roles can be marked missing, and an external ID
//     required.
//
// The protocols, as the SDK serializers send them:
//
//   - DRS, rest-json: DescribeJobs, DescribeJobLogItems,
//     DescribeSourceServers, ListStagingAccounts, DescribeRecoverySnapshots,
//     DescribeRecoveryInstances, GetLaunchConfiguration,
//     GetReplicationConfiguration and DescribeSourceNetworks, routed by
//     method and path. Errors name their code in the X-Amzn-ErrorType
//     header; a source server that does not exist is a 404
//     ResourceNotFoundException.
//   - Snowball and SMS, JSON 1.1 on POST "/", routed by the X-Amz-Target
//     header: AWSIESnowballJobManagementService.ListClusters and
//     .ListClusterJobs, AWSServerMigrationService_V2016_10_24.GetReplicationJobs.
//     Timestamps are epoch seconds with three decimals, such as
//     1480475524.335. Errors name their code in the __type member.
//   - STS, query protocol on POST "/", routed by the form's Action:
//     GetCallerIdentity, answered in XML with the account of the Server.
//     Errors are an XML ErrorResponse.
//
// Every object is rendered once into compact JSON and kept as
// json.RawMessage; answers are assembled from those bytes without
// re-encoding. Objects may carry members the SDK does not model (unless
// Options.NoUnknownFields is set) so a client can prove it keeps them
// verbatim.
//
// The history can move on with Server.Advance: DRS jobs in progress
// complete, new jobs appear and source servers report fresh replication
// progress, replicating servers take recovery snapshots (one every four
// hours) and some recovery instances change state; some launch and
// replication configurations change a setting and some source networks
// their replication status, while others stay as they were (the
// ...Versions accessors list every state each one was served in); some
// Snowball jobs move to their next JobState; some SMS replication jobs
// start, finish or fail a run, or resume after a pause.
//
// The emulator never checks signatures and never listens beyond 127.0.0.1.
package emulator
