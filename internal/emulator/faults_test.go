package emulator_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	drstypes "github.com/aws/aws-sdk-go-v2/service/drs/types"
	"github.com/aws/aws-sdk-go-v2/service/snowball"
	"github.com/aws/smithy-go"

	"github.com/archiver-dev/archiver/internal/emulator"
)

// jsonOp is one JSON operation as the wire tests call it: by raw HTTP, with
// its list and token members.
type jsonOp struct {
	op, list, token string
	call            func(t *testing.T, url, body string) answer
}

// jsonOps returns every JSON operation of srv, called with a page size of
// 2 so that each answer has a next token.
func jsonOps(srv *emulator.Server) []jsonOp {
	drsPost := func(op string) func(t *testing.T, url, body string) answer {
		return func(t *testing.T, url, body string) answer { return send(t, http.MethodPost, url+"/"+op, body) }
	}
	json11 := func(target string) func(t *testing.T, url, body string) answer {
		return func(t *testing.T, url, body string) answer { return rpc(t, url, target, body) }
	}
	cluster := srv.ClusterIDs()[0]
	job := srv.JobIDs()[0]
	for _, id := range srv.JobIDs() {
		if len(srv.JobLog(id)) > len(srv.JobLog(job)) {
			job = id
		}
	}
	return []jsonOp{
		{emulator.OpDescribeJobs, "items", "nextToken", drsPost(emulator.OpDescribeJobs)},
		{emulator.OpDescribeJobLogItems, "items", "nextToken", func(t *testing.T, url, body string) answer {
			return send(t, http.MethodPost, url+"/DescribeJobLogItems", strings.Replace(body, "{", `{"jobID":"`+job+`",`, 1))
		}},
		{emulator.OpDescribeSourceServers, "items", "nextToken", drsPost(emulator.OpDescribeSourceServers)},
		{emulator.OpListStagingAccounts, "accounts", "nextToken", func(t *testing.T, url, body string) answer {
			return send(t, http.MethodGet, url+"/ListStagingAccounts", "")
		}},
		{emulator.OpListClusters, "ClusterListEntries", "NextToken", json11("AWSIESnowballJobManagementService.ListClusters")},
		{emulator.OpListClusterJobs, "JobListEntries", "NextToken", func(t *testing.T, url, body string) answer {
			return rpc(t, url, "AWSIESnowballJobManagementService.ListClusterJobs", strings.Replace(body, "{", `{"ClusterId":"`+cluster+`",`, 1))
		}},
		{emulator.OpGetReplicationJobs, "replicationJobList", "nextToken", json11(smsTarget)},
	}
}

// TestWrongTypes: each way of breaking an answer's types keeps it a 200
// of valid JSON, with exactly the member named broken.
func TestWrongTypes(t *testing.T) {
	srv := start(t, emulator.Options{Jobs: 6, StagingAccounts: []string{"111111111111", "222222222222", "333333333333"}})
	for _, o := range jsonOps(srv) {
		body := `{"maxResults":2}`
		if o.token == "NextToken" {
			body = `{"MaxResults":2}`
		}
		whole := o.call(t, srv.URL(), body)
		var want map[string]json.RawMessage
		if err := json.Unmarshal(whole.body, &want); err != nil || whole.status != http.StatusOK {
			t.Fatalf("%s: %d %s", o.op, whole.status, whole.body)
		}
		for _, w := range []emulator.WrongType{emulator.ListAsObject, emulator.TokenAsNumber, emulator.ItemAsString} {
			t.Run(o.op+"/"+w.String(), func(t *testing.T) {
				srv.SetFaults(emulator.Faults{WrongTypes: map[string]emulator.WrongType{o.op: w}})
				defer srv.SetFaults(emulator.Faults{})
				a := o.call(t, srv.URL(), body)
				var got map[string]json.RawMessage
				if a.status != http.StatusOK || json.Unmarshal(a.body, &got) != nil {
					t.Fatalf("status %d, body %s: want a 200 of valid JSON", a.status, a.body)
				}
				broken := o.list
				switch w {
				case emulator.ListAsObject:
					if string(got[o.list]) != `{"a":1}` {
						t.Errorf("%s = %s, want {\"a\":1}", o.list, got[o.list])
					}
				case emulator.TokenAsNumber:
					broken = o.token
					if string(got[o.token]) != `5` {
						t.Errorf("%s = %s, want 5", o.token, got[o.token])
					}
				case emulator.ItemAsString:
					var items, wantItems []json.RawMessage
					json.Unmarshal(got[o.list], &items)
					json.Unmarshal(want[o.list], &wantItems)
					if len(items) != len(wantItems) || string(items[0]) != `"item"` || string(items[1]) != string(wantItems[1]) {
						t.Errorf("%s = %s, want the first of %s replaced by \"item\"", o.list, got[o.list], want[o.list])
					}
				}
				for k, v := range want {
					if k != broken && string(got[k]) != string(v) {
						t.Errorf("member %s changed: %s, was %s", k, got[k], v)
					}
				}
			})
		}
	}
}

// tokenOf returns the token member of a list answer, or "" on the last
// page.
func tokenOf(t *testing.T, a answer, member string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if a.status != http.StatusOK || json.Unmarshal(a.body, &m) != nil {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	var tok string
	if raw, ok := m[member]; ok {
		if err := json.Unmarshal(raw, &tok); err != nil {
			t.Fatalf("%s = %s", member, raw)
		}
	}
	return tok
}

// withToken returns the request body asking for page size 2 after token.
func withToken(o jsonOp, token string) string {
	size := "maxResults"
	if o.token == "NextToken" {
		size = "MaxResults"
	}
	if token == "" {
		return fmt.Sprintf(`{%q:2}`, size)
	}
	return fmt.Sprintf(`{%q:2,%q:%q}`, size, o.token, token)
}

// TestRepeatTokens: with a cycle of 1 the second page hands back the token
// that asked for it; with 2, the third page hands back the first token.
func TestRepeatTokens(t *testing.T) {
	srv := start(t, emulator.Options{Jobs: 12, SnowballJobsPerCluster: 8, SMSJobs: 8})
	for _, o := range jsonOps(srv) {
		if o.op == emulator.OpListStagingAccounts || o.op == emulator.OpListClusters {
			continue // too few entries for three pages
		}
		t.Run(o.op, func(t *testing.T) {
			defer srv.SetFaults(emulator.Faults{})
			// Tokens of a listing without the fault.
			var clean []string
			for tok := ""; len(clean) < 3; {
				tok = tokenOf(t, o.call(t, srv.URL(), withToken(o, tok)), o.token)
				if tok == "" {
					t.Fatal("fewer than four pages")
				}
				clean = append(clean, tok)
			}
			srv.SetFaults(emulator.Faults{RepeatTokens: map[string]int{o.op: 1}})
			a := tokenOf(t, o.call(t, srv.URL(), withToken(o, "")), o.token)
			for i := 0; i < 3; i++ {
				if got := tokenOf(t, o.call(t, srv.URL(), withToken(o, a)), o.token); got != a {
					t.Fatalf("cycle 1, call %d: token %q, want %q again", i, got, a)
				}
			}
			srv.SetFaults(emulator.Faults{RepeatTokens: map[string]int{o.op: 2}})
			got := []string{tokenOf(t, o.call(t, srv.URL(), withToken(o, "")), o.token)}
			for i := 0; i < 3; i++ {
				got = append(got, tokenOf(t, o.call(t, srv.URL(), withToken(o, got[i])), o.token))
			}
			if want := []string{clean[0], clean[1], clean[0], clean[1]}; strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("cycle 2 tokens %q, want %q", got, want)
			}
		})
	}
}

// TestExpireTokens: each of the first k tokens presented is refused once,
// in the service's own error code, then accepted; the first page never is.
func TestExpireTokens(t *testing.T) {
	srv := start(t, emulator.Options{Jobs: 12, SnowballJobsPerCluster: 8, SMSJobs: 8})
	codes := map[string]string{
		emulator.OpDescribeJobs:       "ValidationException",
		emulator.OpListClusterJobs:    "InvalidNextTokenException",
		emulator.OpGetReplicationJobs: "InvalidParameterException",
	}
	for _, o := range jsonOps(srv) {
		code, ok := codes[o.op]
		if !ok {
			continue
		}
		t.Run(o.op, func(t *testing.T) {
			srv.SetFaults(emulator.Faults{ExpireTokens: map[string]int{o.op: 2}})
			defer srv.SetFaults(emulator.Faults{})
			errCode := func(a answer) string {
				if a.status != http.StatusBadRequest {
					return ""
				}
				if c := a.header.Get("X-Amzn-ErrorType"); c != "" {
					return c
				}
				var e struct {
					Type string `json:"__type"`
				}
				json.Unmarshal(a.body, &e)
				return e.Type
			}
			tok := ""
			for page := 1; page <= 4; page++ {
				a := o.call(t, srv.URL(), withToken(o, tok))
				if tok != "" && page <= 3 {
					if got := errCode(a); got != code || !strings.Contains(strings.ToLower(string(a.body)), "expired") {
						t.Fatalf("page %d, first try: %d %s, want %s saying expired", page, a.status, a.body, code)
					}
					a = o.call(t, srv.URL(), withToken(o, tok))
				}
				tok = tokenOf(t, a, o.token)
			}
			// k is spent: a new listing pages through unrefused.
			for tok, n := "", 0; n == 0 || tok != ""; n++ {
				tok = tokenOf(t, o.call(t, srv.URL(), withToken(o, tok)), o.token)
			}
		})
	}
}

// TestRefusals: access denied and an uninitialized DRS account, as the
// SDK clients read them.
func TestRefusals(t *testing.T) {
	srv := start(t, emulator.Options{Jobs: 4})
	dc, sc := client(srv.URL()), snowClient(srv.URL())
	status := func(err error) int {
		var re *awshttp.ResponseError
		if errors.As(err, &re) {
			return re.HTTPStatusCode()
		}
		return 0
	}
	code := func(err error) string {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return ae.ErrorCode()
		}
		return ""
	}

	srv.SetFaults(emulator.Faults{AccessDenied: map[string]bool{
		emulator.OpDescribeJobLogItems: true, emulator.OpListClusters: true, emulator.OpGetReplicationJobs: true,
	}})
	// The SDK models AccessDeniedException for some DRS operations only;
	// the others read it as a generic API error with that code.
	_, err := dc.DescribeJobLogItems(ctx(t), &drs.DescribeJobLogItemsInput{JobID: aws.String(srv.JobIDs()[0])})
	if code(err) != "AccessDeniedException" || status(err) != http.StatusForbidden || !strings.Contains(err.Error(), "drs:DescribeJobLogItems") {
		t.Errorf("DescribeJobLogItems: %v, want a 403 AccessDeniedException naming drs:DescribeJobLogItems", err)
	}
	if _, err := dc.DescribeJobs(ctx(t), &drs.DescribeJobsInput{}); err != nil {
		t.Errorf("DescribeJobs is not denied, yet: %v", err)
	}
	_, err = sc.ListClusters(ctx(t), &snowball.ListClustersInput{})
	if code(err) != "AccessDeniedException" || status(err) != http.StatusBadRequest || !strings.Contains(err.Error(), "snowball:ListClusters") {
		t.Errorf("ListClusters: %v, want a 400 AccessDeniedException naming snowball:ListClusters", err)
	}
	a := rpc(t, srv.URL(), smsTarget, `{}`)
	checkJSON11Error(t, a, "UnauthorizedOperationException")

	srv.SetFaults(emulator.Faults{UninitializedAccount: true})
	for _, call := range []func() error{
		func() error { _, err := dc.DescribeJobs(ctx(t), &drs.DescribeJobsInput{}); return err },
		func() error {
			_, err := dc.DescribeSourceServers(ctx(t), &drs.DescribeSourceServersInput{})
			return err
		},
		func() error { _, err := dc.ListStagingAccounts(ctx(t), &drs.ListStagingAccountsInput{}); return err },
	} {
		err := call()
		var ue *drstypes.UninitializedAccountException
		if !errors.As(err, &ue) || status(err) != http.StatusBadRequest || !strings.Contains(ue.ErrorMessage(), srv.Account()) {
			t.Errorf("%v, want a 400 UninitializedAccountException naming the account", err)
		}
	}
	if _, err := sc.ListClusters(ctx(t), &snowball.ListClustersInput{}); err != nil {
		t.Errorf("Snowball with DRS uninitialized: %v", err)
	}
	srv.SetFaults(emulator.Faults{})
	if _, err := dc.DescribeJobs(ctx(t), &drs.DescribeJobsInput{}); err != nil {
		t.Errorf("after SetFaults(Faults{}): %v", err)
	}
}
