package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

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
		spec := kinds.Of(kinds.SMSJob)
		recs, err := filePage(spec, "GetReplicationJobs", p.n, p.items, filing{region: r.region, account: r.account, seen: r.seen})
		if err != nil {
			return err
		}
		r.stats.addReadAt(spec.Kind, r.region, r.account, int64(p.fresh))
		listed := seen.add(recs)
		var sw *sweep
		if p.last {
			sw = sweepOf(spec, &seen, r.region, r.account, r.seen, "")
		}
		cm, err := keepCommit(spec, fmt.Sprintf("GetReplicationJobs page %d", p.n), recs)
		if err != nil {
			return err
		}
		return r.com.send(ctx, withMarks(cm, listed, sw))
	})
}
