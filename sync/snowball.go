package sync

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/snowball"
	"github.com/aws/smithy-go/middleware"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// NewSnowballClient builds the Snowball client sync uses: the SDK client
// from cfg, with endpoint as its base endpoint when set, and raw-body
// capture when raw is true. An answer it cannot decode fails with an error
// that says what came instead.
func NewSnowballClient(cfg aws.Config, endpoint string, raw bool) *snowball.Client {
	return snowball.NewFromConfig(cfg, func(o *snowball.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.APIOptions = append(o.APIOptions, markBadAnswers)
		if raw {
			o.APIOptions = append(o.APIOptions, captureRawBody)
		}
	})
}

// snowballPageSize is the most ListClusters and ListClusterJobs return.
const snowballPageSize = 100

// snowballRun reads the cluster jobs of one region and account.
type snowballRun struct {
	client   *snowball.Client
	com      *committer
	region   string
	account  string
	seen     time.Time
	pageSize int32
	clusters []string // only these; all when empty
	stats    *Stats
}

// run lists the clusters (unless they were named) and keeps every job of
// each, with a new record whenever a job's entry changed (its JobState,
// mostly).
func (r *snowballRun) run(ctx context.Context) error {
	clusters := r.clusters
	if len(clusters) == 0 {
		var err error
		if clusters, err = r.listClusters(ctx); err != nil {
			return err
		}
		if err := r.sweepClusters(ctx, clusters); err != nil {
			return err
		}
	}
	for _, id := range clusters {
		if err := r.listClusterJobs(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// scope is the region and account the run reads.
func (r *snowballRun) scope() scope { return scope{region: r.region, account: r.account} }

// listClusters returns the ID of every cluster, oldest first.
func (r *snowballRun) listClusters(ctx context.Context) ([]string, error) {
	var ids []string
	limit := aws.Int32(min(r.pageSize, snowballPageSize))
	l := sdkListing("ListClusters", "ListClusters", "ClusterListEntries", "NextToken", r.scope(),
		func(ctx context.Context, token *string) (*snowball.ListClustersOutput, error) {
			return r.client.ListClusters(ctx, &snowball.ListClustersInput{MaxResults: limit, NextToken: token})
		},
		func(out *snowball.ListClustersOutput) (middleware.Metadata, int, *string) {
			return out.ResultMetadata, len(out.ClusterListEntries), out.NextToken
		})
	err := eachPage(ctx, r.stats, l, func(p page[*snowball.ListClustersOutput]) error {
		if p.n == 1 {
			ids = ids[:0] // the listing started again
		}
		for i, c := range p.out.ClusterListEntries {
			if aws.ToString(c.ClusterId) == "" {
				return fmt.Errorf("ListClusters page %d item %d: no ClusterId", p.n, i)
			}
			ids = append(ids, aws.ToString(c.ClusterId))
		}
		return nil
	})
	return ids, err
}

func (r *snowballRun) listClusterJobs(ctx context.Context, clusterID string) error {
	what := "ListClusterJobs " + clusterID
	limit := aws.Int32(min(r.pageSize, snowballPageSize))
	l := sdkListing("ListClusterJobs", what, "JobListEntries", "NextToken", r.scope(),
		func(ctx context.Context, token *string) (*snowball.ListClusterJobsOutput, error) {
			return r.client.ListClusterJobs(ctx, &snowball.ListClusterJobsInput{ClusterId: aws.String(clusterID), MaxResults: limit, NextToken: token})
		},
		func(out *snowball.ListClusterJobsOutput) (middleware.Metadata, int, *string) {
			return out.ResultMetadata, len(out.JobListEntries), out.NextToken
		})
	var seen lister
	return eachPage(ctx, r.stats, l, func(p page[*snowball.ListClusterJobsOutput]) error {
		spec := kinds.Of(kinds.SnowballJob)
		recs, err := filePage(spec, what, p.n, p.items, filing{region: r.region, account: r.account, seen: r.seen, parent: clusterID})
		if err != nil {
			return err
		}
		r.stats.addReadAt(spec.Kind, r.region, r.account, int64(p.fresh))
		listed := seen.add(recs)
		var sw *sweep
		if p.last {
			sw = sweepOf(spec, &seen, r.region, r.account, r.seen, clusterID)
		}
		cm, err := keepCommit(spec, fmt.Sprintf("%s page %d", what, p.n), recs)
		if err != nil {
			return err
		}
		return r.com.send(ctx, withMarks(cm, listed, sw))
	})
}

// sweepClusters marks the jobs of every cluster a complete ListClusters no
// longer held as deleted upstream.
func (r *snowballRun) sweepClusters(ctx context.Context, clusters []string) error {
	held := make(map[string]bool, len(clusters))
	for _, id := range clusters {
		held[id] = true
	}
	sw := &sweep{kind: kinds.SnowballJob, region: r.region, account: r.account, at: r.seen,
		match: func(rec archive.Record) bool { return !held[rec.ClusterID] }}
	return r.com.send(ctx, withMarks(commit{what: "ListClusters"}, nil, sw))
}
