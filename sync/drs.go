package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/smithy-go/middleware"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/awstime"
)

// drsFetcher pages through the DRS APIs and returns raw items. It never
// touches the archive.
type drsFetcher struct {
	client   *drs.Client
	pageSize int32
	stats    *Stats
}

// NewDRSClient builds the DRS client sync uses: the SDK client from cfg, with
// endpoint as its base endpoint when set, and raw-body capture when raw is
// true.
func NewDRSClient(cfg aws.Config, endpoint string, raw bool) *drs.Client {
	return drs.NewFromConfig(cfg, func(o *drs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		if raw {
			o.APIOptions = append(o.APIOptions, captureRawBody)
		}
	})
}

// pager is what every SDK paginator offers: pages of output O, with
// per-call options Opt.
type pager[O any, Opt any] interface {
	HasMorePages() bool
	NextPage(ctx context.Context, optFns ...func(Opt)) (O, error)
}

// eachPage pages p to the end. For each page it cuts the raw items out of
// the list member of the captured body, checks their number against what
// the SDK decoded (meta returns the page's metadata and that number), and
// calls fn; last is true on the final page. what names the call in errors,
// such as "describe jobs" or "describe job log items drsjob-1".
func eachPage[O any, Opt any](ctx context.Context, stats *Stats, p pager[O, Opt], op, what, member string,
	meta func(O) (middleware.Metadata, int), fn func(n int, out O, items []json.RawMessage, last bool) error) error {
	for n := 1; p.HasMorePages(); n++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("%s page %d: %w", what, n, err)
		}
		stats.Calls.Add(1)
		md, want := meta(out)
		page, err := decodeRawPage(op, md, member, want)
		if err != nil {
			return fmt.Errorf("%s page %d: %w", what, n, err)
		}
		if err := fn(n, out, page.Items, !p.HasMorePages()); err != nil {
			return err
		}
	}
	return nil
}

// jobs calls fn with each page of DescribeJobs, latest jobs first.
func (f *drsFetcher) jobs(ctx context.Context, fn func(n int, items []json.RawMessage) error) error {
	p := drs.NewDescribeJobsPaginator(f.client, &drs.DescribeJobsInput{MaxResults: aws.Int32(f.pageSize)},
		func(o *drs.DescribeJobsPaginatorOptions) { o.StopOnDuplicateToken = true })
	return eachPage(ctx, f.stats, p, "DescribeJobs", "describe jobs", "items",
		func(out *drs.DescribeJobsOutput) (middleware.Metadata, int) {
			return out.ResultMetadata, len(out.Items)
		},
		func(n int, _ *drs.DescribeJobsOutput, items []json.RawMessage, _ bool) error { return fn(n, items) })
}

// jobLog calls fn with each page of a job's log, oldest items first, and
// each item's logDateTime as the SDK read it; last is true on the final page.
func (f *drsFetcher) jobLog(ctx context.Context, jobID string, fn func(n int, items []json.RawMessage, times []string, last bool) error) error {
	p := drs.NewDescribeJobLogItemsPaginator(f.client, &drs.DescribeJobLogItemsInput{JobID: aws.String(jobID), MaxResults: aws.Int32(f.pageSize)},
		func(o *drs.DescribeJobLogItemsPaginatorOptions) { o.StopOnDuplicateToken = true })
	return eachPage(ctx, f.stats, p, "DescribeJobLogItems", "describe job log items "+jobID, "items",
		func(out *drs.DescribeJobLogItemsOutput) (middleware.Metadata, int) {
			return out.ResultMetadata, len(out.Items)
		},
		func(n int, out *drs.DescribeJobLogItemsOutput, items []json.RawMessage, last bool) error {
			times := make([]string, len(out.Items))
			for i, it := range out.Items {
				times[i] = aws.ToString(it.LogDateTime)
			}
			return fn(n, items, times, last)
		})
}

// sourceServers calls fn with each page of DescribeSourceServers.
func (f *drsFetcher) sourceServers(ctx context.Context, fn func(n int, items []json.RawMessage) error) error {
	p := drs.NewDescribeSourceServersPaginator(f.client, &drs.DescribeSourceServersInput{MaxResults: aws.Int32(f.pageSize)},
		func(o *drs.DescribeSourceServersPaginatorOptions) { o.StopOnDuplicateToken = true })
	return eachPage(ctx, f.stats, p, "DescribeSourceServers", "describe source servers", "items",
		func(out *drs.DescribeSourceServersOutput) (middleware.Metadata, int) {
			return out.ResultMetadata, len(out.Items)
		},
		func(n int, _ *drs.DescribeSourceServersOutput, items []json.RawMessage, _ bool) error {
			return fn(n, items)
		})
}

// jobHead is the part of a DRS job that sync reads to file it.
type jobHead struct {
	JobID            string `json:"jobID"`
	Arn              string `json:"arn"`
	CreationDateTime string `json:"creationDateTime"`
	Status           string `json:"status"`
}

// accountOf returns the account field of an ARN, or "" if s is no ARN.
func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// timeOr parses an AWS timestamp, falling back to def when it is absent or
// unreadable, so that a record is never refused for its time alone.
func timeOr(s string, def time.Time) time.Time {
	if t, err := awstime.Parse(s); err == nil {
		return t
	}
	return def
}

// volatileServerFields are the source-server members that move on every
// call without the server's state changing: clocks and byte counters. They
// are left out of the fingerprint that decides whether a new snapshot is kept.
var volatileServerFields = [][]string{
	{"lifeCycle", "lastSeenByServiceDateTime"},
	{"lifeCycle", "elapsedReplicationDuration"},
	{"dataReplicationInfo", "etaDateTime"},
	{"dataReplicationInfo", "replicatedDisks"},
	{"sourceProperties", "lastUpdatedDateTime"},
}

// serverFingerprint hashes the state of a source server: the whole object
// but for volatileServerFields, with its replication lag reduced to a band
// (see lagBand) and keys in canonical order.
func serverFingerprint(raw json.RawMessage) ([]byte, error) {
	return fingerprint(raw, volatileServerFields, func(m map[string]any) {
		if info, ok := m["dataReplicationInfo"].(map[string]any); ok {
			if lag, ok := info["lagDuration"].(string); ok {
				info["lagDuration"] = lagBand(lag)
			}
		}
	})
}

type serverHead struct {
	SourceServerID string `json:"sourceServerID"`
	Arn            string `json:"arn"`
}

// drsRun is one DRS sync of one region and account.
type drsRun struct {
	f        *drsFetcher
	com      *committer
	region   string
	account  string // the account of the credentials
	seen     time.Time
	complete map[archive.JobRef]bool
	stats    *Stats
}

// accountOf returns the account named in arn, or the account of the
// credentials when arn names none.
func (r *drsRun) accountOf(arn string) string {
	if a := accountOf(arn); a != "" {
		return a
	}
	return r.account
}

type logTask struct {
	ref       archive.JobRef
	completed bool
}

// listJobs commits every page of jobs and hands each job whose log is not yet
// complete to tasks.
func (r *drsRun) listJobs(ctx context.Context, tasks chan<- logTask) error {
	return r.f.jobs(ctx, func(n int, items []json.RawMessage) error {
		recs := make([]archive.Record, 0, len(items))
		var todo []logTask
		for i, it := range items {
			var h jobHead
			if err := json.Unmarshal(it, &h); err != nil || h.JobID == "" {
				return fmt.Errorf("describe jobs page %d item %d: no jobID", n, i)
			}
			rec := archive.Record{
				Kind: archive.KindDRSJob, ID: h.JobID, Region: r.region, Account: r.accountOf(h.Arn),
				Time: timeOr(h.CreationDateTime, r.seen), FirstSeen: r.seen, LastSeen: r.seen, Data: it,
			}
			if err := rec.CheckData(); err != nil {
				return fmt.Errorf("describe jobs page %d item %d: %w", n, i, err)
			}
			recs = append(recs, rec)
			ref := archive.JobRef{JobID: h.JobID, Region: r.region, Account: rec.Account}
			if !r.complete[ref] {
				todo = append(todo, logTask{ref: ref, completed: h.Status == "COMPLETED"})
			}
		}
		r.stats.Jobs.Add(int64(len(items)))
		r.stats.JobLogsPending.Add(int64(len(todo)))
		err := r.com.send(ctx, commit{what: fmt.Sprintf("DescribeJobs page %d", n), items: len(recs), apply: func(w *archive.Writer, d *delta) error {
			for _, rec := range recs {
				ch, err := w.PutLatest(rec)
				if err != nil {
					return err
				}
				switch ch {
				case archive.Added:
					d.jobsAdded++
				case archive.Updated:
					d.jobsUpdated++
				}
			}
			return nil
		}})
		if err != nil {
			return err
		}
		for _, t := range todo {
			select {
			case tasks <- t:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
}

// readLog commits every page of one job's log. The last page's commit also
// trims items AWS no longer lists and, for a job that was COMPLETED before
// its log was read, marks the log complete so it is never read again.
func (r *drsRun) readLog(ctx context.Context, t logTask) error {
	pos := 0
	err := r.f.jobLog(ctx, t.ref.JobID, func(n int, items []json.RawMessage, times []string, last bool) error {
		start := pos
		pos += len(items)
		r.stats.LogItems.Add(int64(len(items)))
		recs := make([]archive.Record, len(items))
		for i, it := range items {
			recs[i] = archive.Record{Time: timeOr(times[i], r.seen), FirstSeen: r.seen, LastSeen: r.seen, Data: it}
			recs[i].MarkDataValid() // see decodeRawPage
		}
		return r.com.send(ctx, commit{what: fmt.Sprintf("DescribeJobLogItems %s page %d", t.ref.JobID, n), items: len(recs),
			log: &logPage{ref: t.ref, start: start, recs: recs, last: last, completed: t.completed}})
	})
	if err == nil {
		r.stats.JobLogs.Add(1)
	}
	return err
}

// listServers commits a new snapshot of each source server whose state
// changed since its last snapshot. The listing is not filtered, so it holds
// the extended source servers of every staging account too.
func (r *drsRun) listServers(ctx context.Context) error {
	return r.f.sourceServers(ctx, func(n int, items []json.RawMessage) error {
		batch := make([]observation, 0, len(items))
		for i, it := range items {
			var h serverHead
			if err := json.Unmarshal(it, &h); err != nil || h.SourceServerID == "" {
				return fmt.Errorf("describe source servers page %d item %d: no sourceServerID", n, i)
			}
			fp, err := serverFingerprint(it)
			if err != nil {
				return fmt.Errorf("describe source servers page %d item %d: %w", n, i, err)
			}
			seen := r.seen
			rec := archive.Record{
				Kind: archive.KindDRSSourceServer, ID: h.SourceServerID, Region: r.region, Account: r.accountOf(h.Arn),
				Time: seen, CapturedAt: &seen, FirstSeen: seen, LastSeen: seen, Data: it,
			}
			rec.MarkDataValid() // decoded whole above
			batch = append(batch, observation{rec: rec, fp: fp})
		}
		r.stats.Servers.Add(int64(len(items)))
		return r.com.send(ctx, observationCommit(fmt.Sprintf("DescribeSourceServers page %d", n), batch))
	})
}

// listStagingAccounts keeps each staging account DRS lists, with a new
// record when its entry changes.
func (r *drsRun) listStagingAccounts(ctx context.Context) error {
	p := drs.NewListStagingAccountsPaginator(r.f.client, &drs.ListStagingAccountsInput{MaxResults: aws.Int32(min(r.f.pageSize, 50))},
		func(o *drs.ListStagingAccountsPaginatorOptions) { o.StopOnDuplicateToken = true })
	return eachPage(ctx, r.stats, p, "ListStagingAccounts", "list staging accounts", "accounts",
		func(out *drs.ListStagingAccountsOutput) (middleware.Metadata, int) {
			return out.ResultMetadata, len(out.Accounts)
		},
		func(n int, _ *drs.ListStagingAccountsOutput, items []json.RawMessage, _ bool) error {
			batch := make([]observation, 0, len(items))
			for i, it := range items {
				var h struct {
					AccountID string `json:"accountID"`
				}
				if err := json.Unmarshal(it, &h); err != nil || h.AccountID == "" {
					return fmt.Errorf("list staging accounts page %d item %d: no accountID", n, i)
				}
				fp, err := fingerprint(it, nil, nil)
				if err != nil {
					return fmt.Errorf("list staging accounts page %d item %d: %w", n, i, err)
				}
				seen := r.seen
				rec := archive.Record{
					Kind: archive.KindDRSStagingAccount, ID: h.AccountID, Region: r.region, Account: r.account,
					Time: seen, CapturedAt: &seen, FirstSeen: seen, LastSeen: seen, Data: it,
				}
				rec.MarkDataValid()
				batch = append(batch, observation{rec: rec, fp: fp})
			}
			r.stats.StagingAccounts.Add(int64(len(items)))
			return r.com.send(ctx, observationCommit(fmt.Sprintf("ListStagingAccounts page %d", n), batch))
		})
}

// lagBands are the upper bounds of the replication-lag bands a snapshot
// distinguishes. Lag jitters by seconds on every call; a server moving from
// one band to another is a change of state worth a snapshot.
var lagBands = []struct {
	upTo time.Duration
	name string
}{
	{time.Minute, "under 1m"},
	{15 * time.Minute, "under 15m"},
	{time.Hour, "under 1h"},
	{6 * time.Hour, "under 6h"},
	{24 * time.Hour, "under 24h"},
	{7 * 24 * time.Hour, "under 7d"},
}

// lagBand names the band of an ISO 8601 lag duration. A lag it cannot
// read is kept as it is, so any change to it counts.
func lagBand(lag string) string {
	d, err := awstime.ParseDuration(lag)
	if err != nil {
		return lag
	}
	for _, b := range lagBands {
		if d < b.upTo {
			return b.name
		}
	}
	return "7d or more"
}
