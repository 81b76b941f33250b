package report_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/awstime"
	bi "github.com/archiver-dev/archiver/internal/buildinfo"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/report"
	archsync "github.com/archiver-dev/archiver/sync"
)

// history is an emulated history synced into an archive several times, with
// what the emulator served at each sync: the ground truth of the figures.
type history struct {
	emu   *emulator.Server
	dir   string
	syncs []time.Time
	// servers holds each sync's served source servers; instances every
	// recovery instance served at any sync.
	servers   []map[string]serverState
	instances map[string]string // job + "/" + server -> pointInTimeSnapshotDateTime
}

type serverState struct {
	hostname, state, lag string
}

// emulated builds the history the report tests read: drills and
// recoveries over 90 days with many failures, a recovery snapshot every
// hour, and three syncs six hours apart so that replication states have
// durations.
func emulated(t *testing.T) *history {
	t.Helper()
	emu := archivetest.Emulator(t, emulator.Options{
		Seed: 11, Servers: 8, Jobs: 70, SnapshotInterval: time.Hour, LaunchFailureRate: 0.45,
	})
	h := &history{emu: emu, dir: archivetest.Dir(t), instances: map[string]string{}}
	for i := range 3 {
		if i > 0 {
			emu.Advance(6 * time.Hour)
		}
		now := emu.Now()
		err := archsync.Run(context.Background(), archsync.Options{
			ArchiveDir: h.dir, Regions: []string{emulator.DefaultRegion}, EndpointURL: emu.URL(), NoIndex: true,
			Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
			Now:         func() time.Time { return now },
		}, &archsync.Stats{})
		if err != nil {
			t.Fatalf("sync %d: %v", i, err)
		}
		h.syncs = append(h.syncs, now)
		states := map[string]serverState{}
		for _, raw := range emu.SourceServers() {
			var s struct {
				ID    string `json:"sourceServerID"`
				Props struct {
					Hints struct {
						Hostname string `json:"hostname"`
					} `json:"identificationHints"`
				} `json:"sourceProperties"`
				Info struct {
					State string `json:"dataReplicationState"`
					Lag   string `json:"lagDuration"`
				} `json:"dataReplicationInfo"`
			}
			mustJSON(t, raw, &s)
			states[s.ID] = serverState{s.Props.Hints.Hostname, s.Info.State, s.Info.Lag}
		}
		h.servers = append(h.servers, states)
		for _, raw := range emu.RecoveryInstances() {
			var in struct {
				JobID, SourceServerID, PointInTimeSnapshotDateTime string
			}
			mustJSON(t, raw, &in)
			if in.JobID != "" && in.PointInTimeSnapshotDateTime != "" {
				h.instances[in.JobID+"/"+in.SourceServerID] = in.PointInTimeSnapshotDateTime
			}
		}
	}
	archivetest.Check(t, h.dir)
	return h
}

func mustJSON(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := awstime.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

// wantLaunch is a launch as the emulator's job and log describe it.
type wantLaunch struct {
	server, job, kind, result string
	start                     time.Time
	launched                  time.Time
	ttl, rp                   float64 // seconds; -1 when not measured
	step, raw                 string
}

// expectLaunches computes every drill and recovery launch of the emulator's
// jobs created up to to, straight from its jobs and logs.
func expectLaunches(t *testing.T, h *history, to time.Time) []wantLaunch {
	t.Helper()
	var out []wantLaunch
	for _, raw := range h.emu.Jobs() {
		var j struct {
			JobID, InitiatedBy, CreationDateTime string
			ParticipatingServers                 []struct{ SourceServerID, LaunchStatus string }
		}
		mustJSON(t, raw, &j)
		kind := map[string]string{"START_DRILL": report.KindDrill, "START_RECOVERY": report.KindRecovery}[j.InitiatedBy]
		created := mustTime(t, j.CreationDateTime)
		if kind == "" || created.After(to) {
			continue
		}
		type item struct {
			Event       string
			LogDateTime string
			EventData   struct {
				SourceServerID       string
				RawError             string
				ConversionProperties struct{ DataTimestamp string }
			}
		}
		var log []item
		for _, li := range h.emu.JobLog(j.JobID) {
			var it item
			mustJSON(t, li, &it)
			log = append(log, it)
		}
		start := created
		for _, it := range log {
			if it.Event == "JOB_START" {
				start = mustTime(t, it.LogDateTime)
				break
			}
		}
		cancelled := slices.ContainsFunc(log, func(it item) bool { return it.Event == "JOB_CANCEL" })
		for _, p := range j.ParticipatingServers {
			w := wantLaunch{server: p.SourceServerID, job: j.JobID, kind: kind, start: start, ttl: -1, rp: -1}
			var launchedAt, snap time.Time
			for _, it := range log {
				if it.EventData.SourceServerID != p.SourceServerID {
					continue
				}
				switch it.Event {
				case "SERVER_SKIPPED", "SNAPSHOT_FAIL", "USING_PREVIOUS_SNAPSHOT_FAILED", "CONVERSION_FAIL", "LAUNCH_FAILED":
					if w.step == "" {
						w.step, w.raw = it.Event, it.EventData.RawError
					}
				case "LAUNCH_START":
					if launchedAt.IsZero() {
						launchedAt = mustTime(t, it.LogDateTime)
					}
				case "CONVERSION_END":
					if ts := it.EventData.ConversionProperties.DataTimestamp; ts != "" && w.step == "" {
						snap = mustTime(t, ts)
					}
				}
			}
			switch {
			case w.step == "SERVER_SKIPPED":
				w.result = report.ResultSkipped
			case w.step != "":
				w.result = report.ResultFailed
			case !launchedAt.IsZero() && (p.LaunchStatus == "LAUNCHED" || p.LaunchStatus == "TERMINATED"):
				w.result = report.ResultLaunched
				w.launched = launchedAt
				w.ttl = launchedAt.Sub(start).Seconds()
				if snap.IsZero() {
					if pit, ok := h.instances[j.JobID+"/"+p.SourceServerID]; ok {
						snap = mustTime(t, pit)
					}
				}
				if !snap.IsZero() {
					w.rp = start.Sub(snap).Seconds()
				}
			case cancelled:
				w.result = report.ResultCancelled
			default:
				w.result = report.ResultPending
			}
			out = append(out, w)
		}
	}
	return out
}

// launchesIn groups by server the launches of all whose job was created
// at or after from: a job belongs to a period by its creation (JOB_START
// follows it).
func launchesIn(t *testing.T, h *history, all []wantLaunch, from time.Time) map[string][]wantLaunch {
	t.Helper()
	byServer := map[string][]wantLaunch{}
	for _, raw := range h.emu.Jobs() {
		var j struct{ JobID, CreationDateTime string }
		mustJSON(t, raw, &j)
		if mustTime(t, j.CreationDateTime).Before(from) {
			continue
		}
		for _, w := range all {
			if w.job == j.JobID {
				byServer[w.server] = append(byServer[w.server], w)
			}
		}
	}
	return byServer
}

func makeReport(t *testing.T, h *history, sel report.Selection) *report.Report {
	t.Helper()
	now := h.syncs[len(h.syncs)-1]
	sel = sel.Resolve(now)
	d, err := report.Gather(context.Background(), h.dir, time.Second, sel, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return report.Compute(d, sel, now, buildinfo("test"))
}

func opt(f *float64) float64 {
	if f == nil {
		return -1
	}
	return *f
}

// TestFigures computes every figure of the report from the emulator's
// history and compares them exactly.
func TestFigures(t *testing.T) {
	h := emulated(t)
	to := h.syncs[len(h.syncs)-1]
	from := emulator.DefaultNow.Add(-60 * 24 * time.Hour)
	rep := makeReport(t, h, report.Selection{Range: query.Range{From: from, To: to}})

	all := expectLaunches(t, h, to)
	byServer := launchesIn(t, h, all, from)

	counts := map[string]int{}
	var rps, gaps, failedWithCode int
	servers := h.servers[len(h.servers)-1]
	if len(rep.Servers) != len(servers) || rep.Summary.Protected != len(servers) {
		t.Fatalf("report has %d servers (protected %d), the emulator %d", len(rep.Servers), rep.Summary.Protected, len(servers))
	}
	drilled := 0
	for _, s := range rep.Servers {
		want := byServer[s.SourceServerID]
		slices.SortStableFunc(want, func(a, b wantLaunch) int { return a.start.Compare(b.start) })
		if s.Hostname != servers[s.SourceServerID].hostname {
			t.Errorf("%s: hostname %q, want %q", s.SourceServerID, s.Hostname, servers[s.SourceServerID].hostname)
		}
		if len(s.Launches) != len(want) {
			t.Fatalf("%s: %d launches, want %d", s.SourceServerID, len(s.Launches), len(want))
		}
		isDrilled := false
		for i, l := range s.Launches {
			w := want[i]
			counts[w.result]++
			got := wantLaunch{server: s.SourceServerID, job: l.JobID, kind: l.Kind, result: l.Result, start: l.JobStart,
				ttl: opt(l.TimeToLaunchSeconds), rp: opt(l.RecoveryPointSeconds), step: l.FailedStep, raw: l.RawError}
			if l.LaunchedAt != nil {
				got.launched = *l.LaunchedAt
			}
			if fmt.Sprint(got) != fmt.Sprint(w) {
				t.Errorf("%s launch %d:\n got %+v\nwant %+v", s.SourceServerID, i, got, w)
			}
			if l.ErrorCode != report.ErrorCode(w.raw) {
				t.Errorf("%s %s: error code %q, want %q", s.SourceServerID, l.JobID, l.ErrorCode, report.ErrorCode(w.raw))
			}
			if w.rp >= 0 {
				rps++
			}
			if w.step != "" && l.ErrorCode != "" {
				failedWithCode++
			}
			isDrilled = isDrilled || (w.kind == report.KindDrill && w.result == report.ResultLaunched)
		}
		if isDrilled {
			drilled++
		}

		// The last drill that launched, over the whole history.
		var last *wantLaunch
		for _, w := range all {
			if w.server == s.SourceServerID && w.kind == report.KindDrill && w.result == report.ResultLaunched && (last == nil || w.launched.After(last.launched)) {
				last = &w
			}
		}
		switch {
		case last == nil && s.LastDrill != nil:
			t.Errorf("%s: last drill %s, want none", s.SourceServerID, s.LastDrill.JobID)
		case last != nil && (s.LastDrill == nil || s.LastDrill.JobID != last.job || !s.LastDrill.LaunchedAt.Equal(last.launched) ||
			*s.DaysSinceDrill != int(to.Sub(last.launched)/(24*time.Hour))):
			t.Errorf("%s: last drill %+v, want %s at %s", s.SourceServerID, s.LastDrill, last.job, last.launched)
		}

		// Snapshots taken in the period, and the largest gap.
		var times []time.Time
		for _, raw := range h.emu.RecoverySnapshots(s.SourceServerID) {
			var sn struct{ Timestamp string }
			mustJSON(t, raw, &sn)
			if at := mustTime(t, sn.Timestamp); !at.Before(from) && !at.After(to) {
				times = append(times, at)
			}
		}
		slices.SortFunc(times, time.Time.Compare)
		largest := -1.0
		for i := 1; i < len(times); i++ {
			largest = max(largest, times[i].Sub(times[i-1]).Seconds())
		}
		if s.Snapshots.Count != len(times) || opt(s.Snapshots.LargestGapSeconds) != largest {
			t.Errorf("%s: %d snapshots, largest gap %v; want %d, %v", s.SourceServerID, s.Snapshots.Count, opt(s.Snapshots.LargestGapSeconds), len(times), largest)
		}
		if largest > 0 {
			gaps++
		}

		// Time per replication state: each sync's state holds until the
		// next sync.
		states, bands := map[string]float64{}, map[string]float64{}
		outside := 0.0
		for i := 0; i+1 < len(h.syncs); i++ {
			st := h.servers[i][s.SourceServerID]
			d := h.syncs[i+1].Sub(h.syncs[i]).Seconds()
			states[st.state] += d
			band := report.LagNone
			if st.lag != "" {
				band = kinds.LagBand(st.lag)
			}
			bands[band] += d
			if st.state != "CONTINUOUS" {
				outside += d
			}
		}
		if fmt.Sprint(s.Replication.States) != fmt.Sprint(states) || fmt.Sprint(s.Replication.LagBands) != fmt.Sprint(bands) ||
			s.Replication.OutsideContinuousSeconds != outside {
			t.Errorf("%s: replication %v %v outside %v; want %v %v outside %v", s.SourceServerID,
				s.Replication.States, s.Replication.LagBands, s.Replication.OutsideContinuousSeconds, states, bands, outside)
		}
		if want := to.Sub(from).Seconds() - h.syncs[len(h.syncs)-1].Sub(h.syncs[0]).Seconds(); s.Replication.UnobservedSeconds != want {
			t.Errorf("%s: unobserved %v, want %v", s.SourceServerID, s.Replication.UnobservedSeconds, want)
		}
	}

	// Coverage and success rate.
	if rep.Summary.Drilled != drilled || rep.Summary.Coverage != float64(drilled)/float64(len(servers)) {
		t.Errorf("coverage %d (%v), want %d of %d", rep.Summary.Drilled, rep.Summary.Coverage, drilled, len(servers))
	}
	if fmt.Sprint(rep.Summary.ByResult) != fmt.Sprint(counts) {
		t.Errorf("results %v, want %v", rep.Summary.ByResult, counts)
	}
	ended := 0
	for r, n := range counts {
		if r != report.ResultPending {
			ended += n
		}
	}
	if want := float64(counts[report.ResultLaunched]) / float64(ended); rep.Summary.SuccessRate != want {
		t.Errorf("success rate %v, want %v", rep.Summary.SuccessRate, want)
	}

	// The test proves nothing unless the history has each figure.
	if counts[report.ResultLaunched] == 0 || counts[report.ResultFailed] == 0 || rps == 0 || gaps == 0 || failedWithCode == 0 {
		t.Fatalf("history too thin: results %v, %d recovery points, %d servers with snapshot gaps, %d failures with a code", counts, rps, gaps, failedWithCode)
	}
	t.Logf("results %v, %d recovery points, %d servers with snapshot gaps, %d failures with a code", counts, rps, gaps, failedWithCode)
	outsideAny := slices.ContainsFunc(rep.Servers, func(s report.Server) bool { return s.Replication.OutsideContinuousSeconds > 0 })
	if !outsideAny {
		t.Fatal("no server left CONTINUOUS: the replication figures prove nothing")
	}
}

// TestFailuresAndSlowest checks the failure groups, whether later launches
// fixed them, and the slowest launches, from the emulator's history.
func TestFailuresAndSlowest(t *testing.T) {
	h := emulated(t)
	to := h.syncs[len(h.syncs)-1]
	rep := makeReport(t, h, report.Selection{Range: query.Range{From: emulator.DefaultNow.Add(-120 * 24 * time.Hour), To: to}})
	all := expectLaunches(t, h, to)
	slices.SortStableFunc(all, func(a, b wantLaunch) int { return a.start.Compare(b.start) })

	type key struct{ step, code string }
	want := map[key][]string{} // -> "server job fixedBy"
	for i, w := range all {
		if w.result != report.ResultFailed && w.result != report.ResultSkipped {
			continue
		}
		fixed := ""
		for _, later := range all[i+1:] {
			if later.server == w.server && later.result == report.ResultLaunched {
				fixed = later.job
				break
			}
		}
		k := key{w.step, report.ErrorCode(w.raw)}
		want[k] = append(want[k], w.server+" "+w.job+" "+fixed)
	}
	if len(want) < 2 {
		t.Fatalf("only %d failure causes: the test proves nothing", len(want))
	}
	got := map[key][]string{}
	for _, g := range rep.Summary.Failures {
		k := key{g.Step, g.ErrorCode}
		fixed := true
		for _, f := range g.Failures {
			got[k] = append(got[k], f.SourceServerID+" "+f.JobID+" "+f.FixedBy)
			fixed = fixed && f.FixedBy != ""
		}
		if g.Count != len(g.Failures) || g.Fixed != fixed {
			t.Errorf("%v: count %d of %d, fixed %v", k, g.Count, len(g.Failures), g.Fixed)
		}
	}
	for k := range want {
		slices.Sort(want[k])
		slices.Sort(got[k])
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("failure groups:\n got %v\nwant %v", got, want)
	}

	var launched []wantLaunch
	for _, w := range all {
		if w.result == report.ResultLaunched {
			launched = append(launched, w)
		}
	}
	slices.SortStableFunc(launched, func(a, b wantLaunch) int { return cmp.Or(cmp.Compare(b.ttl, a.ttl), cmp.Compare(a.job, b.job)) })
	if len(launched) < 5 {
		t.Fatalf("only %d launches", len(launched))
	}
	for i, s := range rep.Summary.Slowest {
		if s.JobID != launched[i].job || s.SourceServerID != launched[i].server || s.TimeToLaunchSeconds != launched[i].ttl {
			t.Errorf("slowest %d: %s %s %v, want %s %s %v", i, s.SourceServerID, s.JobID, s.TimeToLaunchSeconds, launched[i].server, launched[i].job, launched[i].ttl)
		}
	}
	if len(rep.Summary.Slowest) != 5 {
		t.Errorf("%d slowest launches, want 5", len(rep.Summary.Slowest))
	}
}

// TestFilters checks that --source-server narrows the report to one server
// and that an unknown region empties it.
func TestFilters(t *testing.T) {
	h := emulated(t)
	ids := make([]string, 0)
	for id := range h.servers[0] {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if len(ids) == 0 {
		t.Fatal("no servers")
	}
	rep := makeReport(t, h, report.Selection{ServerIDs: ids[:1]})
	if len(rep.Servers) != 1 || rep.Servers[0].SourceServerID != ids[0] {
		t.Fatalf("--source-server %s gave %d servers", ids[0], len(rep.Servers))
	}
	for _, l := range rep.Servers[0].Launches {
		if !strings.HasPrefix(l.JobID, "drsjob-") {
			t.Errorf("launch of job %q", l.JobID)
		}
	}
	rep = makeReport(t, h, report.Selection{Regions: []string{"eu-west-3"}})
	if len(rep.Servers) != 0 || rep.Summary.Launches != 0 {
		t.Fatalf("another region gave %d servers, %d launches", len(rep.Servers), rep.Summary.Launches)
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, rep, report.FormatHTML); err != nil {
		t.Fatalf("empty report as HTML: %v", err)
	}
}

func TestErrorCode(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"An error occurred (InsufficientInstanceCapacity) when calling the RunInstances operation: We currently do not have sufficient r5.large capacity", "InsufficientInstanceCapacity"},
		{"An error occurred (VolumeLimitExceeded) when calling the RunInstances operation: You have exceeded your maximum gp3 storage limit", "VolumeLimitExceeded"},
		{"An error occurred (InvalidKMSKey.InvalidState) when calling the RunInstances operation: The KMS key provided is in an incorrect state", "InvalidKMSKey.InvalidState"},
		{"Failed to create conversion server: KMSKeyDisabled: The key arn:aws:kms:us-east-1:123456789012:key/x is disabled", "KMSKeyDisabled"},
		{"Failed to create conversion server: UnauthorizedOperation: You are not authorized to perform this operation.", "UnauthorizedOperation"},
		{"EC2 returned an unexpected response: <Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>", "RequestLimitExceeded"},
		{"Point in time snapshot snap-0a is no longer available: InvalidSnapshot.NotFound: The snapshot 'snap-0a' does not exist.", "InvalidSnapshot.NotFound"},
		{"Snapshot snap-0a failed: Internal error while taking EBS snapshot", ""},
		{"Conversion failed: unable to find a bootable partition on root volume /dev/sda1 (Ubuntu 22.04).", ""},
		{"Source server s-0a (web-01) was skipped: data replication is not healthy", ""},
		{"", ""},
	} {
		if got := report.ErrorCode(tc.raw); got != tc.want {
			t.Errorf("ErrorCode(%.50q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

// buildinfo is a fixed build, for reports that must not depend on the test
// binary.
func buildinfo(version string) bi.Info { return bi.Info{Version: version} }
