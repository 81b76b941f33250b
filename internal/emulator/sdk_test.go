package emulator_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"
	"github.com/aws/smithy-go"

	"github.com/archiver-dev/archiver/internal/emulator"
)

// listJobs lists every job matching in through the SDK paginator.
func listJobs(t *testing.T, c *drs.Client, in *drs.DescribeJobsInput, limit int32) ([]types.Job, int) {
	t.Helper()
	p := drs.NewDescribeJobsPaginator(c, in, func(o *drs.DescribeJobsPaginatorOptions) { o.Limit = limit })
	var all []types.Job
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("DescribeJobs page %d: %v", pages+1, err)
		}
		pages++
		all = append(all, out.Items...)
	}
	return all, pages
}

func jobIDs(jobs []types.Job) []string {
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = aws.ToString(j.JobID)
	}
	return ids
}

func TestDescribeJobsPaginates(t *testing.T) {
	srv := start(t, emulator.Options{})
	c := client(srv.URL())
	want := srv.JobIDs()
	if len(want) != emulator.DefaultJobs {
		t.Fatalf("history has %d jobs, want %d", len(want), emulator.DefaultJobs)
	}
	for _, tc := range []struct {
		name      string
		limit     int32
		wantPages int
	}{
		{"one per page", 1, 40},
		{"seven per page", 7, 6},
		{"thousand per page", 1000, 1},
		{"service default", 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jobs, pages := listJobs(t, c, &drs.DescribeJobsInput{}, tc.limit)
			got := jobIDs(jobs)
			if !slices.Equal(got, want) {
				t.Fatalf("listed %d jobs, want every one of %d exactly once, latest first:\n got %v\nwant %v", len(got), len(want), got, want)
			}
			if pages != tc.wantPages {
				t.Errorf("took %d pages, want %d", pages, tc.wantPages)
			}
			for i := 1; i < len(jobs); i++ {
				prev := parseTime(t, aws.ToString(jobs[i-1].CreationDateTime))
				cur := parseTime(t, aws.ToString(jobs[i].CreationDateTime))
				if cur.After(prev) {
					t.Fatalf("job %d created %v after job %d created %v: not latest first", i, cur, i-1, prev)
				}
			}
		})
	}
}

func TestDescribeJobsServiceDefaultPageSize(t *testing.T) {
	srv := start(t, emulator.Options{Jobs: 60})
	out, err := client(srv.URL()).DescribeJobs(ctx(t), &drs.DescribeJobsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 50 || aws.ToString(out.NextToken) == "" {
		t.Fatalf("first page has %d items and token %q, want 50 and a token", len(out.Items), aws.ToString(out.NextToken))
	}
}

func TestDescribeJobsFilters(t *testing.T) {
	srv := start(t, emulator.Options{})
	c := client(srv.URL())
	served := decode[wireJob](t, srv.Jobs())
	created := func(i int) time.Time { return parseTime(t, served[i].CreationDateTime) }
	ids := srv.JobIDs()

	// expect lists the served jobs created within [from, to] (zero means
	// open) whose ID is in only (empty means all).
	expect := func(from, to time.Time, only []string) []string {
		var out []string
		for _, j := range served {
			at := parseTime(t, j.CreationDateTime)
			if (!from.IsZero() && at.Before(from)) || (!to.IsZero() && at.After(to)) {
				continue
			}
			if len(only) > 0 && !slices.Contains(only, j.JobID) {
				continue
			}
			out = append(out, j.JobID)
		}
		return out
	}
	const plusZero = "2006-01-02T15:04:05.000000+00:00"
	for _, tc := range []struct {
		name     string
		filters  *types.DescribeJobsRequestFilters
		want     []string
		wantSize int // -1 when any size will do
	}{
		{
			name:     "inclusive range as served",
			filters:  &types.DescribeJobsRequestFilters{FromDate: aws.String(served[10].CreationDateTime), ToDate: aws.String(served[5].CreationDateTime)},
			want:     ids[5:11],
			wantSize: 6,
		},
		{
			name: "range with Z and nanoseconds",
			filters: &types.DescribeJobsRequestFilters{
				FromDate: aws.String(created(20).Format(time.RFC3339Nano)),
				ToDate:   aws.String(created(12).Format(time.RFC3339Nano)),
			},
			want:     ids[12:21],
			wantSize: 9,
		},
		{
			name: "range with +00:00",
			filters: &types.DescribeJobsRequestFilters{
				FromDate: aws.String(created(30).Format(plusZero)),
				ToDate:   aws.String(created(25).Format(plusZero)),
			},
			want:     ids[25:31],
			wantSize: 6,
		},
		{
			name:     "whole seconds without fraction",
			filters:  &types.DescribeJobsRequestFilters{FromDate: aws.String(created(8).Add(time.Second).Format("2006-01-02T15:04:05Z"))},
			want:     expect(created(8).Add(time.Second).Truncate(time.Second), time.Time{}, nil),
			wantSize: -1,
		},
		{
			name:     "from only",
			filters:  &types.DescribeJobsRequestFilters{FromDate: aws.String(served[3].CreationDateTime)},
			want:     ids[:4],
			wantSize: 4,
		},
		{
			name:     "to only",
			filters:  &types.DescribeJobsRequestFilters{ToDate: aws.String(served[35].CreationDateTime)},
			want:     ids[35:],
			wantSize: 5,
		},
		{
			name:     "job IDs",
			filters:  &types.DescribeJobsRequestFilters{JobIDs: []string{ids[30], ids[2], "drsjob-00000000000000000", ids[17]}},
			want:     []string{ids[2], ids[17], ids[30]},
			wantSize: 3,
		},
		{
			name: "job IDs and range",
			filters: &types.DescribeJobsRequestFilters{
				JobIDs:   []string{ids[1], ids[6], ids[9]},
				FromDate: aws.String(served[8].CreationDateTime),
			},
			want:     []string{ids[1], ids[6]},
			wantSize: 2,
		},
		{
			name:     "empty job IDs mean all",
			filters:  &types.DescribeJobsRequestFilters{JobIDs: []string{}},
			want:     ids,
			wantSize: 40,
		},
		{
			name:     "from after to",
			filters:  &types.DescribeJobsRequestFilters{FromDate: aws.String(served[5].CreationDateTime), ToDate: aws.String(served[10].CreationDateTime)},
			want:     nil,
			wantSize: 0,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, limit := range []int32{2, 1000} {
				jobs, _ := listJobs(t, c, &drs.DescribeJobsInput{Filters: tc.filters}, limit)
				got := jobIDs(jobs)
				if !slices.Equal(got, tc.want) {
					t.Fatalf("page size %d: got %v, want %v", limit, got, tc.want)
				}
				if tc.wantSize >= 0 && len(got) != tc.wantSize {
					t.Fatalf("page size %d: got %d jobs, want %d", limit, len(got), tc.wantSize)
				}
			}
		})
	}
}

func TestDescribeJobLogItemsPaginatesInOrder(t *testing.T) {
	srv := start(t, emulator.Options{})
	c := client(srv.URL())
	served := decode[wireJob](t, srv.Jobs())
	for i, id := range srv.JobIDs() {
		want := decode[wireLog](t, srv.JobLog(id))
		limit := int32(1 + i%4)
		p := drs.NewDescribeJobLogItemsPaginator(c, &drs.DescribeJobLogItemsInput{JobID: aws.String(id)},
			func(o *drs.DescribeJobLogItemsPaginatorOptions) { o.Limit = limit })
		var got []types.JobLog
		for p.HasMorePages() {
			out, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			got = append(got, out.Items...)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: listed %d log items, want %d", id, len(got), len(want))
		}
		createdAt := parseTime(t, served[i].CreationDateTime)
		prev := createdAt
		for k := range got {
			if string(got[k].Event) != want[k].Event || aws.ToString(got[k].LogDateTime) != want[k].LogDateTime {
				t.Fatalf("%s item %d: got %s at %s, want %s at %s", id, k, got[k].Event, aws.ToString(got[k].LogDateTime), want[k].Event, want[k].LogDateTime)
			}
			at := parseTime(t, aws.ToString(got[k].LogDateTime))
			if !at.After(prev) {
				t.Fatalf("%s item %d at %v is not after %v", id, k, at, prev)
			}
			prev = at
		}
		if srv.JobLogCalls(id) == 0 {
			t.Fatalf("%s: JobLogCalls is 0 after listing its log", id)
		}
	}
}

func TestDescribeJobLogItemsUnknownJob(t *testing.T) {
	srv := start(t, emulator.Options{})
	_, err := client(srv.URL()).DescribeJobLogItems(ctx(t), &drs.DescribeJobLogItemsInput{JobID: aws.String("drsjob-00000000000000000")})
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Fatalf("got %v, want a ValidationException", err)
	}
}

func TestDescribeSourceServers(t *testing.T) {
	srv := start(t, emulator.Options{StagingAccounts: []string{"210987654321", "310987654321"}})
	c := client(srv.URL())
	served := decode[wireServer](t, srv.SourceServers())
	var all, extended []string
	for _, s := range served {
		all = append(all, s.SourceServerID)
		if s.StagingArea.StagingAccountID == "310987654321" {
			extended = append(extended, s.SourceServerID)
		}
	}
	mac := served[3].SourceProperties.NetworkInterfaces[0].MacAddress
	for _, tc := range []struct {
		name    string
		filters *types.DescribeSourceServersRequestFilters
		want    []string
	}{
		{"all", nil, all},
		{"by ID", &types.DescribeSourceServersRequestFilters{SourceServerIDs: []string{all[7], all[2]}}, []string{all[2], all[7]}},
		{"by staging account", &types.DescribeSourceServersRequestFilters{StagingAccountIDs: []string{"310987654321"}}, extended},
		{"by hardware ID", &types.DescribeSourceServersRequestFilters{HardwareId: aws.String(mac)}, []string{all[3]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := drs.NewDescribeSourceServersPaginator(c, &drs.DescribeSourceServersInput{Filters: tc.filters},
				func(o *drs.DescribeSourceServersPaginatorOptions) { o.Limit = 5 })
			var got []string
			for p.HasMorePages() {
				out, err := p.NextPage(ctx(t))
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range out.Items {
					got = append(got, aws.ToString(s.SourceServerID))
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestListStagingAccounts(t *testing.T) {
	accounts := []string{"210987654321", "310987654321", "410987654321"}
	srv := start(t, emulator.Options{StagingAccounts: accounts})
	c := client(srv.URL())
	p := drs.NewListStagingAccountsPaginator(c, &drs.ListStagingAccountsInput{},
		func(o *drs.ListStagingAccountsPaginatorOptions) { o.Limit = 1 })
	var got []string
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.Accounts {
			got = append(got, aws.ToString(a.AccountID))
		}
	}
	if !slices.Equal(got, accounts) {
		t.Fatalf("got %v, want %v", got, accounts)
	}
	_, err := c.ListStagingAccounts(ctx(t), &drs.ListStagingAccountsInput{MaxResults: aws.Int32(51)})
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Fatalf("maxResults 51: got %v, want a ValidationException", err)
	}
}

func TestFaults(t *testing.T) {
	srv := start(t, emulator.Options{})
	c := client(srv.URL())
	jobID := srv.JobIDs()[5]
	call := func(op string) error {
		var err error
		switch op {
		case emulator.OpDescribeJobs:
			_, err = c.DescribeJobs(ctx(t), &drs.DescribeJobsInput{})
		case emulator.OpDescribeJobLogItems:
			_, err = c.DescribeJobLogItems(ctx(t), &drs.DescribeJobLogItemsInput{JobID: aws.String(jobID)})
		case emulator.OpDescribeSourceServers:
			_, err = c.DescribeSourceServers(ctx(t), &drs.DescribeSourceServersInput{})
		case emulator.OpListStagingAccounts:
			_, err = c.ListStagingAccounts(ctx(t), &drs.ListStagingAccountsInput{})
		}
		return err
	}
	ops := []string{emulator.OpDescribeJobs, emulator.OpDescribeJobLogItems, emulator.OpDescribeSourceServers, emulator.OpListStagingAccounts}
	for _, tc := range []struct {
		name   string
		faults func(op string) emulator.Faults
		check  func(t *testing.T, err error)
	}{
		{
			name:   "throttled",
			faults: func(string) emulator.Faults { return emulator.Faults{ThrottleRate: 1} },
			check: func(t *testing.T, err error) {
				var te *types.ThrottlingException
				if !errors.As(err, &te) {
					t.Fatalf("got %v, want a ThrottlingException", err)
				}
				var re *awshttp.ResponseError
				if !errors.As(err, &re) || re.HTTPStatusCode() != 429 {
					t.Fatalf("got %v, want HTTP 429", err)
				}
			},
		},
		{
			name:   "server error",
			faults: func(string) emulator.Faults { return emulator.Faults{ServerErrorRate: 1} },
			check: func(t *testing.T, err error) {
				var ie *types.InternalServerException
				if !errors.As(err, &ie) {
					t.Fatalf("got %v, want an InternalServerException", err)
				}
				var re *awshttp.ResponseError
				if !errors.As(err, &re) || re.HTTPStatusCode() != 500 {
					t.Fatalf("got %v, want HTTP 500", err)
				}
			},
		},
		{
			name:   "truncated",
			faults: func(op string) emulator.Faults { return emulator.Faults{Truncate: map[string]bool{op: true}} },
			check: func(t *testing.T, err error) {
				var de *smithy.DeserializationError
				if !errors.As(err, &de) {
					t.Fatalf("got %v, want a deserialization error", err)
				}
			},
		},
		{
			name:   "malformed",
			faults: func(op string) emulator.Faults { return emulator.Faults{Malformed: map[string]bool{op: true}} },
			check: func(t *testing.T, err error) {
				var de *smithy.DeserializationError
				if !errors.As(err, &de) {
					t.Fatalf("got %v, want a deserialization error", err)
				}
			},
		},
		{
			name:   "latency only",
			faults: func(string) emulator.Faults { return emulator.Faults{Latency: 20 * time.Millisecond} },
			check: func(t *testing.T, err error) {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
			},
		},
	} {
		for _, op := range ops {
			t.Run(tc.name+"/"+op, func(t *testing.T) {
				srv.ResetCounts()
				srv.SetFaults(tc.faults(op))
				defer srv.SetFaults(emulator.Faults{})
				tc.check(t, call(op))
				if n := srv.Calls(op); n != 1 {
					t.Fatalf("Calls(%s) = %d, want 1", op, n)
				}
			})
		}
	}

	t.Run("faults are per operation", func(t *testing.T) {
		srv.SetFaults(emulator.Faults{Truncate: map[string]bool{emulator.OpDescribeJobs: true}})
		defer srv.SetFaults(emulator.Faults{})
		if err := call(emulator.OpDescribeSourceServers); err != nil {
			t.Fatalf("DescribeSourceServers with DescribeJobs truncated: %v", err)
		}
	})

	t.Run("partial throttling", func(t *testing.T) {
		srv.ResetCounts()
		srv.SetFaults(emulator.Faults{ThrottleRate: 0.5})
		defer srv.SetFaults(emulator.Faults{})
		throttled := 0
		for range 40 {
			if err := call(emulator.OpDescribeJobLogItems); err != nil {
				var te *types.ThrottlingException
				if !errors.As(err, &te) {
					t.Fatalf("unexpected error %v", err)
				}
				throttled++
			}
		}
		if throttled == 0 || throttled == 40 {
			t.Fatalf("%d of 40 calls throttled at rate 0.5", throttled)
		}
		if srv.Calls(emulator.OpDescribeJobLogItems) != 40 || srv.JobLogCalls(jobID) != 40 {
			t.Fatalf("counted %d calls, %d for %s; want 40 each", srv.Calls(emulator.OpDescribeJobLogItems), srv.JobLogCalls(jobID), jobID)
		}
		srv.ResetCounts()
		if srv.Calls(emulator.OpDescribeJobLogItems) != 0 || srv.JobLogCalls(jobID) != 0 {
			t.Fatal("ResetCounts left counts behind")
		}
	})
}

func TestAdvanceSeenThroughSDK(t *testing.T) {
	srv := start(t, emulator.Options{})
	c := client(srv.URL())
	before, _ := listJobs(t, c, &drs.DescribeJobsInput{}, 7)
	running := map[string]bool{}
	for _, j := range before {
		if j.Status != types.JobStatusCompleted {
			running[aws.ToString(j.JobID)] = true
		}
	}
	if len(running) != emulator.DefaultInProgress {
		t.Fatalf("%d jobs in progress, want %d", len(running), emulator.DefaultInProgress)
	}
	srv.Advance(6 * time.Hour)
	after, _ := listJobs(t, c, &drs.DescribeJobsInput{}, 7)
	if !slices.Equal(jobIDs(after), srv.JobIDs()) {
		t.Fatal("jobs listed after Advance differ from JobIDs")
	}
	if len(after) < len(before)+2 {
		t.Fatalf("%d jobs after Advance, want at least %d", len(after), len(before)+2)
	}
	for _, j := range after {
		id := aws.ToString(j.JobID)
		if running[id] && (j.Status != types.JobStatusCompleted || aws.ToString(j.EndDateTime) == "") {
			t.Errorf("job %s was running and is now %s with endDateTime %q", id, j.Status, aws.ToString(j.EndDateTime))
		}
	}
	if after[0].Status == types.JobStatusCompleted {
		t.Errorf("newest job %s is already completed", aws.ToString(after[0].JobID))
	}
}

func TestHandlerInHTTPTest(t *testing.T) {
	srv := emulator.New(emulator.Options{Jobs: 5})
	ts := newLoopbackServer(t, srv)
	jobs, _ := listJobs(t, client(ts), &drs.DescribeJobsInput{}, 2)
	if !slices.Equal(jobIDs(jobs), srv.JobIDs()) {
		t.Fatal("jobs listed through Handler differ from JobIDs")
	}
}
