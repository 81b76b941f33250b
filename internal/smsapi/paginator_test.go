package smsapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"

	"github.com/archiver-dev/archiver/internal/smsapi"
)

// pager is the shape of every SDK paginator, as sync pages through them.
type pager[O any, Opt any] interface {
	HasMorePages() bool
	NextPage(ctx context.Context, optFns ...func(Opt)) (O, error)
}

var _ pager[*smsapi.GetReplicationJobsOutput, *smsapi.Options] = (*smsapi.GetReplicationJobsPaginator)(nil)

// tokenPages serves pages by the request's nextToken: pages[token] is the
// body answered to it ("" for the first request).
func tokenPages(t *testing.T, pages map[string]string) func(int, request) reply {
	return func(n int, req request) reply {
		var in struct {
			NextToken *string `json:"nextToken"`
		}
		if err := json.Unmarshal(req.body, &in); err != nil {
			t.Errorf("request %d: %v", n, err)
		}
		body, ok := pages[aws.ToString(in.NextToken)]
		if !ok {
			return reply{status: 400, body: `{"__type":"InvalidParameterException","message":"bad nextToken"}`}
		}
		return reply{body: body}
	}
}

// collect pages p to the end, or to max pages, and returns the raw jobs.
func collect(t *testing.T, p pager[*smsapi.GetReplicationJobsOutput, *smsapi.Options], max int) (jobs []string, pages int) {
	t.Helper()
	for p.HasMorePages() && pages < max {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		pages++
		for _, j := range out.ReplicationJobList {
			jobs = append(jobs, string(j))
		}
	}
	return jobs, pages
}

func TestPaginatorPagesToTheEnd(t *testing.T) {
	f := newFakeSMS(t, tokenPages(t, map[string]string{
		"":   `{"replicationJobList":[{"replicationJobId":"sms-job-1"}, {"replicationJobId" : "sms-job-2","x":[ ]}],"nextToken":"t2"}`,
		"t2": `{"replicationJobList":[{"replicationJobId":"sms-job-3","future":{"a":1}}],"nextToken":"t3"}`,
		"t3": `{"replicationJobList":[{"replicationJobId":"sms-job-4"}],"nextToken":null}`,
	}))
	c := newTestClient(t, f, 3)
	p := smsapi.NewGetReplicationJobsPaginator(c, &smsapi.GetReplicationJobsInput{MaxResults: aws.Int32(2)})
	jobs, pages := collect(t, p, 10)

	want := []string{
		`{"replicationJobId":"sms-job-1"}`,
		`{"replicationJobId" : "sms-job-2","x":[ ]}`,
		`{"replicationJobId":"sms-job-3","future":{"a":1}}`,
		`{"replicationJobId":"sms-job-4"}`,
	}
	if !slices.Equal(jobs, want) {
		t.Errorf("jobs\n got %q\nwant %q", jobs, want)
	}
	if pages != 3 || f.calls() != 3 {
		t.Errorf("%d pages in %d calls, want 3 in 3", pages, f.calls())
	}
	for n := 1; n <= 3; n++ {
		var in smsapi.GetReplicationJobsInput
		if err := json.Unmarshal(f.received(n).body, &in); err != nil || aws.ToInt32(in.MaxResults) != 2 {
			t.Errorf("request %d %s: want maxResults 2", n, f.received(n).body)
		}
	}
	if _, err := p.NextPage(context.Background()); !errors.Is(err, smsapi.ErrNoMorePages) {
		t.Errorf("NextPage after the last page: %v, want ErrNoMorePages", err)
	}
	if p.StoppedOnDuplicateToken() {
		t.Error("StoppedOnDuplicateToken after a listing that ended")
	}
}

func TestPaginatorStopsOnDuplicateToken(t *testing.T) {
	job := `{"replicationJobList":[{"replicationJobId":"sms-job-1"}],"nextToken":`
	for _, tc := range []struct {
		name      string
		start     *string
		pages     map[string]string
		stop      bool
		wantPages int
		wantStop  bool
	}{
		{"same token again", nil, map[string]string{"": job + `"A"}`, "A": job + `"A"}`}, true, 2, true},
		{"cycle of tokens", nil, map[string]string{"": job + `"A"}`, "A": job + `"B"}`, "B": job + `"A"}`}, true, 3, true},
		{"starting token again", aws.String("A"), map[string]string{"A": job + `"A"}`}, true, 1, true},
		{"empty token ends the listing", nil, map[string]string{"": job + `""}`}, true, 1, false},
		// Without the option, as with the SDK's paginators, the listing goes
		// on for as long as the service hands back tokens.
		{"same token, option off", nil, map[string]string{"": job + `"A"}`, "A": job + `"A"}`}, false, 6, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSMS(t, tokenPages(t, tc.pages))
			c := newTestClient(t, f, 3)
			p := smsapi.NewGetReplicationJobsPaginator(c, &smsapi.GetReplicationJobsInput{NextToken: tc.start},
				func(o *smsapi.GetReplicationJobsPaginatorOptions) { o.StopOnDuplicateToken = tc.stop })
			_, pages := collect(t, p, 6)
			if pages != tc.wantPages {
				t.Errorf("%d pages, want %d", pages, tc.wantPages)
			}
			if tc.stop && p.HasMorePages() {
				t.Error("HasMorePages after a repeated token")
			}
			if got := p.StoppedOnDuplicateToken(); got != tc.wantStop {
				t.Errorf("StoppedOnDuplicateToken %v, want %v", got, tc.wantStop)
			}
		})
	}
}

func TestPaginatorPageCanBeRetriedAfterAnError(t *testing.T) {
	pages := map[string]string{
		"":   `{"replicationJobList":[{"replicationJobId":"sms-job-1"}],"nextToken":"t2"}`,
		"t2": `{"replicationJobList":[{"replicationJobId":"sms-job-2"}]}`,
	}
	serve := tokenPages(t, pages)
	f := newFakeSMS(t, func(n int, req request) reply {
		if n == 2 {
			return reply{status: 400, body: `{"__type":"ValidationException","message":"try again"}`}
		}
		return serve(n, req)
	})
	c := newTestClient(t, f, 3)
	p := smsapi.NewGetReplicationJobsPaginator(c, nil)
	if _, err := p.NextPage(context.Background()); err != nil {
		t.Fatalf("page 1: %v", err)
	}
	_, err := p.NextPage(context.Background())
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationException" {
		t.Fatalf("page 2: %v, want ValidationException", err)
	}
	if !p.HasMorePages() {
		t.Fatal("no more pages after a failed page")
	}
	out, err := p.NextPage(context.Background())
	if err != nil || len(out.ReplicationJobList) != 1 || string(out.ReplicationJobList[0]) != `{"replicationJobId":"sms-job-2"}` {
		t.Fatalf("page 2 again: %v, %v", out, err)
	}
	if p.HasMorePages() {
		t.Error("HasMorePages after the last page")
	}
}
