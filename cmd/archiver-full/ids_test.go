package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// TestQueryByID: --job-id and --id of every service, --initiated-by and
// --type in any case, --wide, and their usage errors, through the CLI.
func TestQueryByID(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 71})
	dir := archivetest.Dir(t)
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--source", "drs,snowball,sms", "--endpoint-url", emu.URL()); code != 0 {
		t.Fatalf("sync: %s", stderr)
	}
	// The emulator's own answers.
	var snowballJob, cluster string
	clusterJobs := 0
	for _, cid := range emu.ClusterIDs() {
		for _, raw := range emu.ClusterJobs(cid) {
			var j struct{ JobId string }
			json.Unmarshal(raw, &j)
			if snowballJob == "" {
				snowballJob, cluster = j.JobId, cid
			}
			if cid == cluster {
				clusterJobs++
			}
		}
	}
	var smsJob struct {
		ID string `json:"replicationJobId"`
	}
	json.Unmarshal(emu.ReplicationJobs()[0], &smsJob)
	drills, launches := 0, 0
	for _, raw := range emu.Jobs() {
		var j struct{ InitiatedBy, Type string }
		json.Unmarshal(raw, &j)
		if j.InitiatedBy == "START_DRILL" {
			drills++
		}
		if j.Type == "LAUNCH" {
			launches++
		}
	}
	if snowballJob == "" || smsJob.ID == "" || drills == 0 || launches == 0 {
		t.Fatal("the history lacks Snowball or SMS jobs, drills or launches; the test proves nothing")
	}
	// query runs the query command and returns its JSON Lines objects.
	query := func(args ...string) []map[string]any {
		t.Helper()
		code, stdout, stderr := runCLI(t, append([]string{"--archive", dir, "query", "--output", "jsonl"}, args...)...)
		if code != 0 {
			t.Fatalf("query %v: exit %d: %s", args, code, stderr)
		}
		var out []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
			if l == "" {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("query %v: %v: %s", args, err, l)
			}
			out = append(out, m)
		}
		return out
	}
	tests := []struct {
		name string
		args []string
		n    int
		keep func(m map[string]any) bool
	}{
		{"snowball job", []string{"--job-id", snowballJob}, 1, func(m map[string]any) bool { return m["id"] == snowballJob }},
		{"sms job", []string{"--job-id", " " + smsJob.ID}, 1, func(m map[string]any) bool { return m["id"] == smsJob.ID }},
		{"cluster", []string{"--id", cluster}, clusterJobs, func(m map[string]any) bool { return m["clusterID"] == cluster }},
		{"drills, lower case", []string{"--initiated-by", "start_drill"}, drills, func(m map[string]any) bool {
			return m["kind"] == "drs.job" && m["data"].(map[string]any)["initiatedBy"] == "START_DRILL"
		}},
		{"launches", []string{"--type", "Launch"}, launches, func(m map[string]any) bool {
			return m["kind"] == "drs.job" && m["data"].(map[string]any)["type"] == "LAUNCH"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := query(tt.args...)
			if len(got) != tt.n {
				t.Errorf("%d records, want %d", len(got), tt.n)
			}
			for _, m := range got {
				if !tt.keep(m) {
					t.Errorf("unwanted record %v", m)
				}
			}
		})
	}

	// --wide shows every column; CSV names the record.
	code, stdout, stderr := runCLI(t, "--archive", dir, "query", "--job-id", snowballJob, "--output", "table", "--wide")
	if code != 0 || !strings.Contains(stdout, "CAPTURED") || !strings.Contains(stdout, "MESSAGE") || !strings.Contains(stdout, "TIME (UTC)") {
		t.Errorf("query --wide: exit %d: %s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "--archive", dir, "query", "--id", snowballJob, "--output", "csv")
	rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if code != 0 || err != nil || len(rows) != 2 {
		t.Fatalf("query --output csv: exit %d, %v: %s%s", code, err, stdout, stderr)
	}
	row := map[string]string{}
	for i, h := range rows[0] {
		row[h] = rows[1][i]
	}
	if row["id"] != snowballJob || row["cluster"] != cluster || row["region"] != emu.Region() || row["account"] != emu.Account() || row["capturedAt"] == "" {
		t.Errorf("CSV row %v", row)
	}

	// The manifest of an export names the new filters.
	out := filepath.Join(t.TempDir(), "e.json")
	if code, _, stderr := runCLI(t, "--archive", dir, "export", "--out", out, "--id", cluster, "--initiated-by", "start_drill"); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	doc := readExport(t, out)
	if doc.Manifest.Records != 0 {
		t.Errorf("a cluster's jobs are no DRS jobs, yet the export holds %d records", doc.Manifest.Records)
	}

	usage := []struct {
		args []string
		msg  string
	}{
		{[]string{"--id", "job-1"}, `--id "job-1": not a record ID (want the ID of a DRS job (drsjob-…), Snowball job (JID…), SMS replication job (sms-job-…), source server (s-…), staging account (12 digits), recovery snapshot (pit-…), recovery instance (i-…), source network (sn-…) or Snowball cluster (CID…))`},
		{[]string{"--job-id", cluster}, fmt.Sprintf(`--job-id %q: not a job ID`, cluster)},
		{[]string{"--job-id", "sms-job-x"}, `--job-id "sms-job-x": not a job ID`},
		{[]string{"--initiated-by", "start drill"}, `--initiated-by "start drill"`},
		{[]string{"--type", "launch!"}, `--type "launch!"`},
	}
	for _, u := range usage {
		code, stdout, stderr := runCLI(t, append([]string{"--archive", dir, "query"}, u.args...)...)
		if code != 2 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, u.msg) {
			t.Errorf("query %v: exit %d, stdout %q, stderr %q; want exit 2 and one line saying %s", u.args, code, stdout, stderr, u.msg)
		}
	}
}
