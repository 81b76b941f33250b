package emulator_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs"

	"github.com/archiver-dev/archiver/internal/emulator"
)

var (
	jobIDPattern      = regexp.MustCompile(`^drsjob-[0-9a-f]{17}$`)
	jobArnPattern     = regexp.MustCompile(`^arn:aws:drs:[a-z0-9-]+:\d{12}:job/drsjob-[0-9a-f]{17}$`)
	serverArnPattern  = regexp.MustCompile(`^arn:aws:drs:[a-z0-9-]+:\d{12}:source-server/s-[0-9a-f]{17}$`)
	serverIDPattern   = regexp.MustCompile(`^s-[0-9a-f]{17}$`)
	instancePattern   = regexp.MustCompile(`^i-[0-9a-f]{17}$`)
	durationPattern   = regexp.MustCompile(`^P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$`)
	microStyle        = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$`)
	secondStyle       = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	fractionStyle     = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,5}Z$`)
	knownEvents       = []string{"JOB_START", "SERVER_SKIPPED", "CLEANUP_START", "CLEANUP_END", "CLEANUP_FAIL", "SNAPSHOT_START", "SNAPSHOT_END", "SNAPSHOT_FAIL", "USING_PREVIOUS_SNAPSHOT", "USING_PREVIOUS_SNAPSHOT_FAILED", "CONVERSION_START", "CONVERSION_END", "CONVERSION_FAIL", "LAUNCH_START", "LAUNCH_FAILED", "JOB_CANCEL", "JOB_END"}
	eventsWithError   = []string{"SERVER_SKIPPED", "CLEANUP_FAIL", "SNAPSHOT_FAIL", "USING_PREVIOUS_SNAPSHOT_FAILED", "CONVERSION_FAIL", "LAUNCH_FAILED"}
	knownInitiators   = []string{"START_DRILL", "START_RECOVERY", "TERMINATE_RECOVERY_INSTANCES", "FAILBACK"}
	knownLaunchStatus = []string{"PENDING", "IN_PROGRESS", "LAUNCHED", "FAILED", "TERMINATED"}
)

// checkHistory verifies the invariants every history keeps, as of now.
func checkHistory(t *testing.T, srv *emulator.Server, now time.Time) {
	t.Helper()
	jobs := decode[wireJob](t, srv.Jobs())
	if ids := srv.JobIDs(); len(ids) != len(jobs) {
		t.Fatalf("%d IDs for %d jobs", len(ids), len(jobs))
	}
	seen := map[string]bool{}
	total := 0
	var prevCreated time.Time
	for i, j := range jobs {
		if !jobIDPattern.MatchString(j.JobID) || seen[j.JobID] {
			t.Fatalf("job ID %q malformed or repeated", j.JobID)
		}
		seen[j.JobID] = true
		if !jobArnPattern.MatchString(j.Arn) || !strings.HasSuffix(j.Arn, ":job/"+j.JobID) {
			t.Fatalf("job ARN %q", j.Arn)
		}
		if !slices.Contains(knownInitiators, j.InitiatedBy) {
			t.Fatalf("initiatedBy %q", j.InitiatedBy)
		}
		wantType := "LAUNCH"
		if j.InitiatedBy == "TERMINATE_RECOVERY_INSTANCES" {
			wantType = "TERMINATE"
		}
		if j.Type != wantType {
			t.Fatalf("%s job of type %s", j.InitiatedBy, j.Type)
		}
		created := parseTime(t, j.CreationDateTime)
		if i > 0 && created.After(prevCreated) {
			t.Fatalf("job %d is newer than job %d", i, i-1)
		}
		prevCreated = created
		if created.After(now) || created.Before(now.Add(-200*24*time.Hour)) {
			t.Fatalf("job %s created %v, outside the history", j.JobID, created)
		}
		if len(j.ParticipatingServers) == 0 {
			t.Fatalf("job %s has no participating servers", j.JobID)
		}
		for _, p := range j.ParticipatingServers {
			if !serverIDPattern.MatchString(p.SourceServerID) || !slices.Contains(knownLaunchStatus, p.LaunchStatus) {
				t.Fatalf("job %s participant %+v", j.JobID, p)
			}
			if (p.LaunchStatus == "LAUNCHED" || p.LaunchStatus == "TERMINATED") && !instancePattern.MatchString(p.RecoveryInstanceID) {
				t.Fatalf("job %s participant %+v lacks a recovery instance", j.JobID, p)
			}
			if j.Status == "COMPLETED" && (p.LaunchStatus == "PENDING" || p.LaunchStatus == "IN_PROGRESS") {
				t.Fatalf("completed job %s has participant %+v", j.JobID, p)
			}
		}

		log := decode[wireLog](t, srv.JobLog(j.JobID))
		total += len(log)
		prev := created
		for k, it := range log {
			if !slices.Contains(knownEvents, it.Event) {
				t.Fatalf("job %s item %d: event %q", j.JobID, k, it.Event)
			}
			at := parseTime(t, it.LogDateTime)
			if !at.After(prev) || at.After(now) {
				t.Fatalf("job %s item %d at %v: not after %v or after now %v", j.JobID, k, at, prev, now)
			}
			prev = at
			if slices.Contains(eventsWithError, it.Event) && it.EventData.RawError == "" {
				t.Fatalf("job %s item %d: %s without rawError", j.JobID, k, it.Event)
			}
			perServer := it.Event != "JOB_START" && it.Event != "JOB_END" && it.Event != "JOB_CANCEL"
			if perServer && !serverIDPattern.MatchString(it.EventData.SourceServerID) {
				t.Fatalf("job %s item %d: %s without sourceServerID", j.JobID, k, it.Event)
			}
			if it.Event == "LAUNCH_START" && j.InitiatedBy != "FAILBACK" && !instancePattern.MatchString(it.EventData.TargetInstanceID) {
				t.Fatalf("job %s item %d: LAUNCH_START without targetInstanceID", j.JobID, k)
			}
		}
		switch j.Status {
		case "COMPLETED":
			end := parseTime(t, j.EndDateTime)
			if len(log) < 3 || log[0].Event != "JOB_START" || log[len(log)-1].Event != "JOB_END" {
				t.Fatalf("completed job %s log does not run from JOB_START to JOB_END", j.JobID)
			}
			if !end.After(prev) || end.After(now) {
				t.Fatalf("completed job %s ends %v, last item %v", j.JobID, end, prev)
			}
		case "STARTED":
			if j.EndDateTime != "" || len(log) == 0 || log[0].Event != "JOB_START" || log[len(log)-1].Event == "JOB_END" {
				t.Fatalf("started job %s: end %q, %d items", j.JobID, j.EndDateTime, len(log))
			}
		case "PENDING":
			if j.EndDateTime != "" || len(log) != 0 {
				t.Fatalf("pending job %s: end %q, %d items", j.JobID, j.EndDateTime, len(log))
			}
		default:
			t.Fatalf("job %s status %q", j.JobID, j.Status)
		}
	}
	if total != srv.TotalLogItems() {
		t.Fatalf("logs hold %d items, TotalLogItems says %d", total, srv.TotalLogItems())
	}

	for _, s := range decode[wireServer](t, srv.SourceServers()) {
		if !serverIDPattern.MatchString(s.SourceServerID) || !serverArnPattern.MatchString(s.Arn) || !strings.HasSuffix(s.Arn, "/"+s.SourceServerID) {
			t.Fatalf("server %q ARN %q", s.SourceServerID, s.Arn)
		}
		info := s.DataReplicationInfo
		switch info.DataReplicationState {
		case "STALLED", "DISCONNECTED":
			if info.DataReplicationError == nil || info.DataReplicationError.Error == "" {
				t.Fatalf("%s server %s without dataReplicationError", info.DataReplicationState, s.SourceServerID)
			}
		case "CONTINUOUS", "INITIAL_SYNC", "BACKLOG":
			if info.DataReplicationError != nil {
				t.Fatalf("%s server %s with dataReplicationError", info.DataReplicationState, s.SourceServerID)
			}
		default:
			t.Fatalf("server %s state %q", s.SourceServerID, info.DataReplicationState)
		}
		if info.DataReplicationState != "DISCONNECTED" && !durationPattern.MatchString(info.LagDuration) {
			t.Fatalf("server %s lagDuration %q", s.SourceServerID, info.LagDuration)
		}
		parseTime(t, s.LifeCycle.LastSeenByServiceDateTime)
	}
}

func TestDefaultARNs(t *testing.T) {
	srv := emulator.New(emulator.Options{Jobs: 3})
	j := decode[wireJob](t, srv.Jobs())[0]
	s := decode[wireServer](t, srv.SourceServers())[0]
	if j.Arn != "arn:aws:drs:us-east-1:123456789012:job/"+j.JobID || s.Arn != "arn:aws:drs:us-east-1:123456789012:source-server/"+s.SourceServerID {
		t.Fatalf("ARNs %s and %s do not use the default region and account", j.Arn, s.Arn)
	}
}

func TestUnusualOptions(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		name  string
		opts  emulator.Options
		check func(t *testing.T, srv *emulator.Server)
	}{
		{"one server", emulator.Options{Servers: 1, Jobs: 30, LogItemsPerJob: 3}, nil},
		{"few servers, long logs", emulator.Options{Servers: 2, Jobs: 10, LogItemsPerJob: 200}, nil},
		{"no jobs", emulator.Options{Jobs: -1}, func(t *testing.T, srv *emulator.Server) {
			if len(srv.JobIDs()) != 0 || srv.TotalLogItems() != 0 {
				t.Fatalf("%d jobs, %d log items", len(srv.JobIDs()), srv.TotalLogItems())
			}
		}},
		{"all running", emulator.Options{Jobs: 4, InProgress: 9}, func(t *testing.T, srv *emulator.Server) {
			for _, j := range decode[wireJob](t, srv.Jobs()) {
				if j.Status == "COMPLETED" {
					t.Fatalf("job %s completed", j.JobID)
				}
			}
		}},
		{"custom region, account and now", emulator.Options{Region: "eu-central-1", Account: "999988887777", Now: time.Date(2025, 2, 3, 4, 5, 6, 0, berlin)}, func(t *testing.T, srv *emulator.Server) {
			if !srv.Now().Equal(time.Date(2025, 2, 3, 3, 5, 6, 0, time.UTC)) {
				t.Fatalf("Now() = %v", srv.Now())
			}
			j := decode[wireJob](t, srv.Jobs())[0]
			if !strings.HasPrefix(j.Arn, "arn:aws:drs:eu-central-1:999988887777:job/") {
				t.Fatalf("ARN %s", j.Arn)
			}
		}},
		{"no staging accounts", emulator.Options{StagingAccounts: []string{}}, func(t *testing.T, srv *emulator.Server) {
			if len(srv.StagingAccounts()) != 0 {
				t.Fatalf("staging accounts %v", srv.StagingAccounts())
			}
			for _, s := range decode[wireServer](t, srv.SourceServers()) {
				if s.StagingArea.Status != "NOT_EXTENDED" || s.StagingArea.StagingAccountID != "" {
					t.Fatalf("server %s staging area %+v", s.SourceServerID, s.StagingArea)
				}
			}
		}},
		{"default staging account", emulator.Options{}, func(t *testing.T, srv *emulator.Server) {
			if got := srv.StagingAccounts(); !slices.Equal(got, []string{emulator.DefaultStagingAccount}) {
				t.Fatalf("staging accounts %v", got)
			}
			extended := 0
			for _, s := range decode[wireServer](t, srv.SourceServers()) {
				if s.StagingArea.Status == "EXTENDED" && s.StagingArea.StagingAccountID == emulator.DefaultStagingAccount {
					extended++
				}
			}
			if extended == 0 {
				t.Fatal("no server is extended from the staging account")
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := emulator.New(tc.opts)
			checkHistory(t, srv, srv.Now())
			if tc.check != nil {
				tc.check(t, srv)
			}
			srv.Advance(2 * time.Hour)
			checkHistory(t, srv, srv.Now())
		})
	}
}

func TestDefaultHistoryIsRealistic(t *testing.T) {
	srv := emulator.New(emulator.Options{})
	checkHistory(t, srv, emulator.DefaultNow)
	jobs := decode[wireJob](t, srv.Jobs())
	for i, j := range jobs {
		if running := i < emulator.DefaultInProgress; running != (j.Status != "COMPLETED") {
			t.Fatalf("job %d has status %s; the newest %d jobs and only they should be running", i, j.Status, emulator.DefaultInProgress)
		}
	}
	if jobs[0].Status != "PENDING" || jobs[1].Status != "STARTED" {
		t.Errorf("newest jobs are %s and %s, want PENDING then STARTED", jobs[0].Status, jobs[1].Status)
	}
	if n := len(srv.SourceServers()); n != emulator.DefaultServers {
		t.Errorf("%d source servers, want %d", n, emulator.DefaultServers)
	}
	avg := float64(srv.TotalLogItems()) / float64(len(jobs))
	if avg < 12 || avg > 28 {
		t.Errorf("%.1f log items per job, want about %d", avg, emulator.DefaultLogItemsPerJob)
	}
	states := map[string]bool{}
	for _, s := range decode[wireServer](t, srv.SourceServers()) {
		states[s.DataReplicationInfo.DataReplicationState] = true
	}
	for _, st := range []string{"CONTINUOUS", "STALLED", "DISCONNECTED", "INITIAL_SYNC"} {
		if !states[st] {
			t.Errorf("no server is %s", st)
		}
	}
}

func TestLargerHistoryMix(t *testing.T) {
	srv := emulator.New(emulator.Options{Jobs: 300, Seed: 42})
	checkHistory(t, srv, emulator.DefaultNow)
	initiators := map[string]int{}
	launches, failed := 0, 0
	styles := map[string]int{}
	style := func(s string) {
		switch {
		case microStyle.MatchString(s):
			styles["micro"]++
		case secondStyle.MatchString(s):
			styles["second"]++
		case fractionStyle.MatchString(s):
			styles["fraction"]++
		default:
			t.Fatalf("timestamp %q in no known style", s)
		}
	}
	events := map[string]int{}
	for _, j := range decode[wireJob](t, srv.Jobs()) {
		initiators[j.InitiatedBy]++
		style(j.CreationDateTime)
		if j.Status == "COMPLETED" && (j.InitiatedBy == "START_DRILL" || j.InitiatedBy == "START_RECOVERY") {
			for _, p := range j.ParticipatingServers {
				launches++
				if p.LaunchStatus == "FAILED" {
					failed++
				}
			}
		}
		for _, it := range decode[wireLog](t, srv.JobLog(j.JobID)) {
			style(it.LogDateTime)
			events[it.Event]++
		}
	}
	for _, k := range knownInitiators {
		if initiators[k] == 0 {
			t.Errorf("no %s job in %v", k, initiators)
		}
	}
	if rate := float64(failed) / float64(launches); rate < 0.06 || rate > 0.25 {
		t.Errorf("%d of %d launches failed (%.0f%%), want roughly 10-15%%", failed, launches, 100*rate)
	}
	for _, k := range []string{"micro", "second", "fraction"} {
		if styles[k] == 0 {
			t.Errorf("no timestamp in %s style: %v", k, styles)
		}
	}
	if styles["micro"] < styles["second"]+styles["fraction"] {
		t.Errorf("microsecond timestamps should dominate: %v", styles)
	}
	for _, ev := range knownEvents {
		if events[ev] == 0 {
			t.Errorf("event %s never logged: %v", ev, events)
		}
	}
}

func TestDeterminism(t *testing.T) {
	snapshot := func(srv *emulator.Server) []json.RawMessage {
		out := append(srv.Jobs(), srv.SourceServers()...)
		for _, id := range srv.JobIDs() {
			out = append(out, srv.JobLog(id)...)
		}
		return out
	}
	a := emulator.New(emulator.Options{Seed: 7})
	b := emulator.New(emulator.Options{Seed: 7})
	if !equalRaw(snapshot(a), snapshot(b)) {
		t.Fatal("two histories from the same seed differ")
	}
	a.Advance(3 * time.Hour)
	b.Advance(3 * time.Hour)
	a.Advance(time.Minute)
	b.Advance(time.Minute)
	if !equalRaw(snapshot(a), snapshot(b)) {
		t.Fatal("two histories from the same seed differ after the same Advances")
	}
	c := emulator.New(emulator.Options{Seed: 8})
	if slices.Equal(c.JobIDs(), emulator.New(emulator.Options{Seed: 7}).JobIDs()) {
		t.Fatal("different seeds give the same jobs")
	}
	if !slices.Equal(emulator.New(emulator.Options{}).JobIDs(), emulator.New(emulator.Options{Seed: emulator.DefaultSeed}).JobIDs()) {
		t.Fatal("zero seed is not the default seed")
	}
}

func TestAdvance(t *testing.T) {
	for _, tc := range []struct {
		name string
		step time.Duration
	}{
		{"six hours", 6 * time.Hour},
		{"one second", time.Second},
		{"one microsecond", time.Microsecond},
		{"a week", 7 * 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := emulator.New(emulator.Options{})
			beforeJobs := decode[wireJob](t, srv.Jobs())
			beforeRaw := map[string]json.RawMessage{}
			beforeLog := map[string][]json.RawMessage{}
			for i, j := range beforeJobs {
				beforeRaw[j.JobID] = srv.Jobs()[i]
				beforeLog[j.JobID] = srv.JobLog(j.JobID)
			}
			beforeServers := srv.SourceServers()

			srv.Advance(tc.step)
			now := emulator.DefaultNow.Add(max(tc.step, time.Second))
			if !srv.Now().Equal(now) {
				t.Fatalf("Now() = %v, want %v", srv.Now(), now)
			}
			checkHistory(t, srv, now)

			after := decode[wireJob](t, srv.Jobs())
			afterRaw := srv.Jobs()
			if len(after) < len(beforeJobs)+2 {
				t.Fatalf("%d jobs after Advance, want at least %d", len(after), len(beforeJobs)+2)
			}
			running := 0
			for i, j := range after {
				if j.Status != "COMPLETED" {
					running++
					if i != 0 {
						t.Errorf("job %d (%s) is still running; only the newest should be", i, j.JobID)
					}
				}
				old, existed := beforeRaw[j.JobID]
				if !existed {
					if !parseTime(t, j.CreationDateTime).After(emulator.DefaultNow) {
						t.Errorf("new job %s created %s, before the old end of history", j.JobID, j.CreationDateTime)
					}
					continue
				}
				oldLog, newLog := beforeLog[j.JobID], srv.JobLog(j.JobID)
				if len(newLog) < len(oldLog) || !equalRaw(newLog[:len(oldLog)], oldLog) {
					t.Errorf("job %s: log items served before Advance changed", j.JobID)
				}
				var was wireJob
				_ = json.Unmarshal(old, &was)
				if was.Status == "COMPLETED" && !bytes.Equal(old, afterRaw[i]) {
					t.Errorf("completed job %s changed", j.JobID)
				}
				if was.Status != "COMPLETED" && len(newLog) == len(oldLog) {
					t.Errorf("running job %s logged nothing new", j.JobID)
				}
			}
			if running != 1 {
				t.Errorf("%d jobs running after Advance, want 1", running)
			}

			afterServers := srv.SourceServers()
			changedState := 0
			for i := range afterServers {
				if bytes.Equal(beforeServers[i], afterServers[i]) {
					t.Errorf("server %d unchanged by Advance", i)
				}
				var a, b wireServer
				_ = json.Unmarshal(beforeServers[i], &a)
				_ = json.Unmarshal(afterServers[i], &b)
				if a.SourceServerID != b.SourceServerID {
					t.Fatalf("server order changed")
				}
				seen := b.DataReplicationInfo.DataReplicationState != "DISCONNECTED"
				if moved := a.LifeCycle.LastSeenByServiceDateTime != b.LifeCycle.LastSeenByServiceDateTime; seen != moved {
					t.Errorf("server %s (%s): lastSeenByServiceDateTime moved=%v, want %v", a.SourceServerID, b.DataReplicationInfo.DataReplicationState, moved, seen)
				}
				if a.DataReplicationInfo.DataReplicationState != b.DataReplicationInfo.DataReplicationState {
					changedState++
				}
			}
			if changedState == 0 {
				t.Error("no server changed replication state")
			}
		})
	}
}

func TestAdvanceRepeatedly(t *testing.T) {
	srv := emulator.New(emulator.Options{InProgress: -1, Jobs: 10})
	if n := len(srv.JobIDs()); n != 10 {
		t.Fatalf("%d jobs", n)
	}
	for _, j := range decode[wireJob](t, srv.Jobs()) {
		if j.Status != "COMPLETED" {
			t.Fatalf("job %s is %s with InProgress < 0", j.JobID, j.Status)
		}
	}
	now := emulator.DefaultNow
	for i := range 20 {
		step := time.Duration(i+1) * 17 * time.Minute
		srv.Advance(step)
		now = now.Add(step)
	}
	checkHistory(t, srv, now)
	srv.Advance(0)
	srv.Advance(-time.Hour)
	if !srv.Now().Equal(now) {
		t.Fatal("a non-positive Advance moved the history")
	}
}

func TestScale(t *testing.T) {
	srv := start(t, emulator.Options{Jobs: 500, LogItemsPerJob: 100})
	total := srv.TotalLogItems()
	if total < 40000 || total > 60000 {
		t.Fatalf("%d log items, want about 50,000", total)
	}
	c := client(srv.URL())
	jobs, _ := listJobs(t, c, &drs.DescribeJobsInput{}, 1000)
	if len(jobs) != 500 {
		t.Fatalf("listed %d jobs", len(jobs))
	}
	got := 0
	for _, id := range srv.JobIDs() {
		p := drs.NewDescribeJobLogItemsPaginator(c, &drs.DescribeJobLogItemsInput{JobID: aws.String(id)},
			func(o *drs.DescribeJobLogItemsPaginatorOptions) { o.Limit = 1000 })
		for p.HasMorePages() {
			out, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			got += len(out.Items)
		}
	}
	if got != total {
		t.Fatalf("listed %d log items, TotalLogItems says %d", got, total)
	}
}

func TestConcurrentUse(t *testing.T) {
	srv := start(t, emulator.Options{})
	c := client(srv.URL())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				p := drs.NewDescribeJobsPaginator(c, &drs.DescribeJobsInput{}, func(o *drs.DescribeJobsPaginatorOptions) { o.Limit = 5 })
				for p.HasMorePages() {
					if _, err := p.NextPage(ctx(t)); err != nil {
						t.Error(err)
						return
					}
				}
				for _, id := range srv.JobIDs()[:3] {
					if _, err := c.DescribeJobLogItems(ctx(t), &drs.DescribeJobLogItemsInput{JobID: aws.String(id)}); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 5 {
			srv.Advance(time.Hour)
			srv.SetFaults(emulator.Faults{Latency: time.Duration(i) * time.Millisecond})
			_ = srv.TotalLogItems()
		}
	})
	wg.Wait()
}
