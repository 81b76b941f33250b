package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/smithy-go/middleware"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
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
// true. An answer it cannot decode fails with an error that says what came
// instead.
func NewDRSClient(cfg aws.Config, endpoint string, raw bool) *drs.Client {
	return drs.NewFromConfig(cfg, func(o *drs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.APIOptions = append(o.APIOptions, markBadAnswers)
		if raw {
			o.APIOptions = append(o.APIOptions, captureRawBody)
		}
	})
}

// maxRestarts is how many times a listing starts again from its first page
// after the service refused a nextToken it had issued, as invalid or
// expired, before sync gives up.
const maxRestarts = 3

// listing is one paged listing of an API: how to call it and read its
// answers.
type listing[O any] struct {
	op    string // the API operation, such as "DescribeJobLogItems"
	what  string // the listing in messages, such as "DescribeJobLogItems drsjob-1"
	list  string // the list member of an answer, such as "items"
	token string // the token member of an answer, "nextToken" or "NextToken"
	scope scope
	// call asks for the page after token, the first page when token is nil.
	call func(ctx context.Context, token *string) (O, error)
	// read returns the items of an answer as the exact bytes received, and
	// its next token.
	read func(out O) ([]json.RawMessage, *string, error)
}

// page is one answer of a listing.
type page[O any] struct {
	n     int // the page's number, from 1 at the first page
	out   O
	items []json.RawMessage
	start int  // how many items came before this page
	last  bool // no page comes after it
	// fresh is how many of the items were not handed over before: after a
	// restart, the pages already read come again and count for nothing.
	fresh int
}

// eachPage pages l to the end and calls fn with each page, in order.
//
// A listing ends only on an answer without a nextToken. A nextToken the
// service already returned in the listing (the same one again, or a cycle)
// is an error: the SDK paginators would end such a listing silently, as if
// it were complete, and the pages never read would be lost unnoticed. A
// nextToken the service refuses as invalid or expired starts the listing
// again from the first page, at most maxRestarts times; the pages come again
// and are written again, which changes nothing, since every write sync makes
// of a page is idempotent (latest states and observations dedupe, log items
// are by position).
func eachPage[O any](ctx context.Context, stats *Stats, l listing[O], fn func(p page[O]) error) error {
	handed := 0 // the most items handed over in any pass
	for restarts := 0; ; restarts++ {
		var token *string
		returned := map[string]int{} // each nextToken returned, and after which page
		start := 0
		for n := 1; ; n++ {
			out, err := l.call(ctx, token)
			if err != nil && token != nil && tokenRefused(err) {
				if restarts == maxRestarts {
					return fmt.Errorf("%s page %d: the service refused a nextToken it had issued (%s); gave up after %d restarts from the first page",
						l.what, n, apiMessage(err), maxRestarts)
				}
				break
			}
			if err != nil {
				return fmt.Errorf("%s page %d: %w", l.what, n, callError(l.op, l.list, l.token, l.scope, err))
			}
			stats.Calls.Add(1)
			items, next, err := l.read(out)
			if err == nil {
				err = checkItemsText(l.list, items)
			}
			if err != nil {
				return fmt.Errorf("%s page %d: %w", l.what, n, err)
			}
			if next != nil && *next == "" {
				next = nil // the SDK paginators end on an empty token too
			}
			if next != nil {
				if first, dup := returned[*next]; dup {
					return fmt.Errorf("%s page %d: the service returned the same nextToken twice (after pages %d and %d); stopping", l.what, n, first, n)
				}
				returned[*next] = n
			}
			p := page[O]{n: n, out: out, items: items, start: start, last: next == nil}
			p.fresh = len(items) - min(len(items), max(0, handed-start))
			if err := fn(p); err != nil {
				return err
			}
			start += len(items)
			handed = max(handed, start)
			if next == nil {
				return nil
			}
			token = next
		}
	}
}

// sdkListing is a listing of an SDK client with raw-body capture: items are
// cut from the captured body, and their number checked against what the SDK
// decoded (meta returns the page's metadata, that number and the next
// token).
func sdkListing[O any](op, what, list, token string, sc scope, call func(ctx context.Context, token *string) (O, error),
	meta func(O) (middleware.Metadata, int, *string)) listing[O] {
	return listing[O]{op: op, what: what, list: list, token: token, scope: sc, call: call,
		read: func(out O) ([]json.RawMessage, *string, error) {
			md, want, next := meta(out)
			items, err := decodeRawPage(md, list, want)
			return items, next, err
		}}
}

// jobs calls fn with each page of DescribeJobs, latest jobs first.
func (f *drsFetcher) jobs(ctx context.Context, sc scope, fn func(p page[*drs.DescribeJobsOutput]) error) error {
	return eachPage(ctx, f.stats, sdkListing("DescribeJobs", "DescribeJobs", "items", "nextToken", sc,
		func(ctx context.Context, token *string) (*drs.DescribeJobsOutput, error) {
			return f.client.DescribeJobs(ctx, &drs.DescribeJobsInput{MaxResults: aws.Int32(f.pageSize), NextToken: token})
		},
		func(out *drs.DescribeJobsOutput) (middleware.Metadata, int, *string) {
			return out.ResultMetadata, len(out.Items), out.NextToken
		}), fn)
}

// jobLog calls fn with each page of a job's log, oldest items first.
func (f *drsFetcher) jobLog(ctx context.Context, sc scope, jobID string, fn func(p page[*drs.DescribeJobLogItemsOutput]) error) error {
	return eachPage(ctx, f.stats, sdkListing("DescribeJobLogItems", "DescribeJobLogItems "+jobID, "items", "nextToken", sc,
		func(ctx context.Context, token *string) (*drs.DescribeJobLogItemsOutput, error) {
			return f.client.DescribeJobLogItems(ctx, &drs.DescribeJobLogItemsInput{JobID: aws.String(jobID), MaxResults: aws.Int32(f.pageSize), NextToken: token})
		},
		func(out *drs.DescribeJobLogItemsOutput) (middleware.Metadata, int, *string) {
			return out.ResultMetadata, len(out.Items), out.NextToken
		}), fn)
}

// sourceServers calls fn with each page of DescribeSourceServers.
func (f *drsFetcher) sourceServers(ctx context.Context, sc scope, fn func(p page[*drs.DescribeSourceServersOutput]) error) error {
	return eachPage(ctx, f.stats, sdkListing("DescribeSourceServers", "DescribeSourceServers", "items", "nextToken", sc,
		func(ctx context.Context, token *string) (*drs.DescribeSourceServersOutput, error) {
			return f.client.DescribeSourceServers(ctx, &drs.DescribeSourceServersInput{MaxResults: aws.Int32(f.pageSize), NextToken: token})
		},
		func(out *drs.DescribeSourceServersOutput) (middleware.Metadata, int, *string) {
			return out.ResultMetadata, len(out.Items), out.NextToken
		}), fn)
}

// stagingAccounts calls fn with each page of ListStagingAccounts.
func (f *drsFetcher) stagingAccounts(ctx context.Context, sc scope, fn func(p page[*drs.ListStagingAccountsOutput]) error) error {
	return eachPage(ctx, f.stats, sdkListing("ListStagingAccounts", "ListStagingAccounts", "accounts", "nextToken", sc,
		func(ctx context.Context, token *string) (*drs.ListStagingAccountsOutput, error) {
			return f.client.ListStagingAccounts(ctx, &drs.ListStagingAccountsInput{MaxResults: aws.Int32(min(f.pageSize, 50)), NextToken: token})
		},
		func(out *drs.ListStagingAccountsOutput) (middleware.Metadata, int, *string) {
			return out.ResultMetadata, len(out.Accounts), out.NextToken
		}), fn)
}

// jobHead is the part of a DRS job that sync reads to file it.
type jobHead struct {
	JobID            string `json:"jobID"`
	Arn              string `json:"arn"`
	CreationDateTime string `json:"creationDateTime"`
	Status           string `json:"status"`
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
	// newestSnapshot is the time of the newest archived recovery snapshot
	// of each source server, read before the run.
	newestSnapshot map[snapshotKey]time.Time
}

// scope is the region and account the run reads.
func (r *drsRun) scope() scope { return scope{region: r.region, account: r.account} }

// filing files the objects the run lists under parent.
func (r *drsRun) filing(parent string) filing {
	return filing{region: r.region, account: r.account, seen: r.seen, parent: parent}
}

type logTask struct {
	ref       archive.JobRef
	completed bool
}

// listJobs commits every page of jobs and hands each job whose log is not yet
// complete to tasks, once, even when the listing starts again.
func (r *drsRun) listJobs(ctx context.Context, tasks chan<- logTask) error {
	queued := map[archive.JobRef]bool{}
	var seen lister
	return r.f.jobs(ctx, r.scope(), func(p page[*drs.DescribeJobsOutput]) error {
		spec := kinds.Of(kinds.DRSJob)
		recs, err := filePage(spec, "DescribeJobs", p.n, p.items, r.filing(""))
		if err != nil {
			return err
		}
		var todo []logTask
		for i, rec := range recs {
			ref := archive.JobRef{JobID: rec.ID, Region: r.region, Account: rec.Account}
			if !r.complete[ref] && !queued[ref] {
				queued[ref] = true
				todo = append(todo, logTask{ref: ref, completed: aws.ToString((*string)(&p.out.Items[i].Status)) == "COMPLETED"})
			}
		}
		r.stats.addReadAt(spec.Kind, r.region, r.account, int64(p.fresh))
		r.stats.JobLogsPending.Add(int64(len(todo)))
		listed := seen.add(recs)
		var sw *sweep
		if p.last {
			sw = sweepOf(spec, &seen, r.region, r.account, r.seen, "")
		}
		cm, err := keepCommit(spec, fmt.Sprintf("DescribeJobs page %d", p.n), recs)
		if err == nil {
			err = r.com.send(ctx, withMarks(cm, listed, sw))
		}
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
	err := r.f.jobLog(ctx, r.scope(), t.ref.JobID, func(p page[*drs.DescribeJobLogItemsOutput]) error {
		spec := kinds.Of(kinds.DRSJobLogItem)
		r.stats.addReadAt(spec.Kind, r.region, r.account, int64(p.fresh))
		recs, err := filePage(spec, "DescribeJobLogItems "+t.ref.JobID, p.n, p.items, r.filing(t.ref.JobID))
		if err != nil {
			return err
		}
		return r.com.send(ctx, commit{what: fmt.Sprintf("DescribeJobLogItems %s page %d", t.ref.JobID, p.n), items: len(recs),
			log: &logPage{ref: t.ref, start: p.start, recs: recs, last: p.last, completed: t.completed}})
	})
	if err == nil {
		r.stats.JobLogs.Add(1)
	}
	return err
}

// listServers commits a new snapshot of each source server whose state
// changed since its last snapshot, and hands each source server's ID to ids,
// once, even when the listing starts again, after the page that lists it is
// sent to the committer. The listing is not filtered, so it holds the
// extended source servers of every staging account too. A complete listing
// marks the servers it no longer holds as deleted upstream.
func (r *drsRun) listServers(ctx context.Context, ids chan<- string) error {
	var seen lister
	handed := map[string]bool{}
	return r.f.sourceServers(ctx, r.scope(), func(p page[*drs.DescribeSourceServersOutput]) error {
		spec := kinds.Of(kinds.DRSSourceServer)
		recs, err := filePage(spec, "DescribeSourceServers", p.n, p.items, r.filing(""))
		if err != nil {
			return err
		}
		var todo []string
		for _, rec := range recs {
			if !handed[rec.ID] {
				handed[rec.ID] = true
				todo = append(todo, rec.ID)
			}
		}
		r.stats.addReadAt(spec.Kind, r.region, r.account, int64(p.fresh))
		listed := seen.add(recs)
		var sw *sweep
		if p.last {
			sw = sweepOf(spec, &seen, r.region, r.account, r.seen, "")
		}
		cm, err := keepCommit(spec, fmt.Sprintf("DescribeSourceServers page %d", p.n), recs)
		if err != nil {
			return err
		}
		if err := r.com.send(ctx, withMarks(cm, listed, sw)); err != nil {
			return err
		}
		for _, id := range todo {
			select {
			case ids <- id:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
}

// listStagingAccounts keeps each staging account DRS lists, with a new
// record when its entry changes.
func (r *drsRun) listStagingAccounts(ctx context.Context) error {
	return r.f.stagingAccounts(ctx, r.scope(), func(p page[*drs.ListStagingAccountsOutput]) error {
		spec := kinds.Of(kinds.DRSStagingAccount)
		recs, err := filePage(spec, "ListStagingAccounts", p.n, p.items, r.filing(""))
		if err != nil {
			return err
		}
		r.stats.addReadAt(spec.Kind, r.region, r.account, int64(p.fresh))
		cm, err := keepCommit(spec, fmt.Sprintf("ListStagingAccounts page %d", p.n), recs)
		if err != nil {
			return err
		}
		return r.com.send(ctx, cm)
	})
}
