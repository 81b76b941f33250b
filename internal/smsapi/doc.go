// Package smsapi is a small client for the AWS Server Migration Service (SMS)
// API, speaking its JSON 1.1 protocol with the AWS SDK's own pieces: the
// SigV4 signer, the credential providers and the retryer of an aws.Config.
//
// It owns one operation, GetReplicationJobs, and its paginator. Answers are
// kept as the exact bytes the service sent: the whole body, and each
// replication job as a json.RawMessage with every member it carried, modelled
// or not.
//
// Terms:
//   - base endpoint: a URL that replaces the service's regional endpoint. It
//     comes, in the SDK's order, from Options.BaseEndpoint, the
//     service-specific settings (AWS_ENDPOINT_URL_SMS, a shared-config
//     "services" section) and the global ones (AWS_ENDPOINT_URL, a profile's
//     endpoint_url). See NewFromConfig.
//   - attempt: one HTTP exchange. A call makes attempts until one succeeds,
//     the retryer calls the error terminal, or MaxAttempts is reached.
//
// The package never reads or writes the archive, and it never decodes a
// replication job: what a job means is for the callers to decide.
package smsapi
