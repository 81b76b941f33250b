package emulator_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/internal/emulator"
)

// smsTarget is the X-Amz-Target of GetReplicationJobs.
const smsTarget = "AWSServerMigrationService_V2016_10_24.GetReplicationJobs"

// rpc makes one raw JSON 1.1 call to the operation target names.
func rpc(t *testing.T, url, target, body string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(res.Body); err != nil {
		t.Fatal(err)
	}
	return answer{res.StatusCode, res.Header, b.Bytes()}
}

// smsPage is a GetReplicationJobs answer with its jobs kept as served.
type smsPage struct {
	ReplicationJobList []json.RawMessage `json:"replicationJobList"`
	NextToken          *string           `json:"nextToken"`
}

// getReplicationJobs pages through GetReplicationJobs with raw HTTP and
// returns every job exactly as served, and the number of pages.
func getReplicationJobs(t *testing.T, url string, input map[string]any) ([]json.RawMessage, int) {
	t.Helper()
	var all []json.RawMessage
	pages := 0
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
		a := rpc(t, url, smsTarget, string(body))
		if a.status != http.StatusOK {
			t.Fatalf("GetReplicationJobs: status %d: %s", a.status, a.body)
		}
		if ct := a.header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
			t.Fatalf("Content-Type %q", ct)
		}
		var p smsPage
		if err := json.Unmarshal(a.body, &p); err != nil {
			t.Fatalf("GetReplicationJobs: %v", err)
		}
		pages++
		all = append(all, p.ReplicationJobList...)
		if p.NextToken == nil {
			return all, pages
		}
		if *p.NextToken == "" {
			t.Fatal("empty nextToken served instead of leaving it out")
		}
		token = *p.NextToken
	}
}

// wireReplicationJob is a served replication job.
type wireReplicationJob struct {
	ReplicationJobID string `json:"replicationJobId"`
	ServerID         string `json:"serverId"`
	ServerType       string `json:"serverType"`
	VMServer         struct {
		VMServerAddress struct {
			VMManagerID string `json:"vmManagerId"`
			VMID        string `json:"vmId"`
		} `json:"vmServerAddress"`
		VMName        string `json:"vmName"`
		VMManagerType string `json:"vmManagerType"`
	} `json:"vmServer"`
	SeedReplicationTime         json.Number `json:"seedReplicationTime"`
	Frequency                   int         `json:"frequency"`
	RunOnce                     bool        `json:"runOnce"`
	NextReplicationRunStartTime json.Number `json:"nextReplicationRunStartTime"`
	LicenseType                 string      `json:"licenseType"`
	LatestAmiID                 string      `json:"latestAmiId"`
	State                       string      `json:"state"`
	StatusMessage               string      `json:"statusMessage"`
	ReplicationRunList          []wireRun   `json:"replicationRunList"`
}

// wireRun is a served replication run.
type wireRun struct {
	ReplicationRunID string `json:"replicationRunId"`
	State            string `json:"state"`
	Type             string `json:"type"`
	StageDetails     *struct {
		Stage         string `json:"stage"`
		StageProgress string `json:"stageProgress"`
	} `json:"stageDetails"`
	StatusMessage      string      `json:"statusMessage"`
	AmiID              string      `json:"amiId"`
	ScheduledStartTime json.Number `json:"scheduledStartTime"`
	CompletedTime      json.Number `json:"completedTime"`
}

var (
	smsJobIDPattern = regexp.MustCompile(`^sms-job-[0-9a-f]{17}$`)
	smsRunIDPattern = regexp.MustCompile(`^sms-run-[0-9a-f]{17}$`)
	smsServerID     = regexp.MustCompile(`^s-[0-9a-f]{8}$`)
	amiPattern      = regexp.MustCompile(`^ami-[0-9a-f]{17}$`)
	epochPattern    = regexp.MustCompile(`^\d{10}\.\d{3}$`)
	smsJobStates    = []string{"PENDING", "ACTIVE", "FAILED", "DELETING", "DELETED", "COMPLETED", "PAUSED_ON_FAILURE", "FAILING"}
	smsRunStates    = []string{"PENDING", "MISSED", "ACTIVE", "FAILED", "COMPLETED", "DELETING", "DELETED"}
)

// checkReplicationJobs verifies the invariants every SMS history keeps, as
// of now.
func checkReplicationJobs(t *testing.T, srv *emulator.Server, now time.Time) []wireReplicationJob {
	t.Helper()
	jobs := decode[wireReplicationJob](t, srv.ReplicationJobs())
	seen := map[string]bool{}
	for _, j := range jobs {
		if !smsJobIDPattern.MatchString(j.ReplicationJobID) || seen[j.ReplicationJobID] || !smsServerID.MatchString(j.ServerID) {
			t.Fatalf("job ID %q or server ID %q malformed or repeated", j.ReplicationJobID, j.ServerID)
		}
		seen[j.ReplicationJobID] = true
		if !slices.Contains(smsJobStates, j.State) || j.ServerType != "VIRTUAL_MACHINE" || j.VMServer.VMName == "" {
			t.Fatalf("job %s: state %q, server type %q, VM %+v", j.ReplicationJobID, j.State, j.ServerType, j.VMServer)
		}
		if j.Frequency < 1 || j.Frequency > 24 || (j.LicenseType != "AWS" && j.LicenseType != "BYOL") {
			t.Fatalf("job %s: frequency %d, license %q", j.ReplicationJobID, j.Frequency, j.LicenseType)
		}
		seed := epoch(t, j.SeedReplicationTime)
		for _, n := range []json.Number{j.SeedReplicationTime, j.NextReplicationRunStartTime} {
			if n != "" && !epochPattern.MatchString(string(n)) {
				t.Fatalf("job %s: timestamp %s", j.ReplicationJobID, n)
			}
		}
		switch j.State {
		case "FAILED", "PAUSED_ON_FAILURE":
			if j.StatusMessage == "" || j.NextReplicationRunStartTime != "" {
				t.Fatalf("%s job %s: statusMessage %q, next run %s", j.State, j.ReplicationJobID, j.StatusMessage, j.NextReplicationRunStartTime)
			}
		case "PENDING":
			if len(j.ReplicationRunList) != 0 || j.NextReplicationRunStartTime == "" {
				t.Fatalf("pending job %s has %d runs, next run %q", j.ReplicationJobID, len(j.ReplicationRunList), j.NextReplicationRunStartTime)
			}
		case "ACTIVE":
			if len(j.ReplicationRunList) == 0 || j.NextReplicationRunStartTime == "" {
				t.Fatalf("active job %s has %d runs, next run %q", j.ReplicationJobID, len(j.ReplicationRunList), j.NextReplicationRunStartTime)
			}
		case "COMPLETED":
			if !j.RunOnce || !amiPattern.MatchString(j.LatestAmiID) {
				t.Fatalf("completed job %s: runOnce %v, latest AMI %q", j.ReplicationJobID, j.RunOnce, j.LatestAmiID)
			}
		}
		prev := seed.Add(-time.Millisecond)
		active := 0
		for k, run := range j.ReplicationRunList {
			if !smsRunIDPattern.MatchString(run.ReplicationRunID) || seen[run.ReplicationRunID] || !slices.Contains(smsRunStates, run.State) {
				t.Fatalf("job %s run %d: %+v", j.ReplicationJobID, k, run)
			}
			seen[run.ReplicationRunID] = true
			if run.Type != "AUTOMATIC" && run.Type != "ON_DEMAND" {
				t.Fatalf("job %s run %d: type %q", j.ReplicationJobID, k, run.Type)
			}
			scheduled := epoch(t, run.ScheduledStartTime)
			if !scheduled.After(prev) || scheduled.After(now) {
				t.Fatalf("job %s run %d scheduled %v: not after %v or after now %v", j.ReplicationJobID, k, scheduled, prev, now)
			}
			prev = scheduled
			switch run.State {
			case "COMPLETED", "FAILED":
				done := epoch(t, run.CompletedTime)
				if !done.After(scheduled) || done.After(now) {
					t.Fatalf("job %s run %d: completed %v, scheduled %v, now %v", j.ReplicationJobID, k, done, scheduled, now)
				}
				if (run.State == "COMPLETED") != amiPattern.MatchString(run.AmiID) {
					t.Fatalf("job %s run %d: %s with AMI %q", j.ReplicationJobID, k, run.State, run.AmiID)
				}
				if (run.State == "FAILED") != (run.StatusMessage != "") {
					t.Fatalf("job %s run %d: %s with statusMessage %q", j.ReplicationJobID, k, run.State, run.StatusMessage)
				}
			case "ACTIVE":
				active++
				if k != len(j.ReplicationRunList)-1 || run.StageDetails == nil || run.StageDetails.Stage == "" || run.CompletedTime != "" {
					t.Fatalf("job %s active run %d: %+v", j.ReplicationJobID, k, run)
				}
			}
			if run.State != "ACTIVE" && run.StageDetails != nil {
				t.Fatalf("job %s run %d: %s with stage details", j.ReplicationJobID, k, run.State)
			}
		}
		if active > 0 && j.State != "ACTIVE" {
			t.Fatalf("%s job %s has an active run", j.State, j.ReplicationJobID)
		}
	}
	return jobs
}

func TestGetReplicationJobsPages(t *testing.T) {
	srv := start(t, emulator.Options{SMSJobs: 13})
	want := srv.ReplicationJobs()
	if len(want) != 13 {
		t.Fatalf("%d replication jobs, want 13", len(want))
	}
	for _, tc := range []struct {
		name      string
		input     map[string]any
		wantPages int
	}{
		{"one per page", map[string]any{"maxResults": 1}, 13},
		{"four per page", map[string]any{"maxResults": 4}, 4},
		{"service default", map[string]any{}, 1},
		{"zero means default", map[string]any{"maxResults": 0}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, pages := getReplicationJobs(t, srv.URL(), tc.input)
			if !equalRaw(got, want) {
				t.Fatal("served replication jobs differ from ReplicationJobs()")
			}
			if pages != tc.wantPages {
				t.Errorf("took %d pages, want %d", pages, tc.wantPages)
			}
		})
	}
	t.Run("one job by ID", func(t *testing.T) {
		id := decode[wireReplicationJob](t, want[5:6])[0].ReplicationJobID
		got, _ := getReplicationJobs(t, srv.URL(), map[string]any{"replicationJobId": id, "maxResults": 1})
		if len(got) != 1 || !bytes.Equal(got[0], want[5]) {
			t.Fatalf("got %d jobs for %s", len(got), id)
		}
	})
	if n := srv.Calls(emulator.OpGetReplicationJobs); n != 13+4+1+1+1 {
		t.Errorf("Calls(GetReplicationJobs) = %d, want %d", n, 20)
	}
}

func TestSMSErrorAnswers(t *testing.T) {
	srv := start(t, emulator.Options{SMSJobs: 8})
	url := srv.URL()
	var p smsPage
	if err := json.Unmarshal(rpc(t, url, smsTarget, `{"maxResults":3}`).body, &p); err != nil || p.NextToken == nil {
		t.Fatalf("no token from the first page: %v", err)
	}
	token := *p.NextToken
	jobID := decode[wireReplicationJob](t, srv.ReplicationJobs())[2].ReplicationJobID
	for _, tc := range []struct {
		name, target, body string
		status             int
		code               string
	}{
		{"unknown job", smsTarget, `{"replicationJobId":"sms-job-00000000000000000"}`, 400, "InvalidParameterException"},
		{"garbage token", smsTarget, `{"nextToken":"garbage"}`, 400, "InvalidParameterException"},
		{"token of all jobs for one job", smsTarget, `{"replicationJobId":"` + jobID + `","nextToken":"` + token + `"}`, 400, "InvalidParameterException"},
		{"page too large", smsTarget, `{"maxResults":101}`, 400, "InvalidParameterException"},
		{"negative page", smsTarget, `{"maxResults":-1}`, 400, "InvalidParameterException"},
		{"body is not JSON", smsTarget, `{"maxResults":`, 400, "SerializationException"},
		{"wrong member type", smsTarget, `{"maxResults":"ten"}`, 400, "SerializationException"},
		{"unknown SMS operation", "AWSServerMigrationService_V2016_10_24.DeleteReplicationJob", `{}`, 400, "UnknownOperationException"},
		{"unknown service", "AmazonEC2.DescribeInstances", `{}`, 400, "UnknownOperationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := rpc(t, url, tc.target, tc.body)
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
			}
			checkJSON11Error(t, a, tc.code)
		})
	}
	for _, tc := range []struct{ name, body string }{
		{"no body", ``},
		{"empty object", `{}`},
		{"empty token means first page", `{"nextToken":""}`},
		{"token reused", `{"maxResults":3,"nextToken":"` + token + `"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if a := rpc(t, url, smsTarget, tc.body); a.status != 200 {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
		})
	}
}

// checkJSON11Error checks that a is a JSON 1.1 error answer with the given
// code: {"__type":...,"message":...}.
func checkJSON11Error(t *testing.T, a answer, code string) {
	t.Helper()
	if ct := a.header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Fatalf("Content-Type %q", ct)
	}
	var e map[string]string
	if err := json.Unmarshal(a.body, &e); err != nil || e["message"] == "" || len(e) != 2 {
		t.Fatalf("body %s is not {\"__type\":...,\"message\":...}", a.body)
	}
	if got := e["__type"]; got != code {
		t.Fatalf("__type %q, want %q: %s", got, code, a.body)
	}
	if a.header.Get("X-Amzn-Requestid") == "" {
		t.Fatal("no X-Amzn-Requestid header")
	}
}

func TestSMSFaults(t *testing.T) {
	srv := start(t, emulator.Options{})
	url := srv.URL()
	whole := rpc(t, url, smsTarget, `{}`)
	for _, tc := range []struct {
		name   string
		faults emulator.Faults
		check  func(t *testing.T, a answer)
	}{
		{"throttled", emulator.Faults{ThrottleRate: 1}, func(t *testing.T, a answer) {
			if a.status != 400 {
				t.Fatalf("status %d", a.status)
			}
			checkJSON11Error(t, a, "ThrottlingException")
		}},
		{"server error", emulator.Faults{ServerErrorRate: 1}, func(t *testing.T, a answer) {
			if a.status != 500 {
				t.Fatalf("status %d", a.status)
			}
			checkJSON11Error(t, a, "InternalError")
		}},
		{"truncated", emulator.Faults{Truncate: map[string]bool{emulator.OpGetReplicationJobs: true}}, func(t *testing.T, a answer) {
			if a.status != 200 || a.header.Get("Content-Length") != itoa(len(a.body)) {
				t.Fatalf("status %d, Content-Length %s for %d bytes", a.status, a.header.Get("Content-Length"), len(a.body))
			}
			if len(a.body) != len(whole.body)/2 || !bytes.HasPrefix(whole.body, a.body) || json.Valid(a.body) {
				t.Fatal("truncated answer is not the first half of the whole answer")
			}
		}},
		{"malformed", emulator.Faults{Malformed: map[string]bool{emulator.OpGetReplicationJobs: true}}, func(t *testing.T, a answer) {
			if a.status != 200 || json.Valid(a.body) || !bytes.Contains(a.body, []byte("<html>")) {
				t.Fatalf("malformed answer: %d %s", a.status, a.body)
			}
		}},
		{"other operation truncated", emulator.Faults{Truncate: map[string]bool{emulator.OpListClusters: true}}, func(t *testing.T, a answer) {
			if a.status != 200 || !bytes.Equal(a.body, whole.body) {
				t.Fatalf("answer changed by a fault of another operation: %d", a.status)
			}
		}},
		{"latency only", emulator.Faults{Latency: 20 * time.Millisecond}, func(t *testing.T, a answer) {
			if a.status != 200 || !bytes.Equal(a.body, whole.body) {
				t.Fatalf("answer changed by latency: %d", a.status)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.ResetCounts()
			srv.SetFaults(tc.faults)
			defer srv.SetFaults(emulator.Faults{})
			tc.check(t, rpc(t, url, smsTarget, `{}`))
			if n := srv.Calls(emulator.OpGetReplicationJobs); n != 1 {
				t.Fatalf("Calls = %d, want 1", n)
			}
		})
	}
	t.Run("errors are not truncated", func(t *testing.T) {
		srv.SetFaults(emulator.Faults{Truncate: map[string]bool{emulator.OpGetReplicationJobs: true}})
		defer srv.SetFaults(emulator.Faults{})
		checkJSON11Error(t, rpc(t, url, smsTarget, `{"maxResults":500}`), "InvalidParameterException")
	})
}

func TestDefaultReplicationJobsAreRealistic(t *testing.T) {
	srv := emulator.New(emulator.Options{})
	jobs := checkReplicationJobs(t, srv, srv.Now())
	if len(jobs) != emulator.DefaultSMSJobs {
		t.Fatalf("%d replication jobs, want %d", len(jobs), emulator.DefaultSMSJobs)
	}
	states := map[string]int{}
	var messages []string
	activeRun := false
	for _, j := range jobs {
		states[j.State]++
		messages = append(messages, j.StatusMessage)
		for _, r := range j.ReplicationRunList {
			if r.State == "FAILED" {
				messages = append(messages, r.StatusMessage)
			}
			activeRun = activeRun || r.State == "ACTIVE"
		}
	}
	for _, st := range []string{"ACTIVE", "FAILED", "COMPLETED", "PENDING", "PAUSED_ON_FAILURE"} {
		if states[st] == 0 {
			t.Errorf("no %s job: %v", st, states)
		}
	}
	if !activeRun {
		t.Error("no replication run is under way")
	}
	all := strings.Join(messages, "\n")
	for _, want := range []string{"IAM role", "Unsupported disk"} {
		if !strings.Contains(all, want) {
			t.Errorf("no status message mentions %q:\n%s", want, all)
		}
	}
}

func TestSMSAdvance(t *testing.T) {
	srv := emulator.New(emulator.Options{SMSJobs: 12})
	before := checkReplicationJobs(t, srv, srv.Now())
	beforeRaw := srv.ReplicationJobs()
	for round := range 10 {
		old := srv.Now()
		srv.Advance(3 * time.Hour)
		after := checkReplicationJobs(t, srv, srv.Now())
		afterRaw := srv.ReplicationJobs()
		if len(after) != len(before) {
			t.Fatalf("round %d: %d jobs, then %d", round, len(before), len(after))
		}
		changed := 0
		for i, a := range after {
			b := before[i]
			if a.ReplicationJobID != b.ReplicationJobID {
				t.Fatalf("round %d: job order changed", round)
			}
			if bytes.Equal(beforeRaw[i], afterRaw[i]) {
				continue
			}
			changed++
			if b.State == "FAILED" || b.State == "COMPLETED" {
				t.Fatalf("round %d: %s job %s changed", round, b.State, b.ReplicationJobID)
			}
			// Runs served before stay, except that an active one ends.
			if len(a.ReplicationRunList) < len(b.ReplicationRunList) {
				t.Fatalf("round %d: job %s lost runs", round, b.ReplicationJobID)
			}
			for k, br := range b.ReplicationRunList {
				ar := a.ReplicationRunList[k]
				if ar.ReplicationRunID != br.ReplicationRunID || (br.State != "ACTIVE" && ar.State != br.State) {
					t.Fatalf("round %d: job %s run %d went from %+v to %+v", round, b.ReplicationJobID, k, br, ar)
				}
				if br.State == "ACTIVE" && ar.State == "ACTIVE" && len(a.ReplicationRunList) > len(b.ReplicationRunList) {
					t.Fatalf("round %d: job %s started a run while one was active", round, b.ReplicationJobID)
				}
			}
			for _, ar := range a.ReplicationRunList[len(b.ReplicationRunList):] {
				if at := epoch(t, ar.ScheduledStartTime); !at.After(old) {
					t.Fatalf("round %d: new run %s of job %s scheduled %v, before the window from %v", round, ar.ReplicationRunID, b.ReplicationJobID, at, old)
				}
			}
		}
		if changed == 0 {
			t.Fatalf("round %d: no job moved on", round)
		}
		before, beforeRaw = after, afterRaw
	}
	ran := 0
	for _, j := range before {
		ran += len(j.ReplicationRunList)
	}
	if ran == 0 {
		t.Fatal("no runs after ten Advances")
	}
}
