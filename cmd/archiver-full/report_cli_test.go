package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/awstime"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query/report"
)

// drilledServers returns the source servers of emu with a drill that
// launched, and every server, from the emulator's own jobs.
func drilledServers(t *testing.T, emu *emulator.Server) (drilled, all []string) {
	t.Helper()
	for _, raw := range emu.SourceServers() {
		var s struct{ SourceServerID string }
		json.Unmarshal(raw, &s)
		all = append(all, s.SourceServerID)
	}
	for _, raw := range emu.Jobs() {
		var j struct {
			InitiatedBy          string
			ParticipatingServers []struct{ SourceServerID, LaunchStatus string }
		}
		json.Unmarshal(raw, &j)
		if j.InitiatedBy != "START_DRILL" {
			continue
		}
		for _, p := range j.ParticipatingServers {
			if p.LaunchStatus == "LAUNCHED" && !slices.Contains(drilled, p.SourceServerID) {
				drilled = append(drilled, p.SourceServerID)
			}
		}
	}
	if len(drilled) == 0 || len(all) == 0 {
		t.Fatalf("%d servers, %d drilled: the test proves nothing", len(all), len(drilled))
	}
	return drilled, all
}

// TestCheckExitStatus runs 'archiver check' with a policy every server
// meets (exit 0) and one every server breaks (exit 3, each printed).
func TestCheckExitStatus(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 23, Servers: 6})
	dir := archivetest.Dir(t)
	syncCLI(t, dir, emu.URL())
	drilled, all := drilledServers(t, emu)
	period := []string{"--from", "2026-01-01", "--to", "2026-11-02"}

	args := append([]string{"--archive", dir, "check", "--max-drill-age", "3650d", "--max-rto", "30d", "--max-rpo", "30d", "--source-server", drilled[0]}, period...)
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 || !strings.Contains(stdout, "0 of 1 servers break the policy") {
		t.Errorf("a policy the server meets: exit %d\n%s%s", code, stdout, stderr)
	}

	args = append([]string{"--archive", dir, "check", "--max-drill-age", "1s"}, period...)
	code, stdout, stderr = runCLI(t, args...)
	if code != 3 {
		t.Errorf("a policy every server breaks: exit %d, want 3\n%s%s", code, stdout, stderr)
	}
	for _, id := range all {
		if !strings.Contains(stdout, id+" ") {
			t.Errorf("breach of %s not printed:\n%s", id, stdout)
		}
	}
	if !strings.Contains(stderr, "break the policy") {
		t.Errorf("stderr: %s", stderr)
	}

	code, stdout, _ = runCLI(t, append(args, "--output", "json")...)
	var res report.CheckResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || code != 3 {
		t.Fatalf("--output json: exit %d, %v\n%s", code, err, stdout)
	}
	if res.Schema != report.CheckSchemaVersion || len(res.Breaches) != len(all) || res.Servers != len(all) {
		t.Errorf("json: schema %q, %d breaches of %d servers; want %d", res.Schema, len(res.Breaches), res.Servers, len(all))
	}
	for _, b := range res.Breaches {
		if b.Rule != report.RuleDrillAge || b.Evidence == "" {
			t.Errorf("breach %+v", b)
		}
		if slices.Contains(drilled, b.SourceServerID) && b.JobID == "" {
			t.Errorf("breach of drilled server %s names no job", b.SourceServerID)
		}
	}
}

// TestReportCLI writes the report in each format and refuses bad flags.
func TestReportCLI(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 29, Servers: 5})
	dir := archivetest.Dir(t)
	syncCLI(t, dir, emu.URL())
	_, all := drilledServers(t, emu)
	out := t.TempDir()
	for _, tc := range []struct{ file, marker string }{
		{"r.html", "<!DOCTYPE html>"},
		{"r.md", "# Recoverability report"},
		{"r.json", `"schema": "` + report.SchemaVersion + `"`},
	} {
		path := filepath.Join(out, tc.file)
		code, _, stderr := runCLI(t, "--archive", dir, "report", "--from", "2026-08-01", "--to", "2026-11-02", "--out", path)
		if code != 0 || !strings.Contains(stderr, "report written to "+path) {
			t.Fatalf("report --out %s: exit %d: %s", tc.file, code, stderr)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), tc.marker) {
			t.Errorf("%s does not start as its format: %.200s", tc.file, b)
		}
		for _, id := range all {
			if !strings.Contains(string(b), id) {
				t.Errorf("%s lacks server %s", tc.file, id)
			}
		}
	}
	code, stdout, stderr := runCLI(t, "--archive", dir, "report", "--from", "2026-08-01", "--to", "2026-11-02")
	if code != 0 || !strings.Contains(stdout, "SERVER") {
		t.Errorf("report to a terminal: exit %d\n%s%s", code, stdout, stderr)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "--format", "pdf"}, "--format"},
		{[]string{"report", "--out", filepath.Join(out, "r.html")}, "--out"},
		{[]string{"report", "--from", "tomorrowish"}, "--from"},
		{[]string{"report", "--source-server", "web-01"}, "--source-server"},
		{[]string{"check"}, "give at least one rule"},
		{[]string{"check", "--max-rto", "an hour"}, "--max-rto"},
		{[]string{"check", "--max-rpo", "0m"}, "--max-rpo"},
		{[]string{"check", "--max-drill-age", "90d", "--output", "yaml"}, "--output"},
	} {
		code, _, stderr := runCLI(t, append([]string{"--archive", dir}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, want 2 and one line naming %s: %s", tc.args, code, tc.want, stderr)
		}
	}
}

// TestSyncServerGauges syncs with --metrics-file and checks the per-server
// gauges against the emulator's jobs and logs: each server's last drill
// that launched, and the time to launch of its latest launch.
func TestSyncServerGauges(t *testing.T) {
	hermeticEnv(t)
	now := time.Now().UTC().Truncate(time.Second)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 31, Servers: 6, Now: now})
	dir := archivetest.Dir(t)
	prom := filepath.Join(t.TempDir(), "archiver.prom")
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--quiet", "--metrics-file", prom); code != 0 {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(prom)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if !strings.Contains(text, "archiver_sync_runs_total{") {
		t.Errorf("the sync metrics are gone:\n%s", text)
	}

	type launch struct {
		start, launched time.Time
		drill           bool
	}
	latest := map[string]launch{}    // server -> latest launch that launched
	lastDrill := map[string]launch{} // server -> last drill that launched
	for _, raw := range emu.Jobs() {
		var j struct {
			JobID, InitiatedBy   string
			ParticipatingServers []struct{ SourceServerID, LaunchStatus string }
		}
		json.Unmarshal(raw, &j)
		if j.InitiatedBy != "START_DRILL" && j.InitiatedBy != "START_RECOVERY" {
			continue
		}
		var start time.Time
		launched := map[string]time.Time{}
		for _, li := range emu.JobLog(j.JobID) {
			var it struct {
				Event, LogDateTime string
				EventData          struct{ SourceServerID string }
			}
			json.Unmarshal(li, &it)
			at, _ := awstime.Parse(it.LogDateTime)
			switch it.Event {
			case "JOB_START":
				start = at
			case "LAUNCH_START":
				launched[it.EventData.SourceServerID] = at
			}
		}
		for _, p := range j.ParticipatingServers {
			at, ok := launched[p.SourceServerID]
			if !ok || p.LaunchStatus != "LAUNCHED" && p.LaunchStatus != "TERMINATED" {
				continue
			}
			l := launch{start: start, launched: at, drill: j.InitiatedBy == "START_DRILL"}
			if cur, ok := latest[p.SourceServerID]; !ok || l.start.After(cur.start) {
				latest[p.SourceServerID] = l
			}
			if cur, ok := lastDrill[p.SourceServerID]; l.drill && (!ok || l.launched.After(cur.launched)) {
				lastDrill[p.SourceServerID] = l
			}
		}
	}
	if len(latest) == 0 || len(lastDrill) == 0 {
		t.Fatal("no launches: the test proves nothing")
	}
	_, all := drilledServers(t, emu)
	sample := func(name, id string) (float64, bool) {
		re := regexp.MustCompile(`(?m)^` + name + `\{source_server="` + id + `",[^}]*\} (\S+)$`)
		m := re.FindStringSubmatch(text)
		if m == nil {
			return 0, false
		}
		v, err := strconv.ParseFloat(m[1], 64)
		return v, err == nil
	}
	for _, id := range all {
		want := 0.0
		if l, ok := lastDrill[id]; ok {
			want = float64(l.launched.UnixMilli()) / 1000
		}
		if got, ok := sample(report.GaugeLastDrill, id); !ok || got != want {
			t.Errorf("%s: last drill gauge %v (present %v), want %v", id, got, ok, want)
		}
		l, ok := latest[id]
		got, present := sample(report.GaugeTimeToLaunch, id)
		if ok != present || ok && got != l.launched.Sub(l.start).Seconds() {
			t.Errorf("%s: time to launch gauge %v (present %v), want %v (present %v)", id, got, present, l.launched.Sub(l.start).Seconds(), ok)
		}
	}
}
