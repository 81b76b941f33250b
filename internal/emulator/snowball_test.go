package emulator_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/snowball"
	"github.com/aws/aws-sdk-go-v2/service/snowball/types"
	"github.com/aws/smithy-go"

	"github.com/archiver-dev/archiver/internal/emulator"
)

// fastRetryer retries up to attempts times at once, with no backoff and no
// retry quota, so that a test of retries does not wait.
func fastRetryer(attempts int) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = attempts
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		o.RateLimiter = ratelimit.None
	})
}

// snowRetries makes a Snowball client try each call up to attempts times,
// at once.
func snowRetries(attempts int) func(*snowball.Options) {
	return func(o *snowball.Options) {
		o.Retryer = fastRetryer(attempts)
		o.RetryMaxAttempts = 0 // a non-zero value would wrap Retryer
	}
}

// snowClient returns a real Snowball SDK client aimed at base that does
// not retry unless optFns say so.
func snowClient(base string, optFns ...func(*snowball.Options)) *snowball.Client {
	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
	}
	fns := append([]func(*snowball.Options){func(o *snowball.Options) {
		o.BaseEndpoint = aws.String(base)
		o.RetryMaxAttempts = 1
	}}, optFns...)
	return snowball.NewFromConfig(cfg, fns...)
}

// wireCluster is a served cluster list entry.
type wireCluster struct {
	ClusterID    string      `json:"ClusterId"`
	ClusterState string      `json:"ClusterState"`
	CreationDate json.Number `json:"CreationDate"`
	Description  string      `json:"Description"`
}

// wireClusterJob is a served job list entry.
type wireClusterJob struct {
	JobID        string      `json:"JobId"`
	JobState     string      `json:"JobState"`
	IsMaster     bool        `json:"IsMaster"`
	JobType      string      `json:"JobType"`
	SnowballType string      `json:"SnowballType"`
	CreationDate json.Number `json:"CreationDate"`
	Description  string      `json:"Description"`
}

// epoch reads a served epoch-seconds number exactly, without going through
// a float.
func epoch(t *testing.T, n json.Number) time.Time {
	t.Helper()
	sec, frac, ok := strings.Cut(string(n), ".")
	if !ok || len(frac) != 3 {
		t.Fatalf("timestamp %s is not epoch seconds with three decimals", n)
	}
	s, err1 := strconv.ParseInt(sec, 10, 64)
	ms, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("timestamp %s: %v %v", n, err1, err2)
	}
	return time.Unix(s, ms*int64(time.Millisecond)).UTC()
}

// listClusters lists every cluster through the SDK paginator.
func listClusters(t *testing.T, c *snowball.Client, limit int32) ([]types.ClusterListEntry, int) {
	t.Helper()
	p := snowball.NewListClustersPaginator(c, &snowball.ListClustersInput{}, func(o *snowball.ListClustersPaginatorOptions) { o.Limit = limit })
	var all []types.ClusterListEntry
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListClusters page %d: %v", pages+1, err)
		}
		pages++
		all = append(all, out.ClusterListEntries...)
	}
	return all, pages
}

// listClusterJobs lists every job of a cluster through the SDK paginator.
func listClusterJobs(t *testing.T, c *snowball.Client, clusterID string, limit int32) ([]types.JobListEntry, int) {
	t.Helper()
	p := snowball.NewListClusterJobsPaginator(c, &snowball.ListClusterJobsInput{ClusterId: aws.String(clusterID)},
		func(o *snowball.ListClusterJobsPaginatorOptions) { o.Limit = limit })
	var all []types.JobListEntry
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListClusterJobs %s page %d: %v", clusterID, pages+1, err)
		}
		pages++
		all = append(all, out.JobListEntries...)
	}
	return all, pages
}

func TestListClustersPaginates(t *testing.T) {
	srv := start(t, emulator.Options{SnowballClusters: 7})
	c := snowClient(srv.URL())
	served := decode[wireCluster](t, srv.Clusters())
	if len(served) != 7 || !slices.Equal(clusterIDs(served), srv.ClusterIDs()) {
		t.Fatalf("Clusters() and ClusterIDs() disagree: %d clusters, %v", len(served), srv.ClusterIDs())
	}
	for _, tc := range []struct {
		name      string
		limit     int32
		wantPages int
	}{
		{"one per page", 1, 7},
		{"three per page", 3, 3},
		{"hundred per page", 100, 1},
		{"service default", 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, pages := listClusters(t, c, tc.limit)
			if pages != tc.wantPages {
				t.Errorf("took %d pages, want %d", pages, tc.wantPages)
			}
			if len(got) != len(served) {
				t.Fatalf("listed %d clusters, want %d", len(got), len(served))
			}
			for i, g := range got {
				w := served[i]
				if aws.ToString(g.ClusterId) != w.ClusterID || string(g.ClusterState) != w.ClusterState || aws.ToString(g.Description) != w.Description {
					t.Fatalf("cluster %d: %+v, want %+v", i, g, w)
				}
				if want := epoch(t, w.CreationDate); g.CreationDate == nil || !g.CreationDate.Equal(want) {
					t.Fatalf("cluster %s CreationDate %v, want %v (served %s)", w.ClusterID, g.CreationDate, want, w.CreationDate)
				}
			}
		})
	}
}

func clusterIDs(cs []wireCluster) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ClusterID
	}
	return out
}

func TestListClusterJobsPaginates(t *testing.T) {
	srv := start(t, emulator.Options{SnowballClusters: 4, SnowballJobsPerCluster: 7})
	c := snowClient(srv.URL())
	for i, id := range srv.ClusterIDs() {
		served := decode[wireClusterJob](t, srv.ClusterJobs(id))
		limit := int32(1 + i%3)
		got, pages := listClusterJobs(t, c, id, limit)
		if want := (len(served) + int(limit) - 1) / int(limit); pages != want {
			t.Errorf("%s: %d pages at %d per page, want %d", id, pages, limit, want)
		}
		if len(got) != len(served) {
			t.Fatalf("%s: listed %d jobs, want %d", id, len(got), len(served))
		}
		for k, g := range got {
			w := served[k]
			if aws.ToString(g.JobId) != w.JobID || string(g.JobState) != w.JobState || g.IsMaster != w.IsMaster ||
				string(g.JobType) != w.JobType || string(g.SnowballType) != w.SnowballType || aws.ToString(g.Description) != w.Description {
				t.Fatalf("%s job %d: %+v, want %+v", id, k, g, w)
			}
			if want := epoch(t, w.CreationDate); g.CreationDate == nil || !g.CreationDate.Equal(want) {
				t.Fatalf("%s job %s CreationDate %v, want %v (served %s)", id, w.JobID, g.CreationDate, want, w.CreationDate)
			}
		}
	}
}

// TestEpochTimestampsParseExactly checks that the SDK reads every served
// CreationDate as the very millisecond it names, over many histories.
func TestEpochTimestampsParseExactly(t *testing.T) {
	srv := start(t, emulator.Options{SnowballClusters: 40, SnowballJobsPerCluster: 10})
	c := snowClient(srv.URL())
	got, _ := listClusters(t, c, 100)
	for i, w := range decode[wireCluster](t, srv.Clusters()) {
		if !got[i].CreationDate.Equal(epoch(t, w.CreationDate)) {
			t.Fatalf("cluster %s: SDK read %v for %s", w.ClusterID, got[i].CreationDate, w.CreationDate)
		}
		jobs, _ := listClusterJobs(t, c, w.ClusterID, 100)
		for k, wj := range decode[wireClusterJob](t, srv.ClusterJobs(w.ClusterID)) {
			if !jobs[k].CreationDate.Equal(epoch(t, wj.CreationDate)) {
				t.Fatalf("job %s: SDK read %v for %s", wj.JobID, jobs[k].CreationDate, wj.CreationDate)
			}
		}
	}
}

func TestSnowballErrors(t *testing.T) {
	srv := start(t, emulator.Options{SnowballClusters: 3})
	c := snowClient(srv.URL())
	ids := srv.ClusterIDs()
	first, err := c.ListClusterJobs(ctx(t), &snowball.ListClusterJobsInput{ClusterId: aws.String(ids[0]), MaxResults: aws.Int32(2)})
	if err != nil || first.NextToken == nil {
		t.Fatalf("first page: %v, token %v", err, first)
	}
	token := first.NextToken
	clusters, err := c.ListClusters(ctx(t), &snowball.ListClustersInput{MaxResults: aws.Int32(1)})
	if err != nil || clusters.NextToken == nil {
		t.Fatalf("first clusters page: %v", err)
	}
	for _, tc := range []struct {
		name  string
		call  func() error
		check func(t *testing.T, err error)
	}{
		{
			name: "unknown cluster",
			call: func() error {
				_, err := c.ListClusterJobs(ctx(t), &snowball.ListClusterJobsInput{ClusterId: aws.String("CID00000000-0000-4000-a000-000000000000")})
				return err
			},
			check: wantTyped[*types.InvalidResourceException](400),
		},
		{
			name: "garbage token",
			call: func() error {
				_, err := c.ListClusterJobs(ctx(t), &snowball.ListClusterJobsInput{ClusterId: aws.String(ids[0]), NextToken: aws.String("not a token")})
				return err
			},
			check: wantTyped[*types.InvalidNextTokenException](400),
		},
		{
			name: "token of another cluster",
			call: func() error {
				_, err := c.ListClusterJobs(ctx(t), &snowball.ListClusterJobsInput{ClusterId: aws.String(ids[1]), NextToken: token})
				return err
			},
			check: wantTyped[*types.InvalidNextTokenException](400),
		},
		{
			name: "job token for clusters",
			call: func() error {
				_, err := c.ListClusters(ctx(t), &snowball.ListClustersInput{NextToken: token})
				return err
			},
			check: wantTyped[*types.InvalidNextTokenException](400),
		},
		{
			name: "clusters token for jobs",
			call: func() error {
				_, err := c.ListClusterJobs(ctx(t), &snowball.ListClusterJobsInput{ClusterId: aws.String(ids[0]), NextToken: clusters.NextToken})
				return err
			},
			check: wantTyped[*types.InvalidNextTokenException](400),
		},
		{
			name: "page too large",
			call: func() error {
				_, err := c.ListClusters(ctx(t), &snowball.ListClustersInput{MaxResults: aws.Int32(101)})
				return err
			},
			check: wantCode("ValidationException", 400),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, tc.call())
		})
	}
}

// wantTyped checks that err is the SDK's typed error E with the given
// HTTP status.
func wantTyped[E error](status int) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var e E
		if !errors.As(err, &e) {
			t.Fatalf("got %v (%T), want a %T", err, err, e)
		}
		wantStatus(t, err, status)
	}
}

// wantCode checks that err is an API error with the given code and HTTP
// status.
func wantCode(code string, status int) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != code {
			t.Fatalf("got %v, want an API error %s", err, code)
		}
		wantStatus(t, err, status)
	}
}

// wantStatus checks the HTTP status an SDK error carries.
func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Fatalf("got %v, want HTTP %d", err, status)
	}
}

// wantDeserialization checks that err is the SDK failing to read an
// answer.
func wantDeserialization(t *testing.T, err error) {
	t.Helper()
	var de *smithy.DeserializationError
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want a deserialization error", err)
	}
}

func TestSnowballFaults(t *testing.T) {
	srv := start(t, emulator.Options{})
	clusterID := srv.ClusterIDs()[0]
	call := func(c *snowball.Client, op string) error {
		var err error
		switch op {
		case emulator.OpListClusters:
			_, err = c.ListClusters(ctx(t), &snowball.ListClustersInput{})
		case emulator.OpListClusterJobs:
			_, err = c.ListClusterJobs(ctx(t), &snowball.ListClusterJobsInput{ClusterId: aws.String(clusterID)})
		}
		return err
	}
	retrying := snowClient(srv.URL(), snowRetries(3))
	plain := snowClient(srv.URL())
	for _, tc := range []struct {
		name      string
		faults    func(op string) emulator.Faults
		client    *snowball.Client
		wantCalls int
		check     func(t *testing.T, err error)
	}{
		{
			name:      "throttled and retried",
			faults:    func(string) emulator.Faults { return emulator.Faults{ThrottleRate: 1} },
			client:    retrying,
			wantCalls: 3,
			check:     wantCode("ThrottlingException", 400),
		},
		{
			name:      "server error and retried",
			faults:    func(string) emulator.Faults { return emulator.Faults{ServerErrorRate: 1} },
			client:    retrying,
			wantCalls: 3,
			check:     wantCode("InternalFailure", 500),
		},
		{
			name:      "truncated",
			faults:    func(op string) emulator.Faults { return emulator.Faults{Truncate: map[string]bool{op: true}} },
			client:    plain,
			wantCalls: 1,
			check:     wantDeserialization,
		},
		{
			name:      "malformed",
			faults:    func(op string) emulator.Faults { return emulator.Faults{Malformed: map[string]bool{op: true}} },
			client:    plain,
			wantCalls: 1,
			check:     wantDeserialization,
		},
		{
			name:      "latency only",
			faults:    func(string) emulator.Faults { return emulator.Faults{Latency: 20 * time.Millisecond} },
			client:    plain,
			wantCalls: 1,
			check: func(t *testing.T, err error) {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
			},
		},
	} {
		for _, op := range []string{emulator.OpListClusters, emulator.OpListClusterJobs} {
			t.Run(tc.name+"/"+op, func(t *testing.T) {
				srv.ResetCounts()
				srv.SetFaults(tc.faults(op))
				defer srv.SetFaults(emulator.Faults{})
				tc.check(t, call(tc.client, op))
				if n := srv.Calls(op); n != tc.wantCalls {
					t.Fatalf("Calls(%s) = %d, want %d", op, n, tc.wantCalls)
				}
			})
		}
	}

	t.Run("retries get through", func(t *testing.T) {
		srv.ResetCounts()
		srv.SetFaults(emulator.Faults{ThrottleRate: 0.4, ServerErrorRate: 0.3})
		defer srv.SetFaults(emulator.Faults{})
		c := snowClient(srv.URL(), snowRetries(30))
		for range 10 {
			got, _ := listClusterJobs(t, c, clusterID, 2)
			if len(got) != emulator.DefaultSnowballJobsPerCluster {
				t.Fatalf("listed %d jobs through faults, want %d", len(got), emulator.DefaultSnowballJobsPerCluster)
			}
		}
		if n := srv.Calls(emulator.OpListClusterJobs); n <= 30 {
			t.Fatalf("%d calls for 30 pages at a 70%% fault rate: nothing was retried", n)
		}
	})

	t.Run("faults are per operation", func(t *testing.T) {
		srv.SetFaults(emulator.Faults{Truncate: map[string]bool{emulator.OpListClusters: true}, Malformed: map[string]bool{emulator.OpDescribeJobs: true}})
		defer srv.SetFaults(emulator.Faults{})
		if err := call(plain, emulator.OpListClusterJobs); err != nil {
			t.Fatalf("ListClusterJobs with ListClusters truncated: %v", err)
		}
	})
}

// snowOrder is the order of the JobStates a job moves through.
var snowOrder = []string{"New", "PreparingAppliance", "PreparingShipment", "InTransitToCustomer", "WithCustomer", "InTransitToAWS", "WithAWS", "InProgress", "Complete"}

func TestSnowballAdvance(t *testing.T) {
	srv := start(t, emulator.Options{SnowballClusters: 5, SnowballJobsPerCluster: 6})
	c := snowClient(srv.URL())
	states := func() map[string]string {
		m := map[string]string{}
		for _, id := range srv.ClusterIDs() {
			jobs, _ := listClusterJobs(t, c, id, 4)
			for _, j := range jobs {
				m[aws.ToString(j.JobId)] = string(j.JobState)
			}
		}
		return m
	}
	before := states()
	beforeClusters := decode[wireCluster](t, srv.Clusters())
	for round := range 12 {
		srv.Advance(time.Hour)
		after := states()
		moved := 0
		for id, was := range before {
			now := after[id]
			if now == was {
				continue
			}
			i := slices.Index(snowOrder, was)
			if i < 0 || i+1 >= len(snowOrder) || snowOrder[i+1] != now {
				t.Fatalf("round %d: job %s moved from %s to %s", round, id, was, now)
			}
			moved++
		}
		movable := 0
		for _, st := range before {
			if st != "Complete" && st != "Cancelled" {
				movable++
			}
		}
		if movable > 0 && moved == 0 {
			t.Fatalf("round %d: no job moved on though %d could", round, movable)
		}
		before = after
	}
	afterClusters := decode[wireCluster](t, srv.Clusters())
	for i := range beforeClusters {
		if beforeClusters[i].ClusterID != afterClusters[i].ClusterID || beforeClusters[i].CreationDate != afterClusters[i].CreationDate {
			t.Fatalf("cluster %d changed identity: %+v, then %+v", i, beforeClusters[i], afterClusters[i])
		}
	}
	for _, cl := range afterClusters {
		checkClusterState(t, cl, decode[wireClusterJob](t, srv.ClusterJobs(cl.ClusterID)))
	}
}

// checkClusterState checks that the ClusterState of cl agrees with the
// states of its jobs.
func checkClusterState(t *testing.T, cl wireCluster, jobs []wireClusterJob) {
	t.Helper()
	count := map[string]int{}
	inUse := false
	for _, j := range jobs {
		count[j.JobState]++
		if i := slices.Index(snowOrder, j.JobState); i >= 4 && i < 8 {
			inUse = true
		}
	}
	var want string
	switch {
	case len(jobs) == 0:
		want = "AwaitingQuorum"
	case count["Cancelled"] == len(jobs):
		want = "Cancelled"
	case count["Cancelled"]+count["Complete"] == len(jobs):
		want = "Complete"
	case inUse:
		want = "InUse"
	default:
		want = "Pending"
	}
	if cl.ClusterState != want {
		t.Fatalf("cluster %s is %s with jobs %v, want %s", cl.ClusterID, cl.ClusterState, count, want)
	}
}
