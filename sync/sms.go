package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/smsapi"
)

// NewSMSClient builds the SMS client sync uses, with endpoint as its base
// endpoint when set.
func NewSMSClient(cfg aws.Config, endpoint string) *smsapi.Client {
	return smsapi.NewFromConfig(cfg, func(o *smsapi.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// smsPageSize is the most GetReplicationJobs returns.
const smsPageSize = 100

// smsRun reads the replication jobs of one region and account.
type smsRun struct {
	client   *smsapi.Client
	com      *committer
	region   string
	account  string
	seen     time.Time
	pageSize int32
	stats    *Stats
}

// run keeps every replication job, with a new record whenever the job or
// one of its runs changed state.
func (r *smsRun) run(ctx context.Context) error {
	limit := aws.Int32(min(r.pageSize, smsPageSize))
	l := listing[*smsapi.GetReplicationJobsOutput]{
		op: "GetReplicationJobs", what: "GetReplicationJobs", list: "replicationJobList", token: "nextToken",
		scope: scope{region: r.region, account: r.account},
		call: func(ctx context.Context, token *string) (*smsapi.GetReplicationJobsOutput, error) {
			return r.client.GetReplicationJobs(ctx, &smsapi.GetReplicationJobsInput{MaxResults: limit, NextToken: token})
		},
		read: func(out *smsapi.GetReplicationJobsOutput) ([]json.RawMessage, *string, error) {
			return out.ReplicationJobList, out.NextToken, nil
		},
	}
	var seen lister
	return eachPage(ctx, r.stats, l, func(p page[*smsapi.GetReplicationJobsOutput]) error {
		batch := make([]observation, 0, len(p.items))
		for i, it := range p.items {
			var h smsJobHead
			if err := json.Unmarshal(it, &h); err != nil || h.ReplicationJobID == "" {
				return fmt.Errorf("GetReplicationJobs page %d item %d: no replicationJobId", p.n, i)
			}
			fp, err := smsFingerprint(it)
			if err != nil {
				return fmt.Errorf("GetReplicationJobs page %d item %d: %w", p.n, i, err)
			}
			seen := r.seen
			rec := archive.Record{
				Kind: kinds.SMSJob, ID: h.ReplicationJobID, Region: r.region, Account: r.account,
				Time: rawTime(h.SeedReplicationTime, seen), CapturedAt: &seen, FirstSeen: seen, LastSeen: seen, Data: it,
			}
			rec.MarkDataValid() // decoded whole above
			batch = append(batch, observation{rec: rec, fp: fp})
		}
		r.stats.SMSJobs.Add(int64(p.fresh))
		listed := seen.add(observed(batch))
		var sw *sweep
		if p.last {
			sw = seen.sweep(kinds.SMSJob, r.region, r.account, r.seen, nil)
		}
		return r.com.send(ctx, withMarks(observationCommit(fmt.Sprintf("GetReplicationJobs page %d", p.n), batch), listed, sw))
	})
}

// smsJobHead is the part of an SMS replication job sync reads to file it.
type smsJobHead struct {
	ReplicationJobID    string          `json:"replicationJobId"`
	SeedReplicationTime json.RawMessage `json:"seedReplicationTime"`
}

// volatileSMSFields are the members of an SMS replication job that move
// without its state changing: the next scheduled run, and the progress
// counter of a run's stage.
var volatileSMSFields = [][]string{
	{"nextReplicationRunStartTime"},
	{"replicationRunList", "*", "stageDetails", "stageProgress"},
}

// smsFingerprint hashes the state of an SMS replication job: the job's and
// its runs' states, messages, AMIs and times, everything but
// volatileSMSFields. Timestamps count by the instant they name, so the
// epoch seconds of the API and the ISO 8601 text of saved AWS CLI output
// give the same fingerprint.
func smsFingerprint(raw json.RawMessage) ([]byte, error) {
	return stateFingerprint(kinds.SMSJob, raw)
}

// adjustSMS counts the timestamps of a replication job and its runs by the
// instants they name.
func adjustSMS(m map[string]any) {
	normalizeTimes(m, "seedReplicationTime")
	if runs, ok := m["replicationRunList"].([]any); ok {
		for _, r := range runs {
			if run, ok := r.(map[string]any); ok {
				normalizeTimes(run, "scheduledStartTime", "completedTime")
			}
		}
	}
}

// snowballFingerprint hashes the state of a Snowball cluster job: the whole
// entry, its CreationDate counted by the instant it names (see
// smsFingerprint).
func snowballFingerprint(raw json.RawMessage) ([]byte, error) {
	return stateFingerprint(kinds.SnowballJob, raw)
}

// normalizeTimes replaces the named timestamp members of m, epoch seconds
// or ISO 8601 text, with the instant they name in one form.
func normalizeTimes(m map[string]any, names ...string) {
	for _, name := range names {
		if t, ok := timeValue(m[name]); ok {
			m[name] = t.UTC().Format("2006-01-02T15:04:05.999999999Z")
		}
	}
}
