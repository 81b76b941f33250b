package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/internal/emulator"
)

// newLoopbackServer mounts the handler of srv in an httptest server, which
// listens on loopback, and returns its URL.
func newLoopbackServer(t *testing.T, srv *emulator.Server) string {
	t.Helper()
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// answer is one raw HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// send makes one raw call; body is sent as is when not empty.
func send(t *testing.T, method, url, body string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{res.StatusCode, res.Header, b}
}

// page is a list answer with its items kept as served.
type page struct {
	Items     []json.RawMessage `json:"items"`
	Accounts  []json.RawMessage `json:"accounts"`
	NextToken *string           `json:"nextToken"`
}

// fetchAll pages through a POST operation with raw HTTP and returns every
// item exactly as served.
func fetchAll(t *testing.T, url, op string, input map[string]any) []json.RawMessage {
	t.Helper()
	var all []json.RawMessage
	token := ""
	for {
		in := map[string]any{}
		for k, v := range input {
			in[k] = v
		}
		if token != "" {
			in["nextToken"] = token
		}
		body, _ := json.Marshal(in)
		a := send(t, http.MethodPost, url+"/"+op, string(body))
		if a.status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", op, a.status, a.body)
		}
		var p page
		if err := json.Unmarshal(a.body, &p); err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		all = append(all, p.Items...)
		if p.NextToken == nil {
			return all
		}
		if *p.NextToken == "" {
			t.Fatalf("%s: empty nextToken served instead of leaving it out", op)
		}
		token = *p.NextToken
	}
}

func equalRaw(a, b []json.RawMessage) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestServedBytesAreGroundTruth(t *testing.T) {
	srv := start(t, emulator.Options{})
	url := srv.URL()
	if got := fetchAll(t, url, emulator.OpDescribeJobs, map[string]any{"maxResults": 3}); !equalRaw(got, srv.Jobs()) {
		t.Fatal("served jobs differ from Jobs()")
	}
	if got := fetchAll(t, url, emulator.OpDescribeSourceServers, map[string]any{"maxResults": 5}); !equalRaw(got, srv.SourceServers()) {
		t.Fatal("served source servers differ from SourceServers()")
	}
	total := 0
	for _, id := range srv.JobIDs() {
		got := fetchAll(t, url, emulator.OpDescribeJobLogItems, map[string]any{"jobID": id, "maxResults": 4})
		if !equalRaw(got, srv.JobLog(id)) {
			t.Fatalf("served log of %s differs from JobLog()", id)
		}
		total += len(got)
	}
	if total != srv.TotalLogItems() {
		t.Fatalf("served %d log items, TotalLogItems says %d", total, srv.TotalLogItems())
	}

	a := send(t, http.MethodPost, url+"/DescribeJobs", `{}`)
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if a.header.Get("X-Amzn-Requestid") == "" {
		t.Error("no X-Amzn-Requestid header")
	}
}

func TestTokensAreStable(t *testing.T) {
	srv := start(t, emulator.Options{})
	url := srv.URL()
	first := send(t, http.MethodPost, url+"/DescribeJobs", `{"maxResults":7}`)
	var p page
	if err := json.Unmarshal(first.body, &p); err != nil || p.NextToken == nil {
		t.Fatalf("first page: %v %s", err, first.body)
	}
	body := `{"maxResults":7,"nextToken":"` + *p.NextToken + `"}`
	a, b := send(t, http.MethodPost, url+"/DescribeJobs", body), send(t, http.MethodPost, url+"/DescribeJobs", body)
	if a.status != 200 || !bytes.Equal(a.body, b.body) {
		t.Fatalf("the same page served twice differs:\n%s\n%s", a.body, b.body)
	}
}

func TestErrorAnswers(t *testing.T) {
	srv := start(t, emulator.Options{})
	url := srv.URL()
	tokenFor := func(path, body string) string {
		var p page
		a := send(t, http.MethodPost, url+path, body)
		if err := json.Unmarshal(a.body, &p); err != nil || p.NextToken == nil {
			t.Fatalf("no token from %s: %s", path, a.body)
		}
		return *p.NextToken
	}
	jobsToken := tokenFor("/DescribeJobs", `{"maxResults":2}`)
	jobID := srv.JobIDs()[10]
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"negative maxResults", "POST", "/DescribeJobs", `{"maxResults":-1}`, 400, "ValidationException"},
		{"maxResults above 1000", "POST", "/DescribeJobs", `{"maxResults":1001}`, 400, "ValidationException"},
		{"fractional maxResults", "POST", "/DescribeJobs", `{"maxResults":2.5}`, 400, "ValidationException"},
		{"garbage token", "POST", "/DescribeJobs", `{"nextToken":"not a token"}`, 400, "ValidationException"},
		{"token for other filters", "POST", "/DescribeJobs", `{"nextToken":"` + jobsToken + `","filters":{"jobIDs":["` + jobID + `"]}}`, 400, "ValidationException"},
		{"token for other operation", "POST", "/DescribeSourceServers", `{"nextToken":"` + jobsToken + `"}`, 400, "ValidationException"},
		{"token for other job log", "POST", "/DescribeJobLogItems", `{"jobID":"` + jobID + `","nextToken":"` + jobsToken + `"}`, 400, "ValidationException"},
		{"body is not JSON", "POST", "/DescribeJobs", `{"filters":`, 400, "ValidationException"},
		{"bad fromDate", "POST", "/DescribeJobs", `{"filters":{"fromDate":"last tuesday"}}`, 400, "ValidationException"},
		{"missing jobID", "POST", "/DescribeJobLogItems", `{}`, 400, "ValidationException"},
		{"unknown jobID", "POST", "/DescribeJobLogItems", `{"jobID":"drsjob-00000000000000000"}`, 400, "ValidationException"},
		{"maxResults above 1000 for logs", "POST", "/DescribeJobLogItems", `{"jobID":"` + jobID + `","maxResults":5000}`, 400, "ValidationException"},
		{"staging accounts page too large", "GET", "/ListStagingAccounts?maxResults=51", "", 400, "ValidationException"},
		{"staging accounts page not a number", "GET", "/ListStagingAccounts?maxResults=ten", "", 400, "ValidationException"},
		{"staging accounts garbage token", "GET", "/ListStagingAccounts?nextToken=abc", "", 400, "ValidationException"},
		{"unknown path", "POST", "/StartRecovery", `{}`, 404, "UnknownOperationException"},
		{"wrong method", "GET", "/DescribeJobs", "", 404, "UnknownOperationException"},
		{"root", "GET", "/", "", 404, "UnknownOperationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := send(t, tc.method, url+tc.path, tc.body)
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
			}
			if got := a.header.Get("X-Amzn-ErrorType"); got != tc.code {
				t.Fatalf("X-Amzn-ErrorType %q, want %q", got, tc.code)
			}
			if ct := a.header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
			var e map[string]string
			if err := json.Unmarshal(a.body, &e); err != nil || e["message"] == "" || len(e) != 1 {
				t.Fatalf("body %s is not {\"message\":...}", a.body)
			}
		})
	}
	for _, tc := range []struct{ name, method, path, body string }{
		{"maxResults 1000", "POST", "/DescribeJobs", `{"maxResults":1000}`},
		{"maxResults 0 means default", "POST", "/DescribeJobs", `{"maxResults":0}`},
		{"no body", "POST", "/DescribeJobs", ``},
		{"null filters", "POST", "/DescribeSourceServers", `{"filters":null}`},
		{"staging accounts without query", "GET", "/ListStagingAccounts", ""},
		{"empty token means first page", "POST", "/DescribeJobs", `{"nextToken":""}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if a := send(t, tc.method, srv.URL()+tc.path, tc.body); a.status != 200 {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
		})
	}
}

func TestTruncatedAndMalformedAnswers(t *testing.T) {
	srv := start(t, emulator.Options{})
	url := srv.URL()
	whole := send(t, http.MethodPost, url+"/DescribeJobs", `{"maxResults":10}`)

	srv.SetFaults(emulator.Faults{Truncate: map[string]bool{emulator.OpDescribeJobs: true}})
	cut := send(t, http.MethodPost, url+"/DescribeJobs", `{"maxResults":10}`)
	if cut.status != 200 || cut.header.Get("Content-Length") != itoa(len(cut.body)) {
		t.Fatalf("truncated answer: status %d, Content-Length %s for %d bytes", cut.status, cut.header.Get("Content-Length"), len(cut.body))
	}
	if len(cut.body) != len(whole.body)/2 || !bytes.HasPrefix(whole.body, cut.body) || json.Valid(cut.body) {
		t.Fatalf("truncated answer is not the first half of the whole answer")
	}
	// Errors are not truncated.
	if a := send(t, http.MethodPost, url+"/DescribeJobs", `{"maxResults":-4}`); a.status != 400 || !json.Valid(a.body) {
		t.Fatalf("error answer under truncation: %d %s", a.status, a.body)
	}

	srv.SetFaults(emulator.Faults{Malformed: map[string]bool{emulator.OpListStagingAccounts: true}})
	bad := send(t, http.MethodGet, url+"/ListStagingAccounts", "")
	if bad.status != 200 || json.Valid(bad.body) || !bytes.Contains(bad.body, []byte("<html>")) {
		t.Fatalf("malformed answer: %d %s", bad.status, bad.body)
	}
}

func TestEscapingAndUnknownMembers(t *testing.T) {
	srv := start(t, emulator.Options{Jobs: 300})
	var all []byte
	for _, r := range srv.Jobs() {
		all = append(all, r...)
	}
	for _, id := range srv.JobIDs() {
		for _, r := range srv.JobLog(id) {
			all = append(all, r...)
		}
	}
	for _, r := range srv.SourceServers() {
		all = append(all, r...)
	}
	for _, want := range []string{
		`"x-futureField":{"nested":[1,2.50,"<b>&</b>"]}`,
		`1.0e3`,
		`12345678901234567890`,
	} {
		if !bytes.Contains(all, []byte(want)) {
			t.Errorf("served bytes never contain %s", want)
		}
	}
	// Error texts with HTML-significant characters are served literally.
	var raws []string
	for _, id := range srv.JobIDs() {
		for _, it := range decode[wireLog](t, srv.JobLog(id)) {
			raws = append(raws, it.EventData.RawError)
		}
	}
	for _, sv := range decode[wireServer](t, srv.SourceServers()) {
		if e := sv.DataReplicationInfo.DataReplicationError; e != nil {
			raws = append(raws, e.RawError)
		}
	}
	literal := 0
	for _, raw := range raws {
		if strings.ContainsAny(raw, "<>&") && !strings.ContainsAny(raw, `"\`) {
			if !bytes.Contains(all, []byte(`"rawError":"`+raw+`"`)) {
				t.Errorf("rawError %q is not served literally", raw)
			}
			literal++
		}
	}
	if literal == 0 {
		t.Error("no rawError contains < > or &")
	}
	for _, escaped := range []string{`\u003c`, `\u003e`, `\u0026`} {
		if bytes.Contains(all, []byte(escaped)) {
			t.Errorf("served bytes contain HTML escape %s", escaped)
		}
	}
	// Each kind of object carries unknown members somewhere.
	has := func(raws []json.RawMessage) bool {
		for _, r := range raws {
			if bytes.Contains(r, []byte(`"x-`)) {
				return true
			}
		}
		return false
	}
	var logs []json.RawMessage
	for _, id := range srv.JobIDs() {
		logs = append(logs, srv.JobLog(id)...)
	}
	if !has(srv.Jobs()) || !has(logs) || !has(srv.SourceServers()) {
		t.Errorf("unknown members missing: jobs %v, log items %v, servers %v", has(srv.Jobs()), has(logs), has(srv.SourceServers()))
	}

	plain := emulator.New(emulator.Options{Jobs: 120, NoUnknownFields: true})
	if has(plain.Jobs()) || has(plain.SourceServers()) {
		t.Error("NoUnknownFields still serves unknown members")
	}
	for _, id := range plain.JobIDs() {
		if has(plain.JobLog(id)) {
			t.Fatalf("NoUnknownFields still serves unknown members in the log of %s", id)
		}
	}
}

func TestStartAndClose(t *testing.T) {
	srv := emulator.New(emulator.Options{Jobs: 2})
	if srv.URL() != "" {
		t.Fatalf("URL before Start = %q", srv.URL())
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL %q is not on 127.0.0.1", srv.URL())
	}
	if err := srv.Start(); err == nil {
		t.Fatal("second Start succeeded")
	}
	url := srv.URL()
	if a := send(t, http.MethodPost, url+"/DescribeJobs", `{}`); a.status != 200 {
		t.Fatalf("status %d", a.status)
	}
	srv.Close()
	srv.Close()
	if srv.URL() != "" {
		t.Fatalf("URL after Close = %q", srv.URL())
	}
	if _, err := http.Post(url+"/DescribeJobs", "application/json", strings.NewReader(`{}`)); err == nil {
		t.Fatal("server still answers after Close")
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
