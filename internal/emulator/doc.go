// Package emulator is a deterministic stand-in for the AWS Elastic Disaster
// Recovery (DRS) API used by tests and the demo; it only ever listens on
// loopback.
//
// The package owns three things:
//
//   - a synthetic DRS history (source servers, recovery and drill jobs and
//     their job logs) generated from a seed, so that the same Options always
//     produce byte-for-byte the same answers;
//   - an HTTP server that speaks the rest-json protocol exactly as the AWS SDK
//     and the AWS CLI send it for DescribeJobs, DescribeJobLogItems,
//     DescribeSourceServers and ListStagingAccounts, including pagination
//     tokens and rest-json error answers;
//   - fault injection (throttling, server errors, latency, truncated and
//     malformed answers) and ground-truth accessors, so a test can compare
//     what a client archived with exactly what was served.
//
// Every object is rendered once into compact JSON and kept as
// json.RawMessage; answers are assembled from those bytes without
// re-encoding. Objects may carry members the SDK does not model (unless
// Options.NoUnknownFields is set) so a client can prove it keeps them
// verbatim.
//
// The history can move on with Server.Advance: jobs in progress complete,
// new jobs appear and source servers report fresh replication progress.
package emulator
