package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// saveAWS runs the real AWS CLI against emu, as a user saving its output
// does, and writes what it prints to dir/name.
func saveAWS(t *testing.T, emu *emulator.Server, dir, name string, args ...string) string {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI (aws) is not on PATH: this test runs it to save the output it imports")
	}
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(c, path, append(args, "--endpoint-url", emu.URL(), "--region", emu.Region(), "--output", "json")...)
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if up := strings.ToUpper(name); strings.HasPrefix(up, "AWS_") || strings.HasSuffix(up, "_PROXY") {
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env, "AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_CONFIG_FILE="+empty,
		"AWS_SHARED_CREDENTIALS_FILE="+empty, "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "NO_PROXY=127.0.0.1,localhost")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	if !bytes.Contains(out, []byte("\n    ")) {
		t.Fatalf("aws %s printed no indented JSON: %.200s", strings.Join(args, " "), out)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func decodeNumbers(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%v: %.200s", err, b)
	}
	return v
}

// within reports where part holds a member whose value whole does not:
// "" when every member of part, at any depth, is in whole with an equal
// value (numbers by value), arrays element by element.
func within(whole, part any, path string) string {
	switch p := part.(type) {
	case map[string]any:
		w, ok := whole.(map[string]any)
		if !ok {
			return path
		}
		for k, v := range p {
			wv, ok := w[k]
			if !ok {
				return path + "." + k
			}
			if d := within(wv, v, path+"."+k); d != "" {
				return d
			}
		}
	case []any:
		w, ok := whole.([]any)
		if !ok || len(w) != len(p) {
			return path
		}
		for i := range p {
			if d := within(w[i], p[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	case json.Number:
		w, ok := whole.(json.Number)
		if !ok {
			return path
		}
		a, erra := w.Float64()
		b, errb := p.Float64()
		if w != p && (erra != nil || errb != nil || a != b) {
			return path
		}
	default:
		if whole != part {
			return path
		}
	}
	return ""
}

// kindCounts counts the records of every kind in the archive in dir.
func kindCounts(t *testing.T, dir string) map[archive.Kind]int {
	t.Helper()
	st := archivetest.Open(t, dir)
	defer st.Close()
	out := map[archive.Kind]int{}
	err := st.View(func(r *archive.Reader) error {
		for _, k := range kinds.Names() {
			if err := r.Each(k, func(archive.Record) error { out[k]++; return nil }); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	return out
}

// importedKinds are the kinds saved AWS CLI output holds.
var importedKinds = kinds.Names()

// checkJSONL runs query --output jsonl and checks that it prints one
// parseable record object a line, every record of the archive.
func checkJSONL(t *testing.T, dir string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, "--archive", dir, "query", "--output", "jsonl")
	if code != 0 {
		t.Fatalf("query: exit %d: %s", code, stderr)
	}
	total := 0
	for _, n := range kindCounts(t, dir) {
		total += n
	}
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		lines++
		var o struct {
			Kind string          `json:"kind"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil || o.Kind == "" || o.Data == nil {
			t.Fatalf("query --output jsonl line %d is not one record object (%v): %.200s", lines, err, sc.Text())
		}
	}
	if lines != total {
		t.Errorf("query --output jsonl printed %d lines, the archive holds %d records", lines, total)
	}
}

func verifyClean(t *testing.T, dir, when string) {
	t.Helper()
	if code, stdout, stderr := runCLI(t, "--archive", dir, "verify"); code != 0 {
		t.Errorf("verify %s: exit %d: %s %s", when, code, stdout, stderr)
	}
}

// TestImportAWSCLIOutputAgreesWithSync saves the output of the real AWS CLI
// from an emulator that serves members the CLI does not know, and imports
// it into a fresh archive and into one sync filled from the same emulator:
// every kind (the SMS jobs rendered as the CLI would print them, since the
// installed CLI has no sms commands): every
// imported record is the emulator's object less what the CLI dropped,
// query --output jsonl prints one record a line, verify is clean, and a
// sync after the import adds no record of an imported kind. The imported
// Snowball and SMS jobs, whose states did not change, add nothing to the
// synced archive either (sync, import, sync).
func TestImportAWSCLIOutputAgreesWithSync(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not on PATH: this test runs it to save the output it imports")
	}
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 17, Jobs: 6, LogItemsPerJob: 8, Servers: 4,
		SnowballClusters: 2, SnowballJobsPerCluster: 4, SMSJobs: 4})
	src := t.TempDir()
	files := []string{saveAWS(t, emu, src, "jobs.json", "drs", "describe-jobs")}
	for _, id := range emu.JobIDs() {
		files = append(files, saveAWS(t, emu, src, id+".json", "drs", "describe-job-log-items", "--job-id", id))
	}
	files = append(files, saveAWS(t, emu, src, "servers.json", "drs", "describe-source-servers"),
		saveAWS(t, emu, src, "staging.json", "drs", "list-staging-accounts"),
		saveAWS(t, emu, src, "instances.json", "drs", "describe-recovery-instances"))
	for _, s := range emu.SourceServers() {
		var h struct{ SourceServerID string }
		json.Unmarshal(s, &h)
		if len(emu.RecoverySnapshots(h.SourceServerID)) > 0 {
			files = append(files, saveAWS(t, emu, src, "snapshots-"+h.SourceServerID+".json",
				"drs", "describe-recovery-snapshots", "--source-server-id", h.SourceServerID))
		}
		files = append(files,
			saveAWS(t, emu, src, "launch-"+h.SourceServerID+".json", "drs", "get-launch-configuration", "--source-server-id", h.SourceServerID),
			saveAWS(t, emu, src, "replication-"+h.SourceServerID+".json", "drs", "get-replication-configuration", "--source-server-id", h.SourceServerID))
	}
	files = append(files, saveAWS(t, emu, src, "networks.json", "drs", "describe-source-networks"))
	for _, c := range emu.ClusterIDs() {
		files = append(files, saveAWS(t, emu, src, c+".json", "snowball", "list-cluster-jobs", "--cluster-id", c))
	}
	sms := filepath.Join(src, "sms.json")
	if err := os.WriteFile(sms, archivetest.CLIOutput(t, "replicationJobList", emu.ReplicationJobs()), 0o600); err != nil {
		t.Fatal(err)
	}
	files = append(files, sms)

	// want holds the emulator's objects by kind and identity: imported
	// records must be these, less members.
	want := map[string]json.RawMessage{}
	for _, j := range emu.Jobs() {
		var h struct{ JobID string }
		json.Unmarshal(j, &h)
		want["drs.job "+h.JobID] = j
		for i, it := range emu.JobLog(h.JobID) {
			want[fmt.Sprintf("drs.jobLogItem %s %d", h.JobID, i)] = it
		}
	}
	for _, s := range emu.SourceServers() {
		var h struct{ SourceServerID string }
		json.Unmarshal(s, &h)
		want["drs.sourceServer "+h.SourceServerID] = s
		for _, sn := range emu.RecoverySnapshots(h.SourceServerID) {
			var h struct{ SnapshotID string }
			json.Unmarshal(sn, &h)
			want["drs.recoverySnapshot "+h.SnapshotID] = sn
		}
	}
	for _, a := range emu.StagingAccounts() {
		want["drs.stagingAccount "+a], _ = json.Marshal(map[string]string{"accountID": a})
	}
	for _, in := range emu.RecoveryInstances() {
		var h struct{ RecoveryInstanceID string }
		json.Unmarshal(in, &h)
		want["drs.recoveryInstance "+h.RecoveryInstanceID] = in
	}
	for _, c := range emu.ClusterIDs() {
		for _, j := range emu.ClusterJobs(c) {
			var h struct{ JobID string }
			json.Unmarshal(j, &h)
			want["snowball.clusterJob "+h.JobID] = j
		}
	}
	for _, j := range emu.ReplicationJobs() {
		var h struct {
			ID string `json:"replicationJobId"`
		}
		json.Unmarshal(j, &h)
		want["sms.replicationJob "+h.ID] = j
	}
	for _, set := range []struct {
		kind   archive.Kind
		member string
		raws   []json.RawMessage
	}{
		{kinds.DRSLaunchConfiguration, "sourceServerID", emu.LaunchConfigurations()},
		{kinds.DRSReplicationConfiguration, "sourceServerID", emu.ReplicationConfigurations()},
		{kinds.DRSSourceNetwork, "sourceNetworkID", emu.SourceNetworks()},
	} {
		for _, raw := range set.raws {
			var m map[string]any
			json.Unmarshal(raw, &m)
			want[fmt.Sprintf("%s %v", set.kind, m[set.member])] = raw
		}
	}
	wantCounts := map[archive.Kind]int{}
	for k := range want {
		kind, _, _ := strings.Cut(k, " ")
		wantCounts[archive.Kind(kind)]++
	}
	for _, k := range importedKinds {
		if wantCounts[k] == 0 {
			t.Fatalf("the emulator has no %s: the test proves nothing", k)
		}
	}

	importArgs := append([]string{"import", "--region", emu.Region(), "--account", emu.Account()}, files...)
	sync := func(dir string) {
		t.Helper()
		if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--source", "drs,snowball,sms", "--endpoint-url", emu.URL()); code != 0 {
			t.Fatalf("sync: exit %d: %s", code, stderr)
		}
	}

	t.Run("into a fresh archive", func(t *testing.T) {
		dir := archivetest.Dir(t)
		if code, stdout, stderr := runCLI(t, append([]string{"--archive", dir}, importArgs...)...); code != 0 {
			t.Fatalf("import: exit %d: %s %s", code, stdout, stderr)
		}
		verifyClean(t, dir, "after the import")
		got := kindCounts(t, dir)
		for _, k := range importedKinds {
			if got[k] != wantCounts[k] {
				t.Errorf("%d %s records imported, the emulator has %d", got[k], k, wantCounts[k])
			}
		}
		// Every imported record is the emulator's object on every member
		// the CLI kept; and the CLI did drop some.
		dropped := 0
		st := archivetest.Open(t, dir)
		err := st.View(func(r *archive.Reader) error {
			for _, k := range importedKinds {
				err := r.Each(k, func(rec archive.Record) error {
					id := string(k) + " " + rec.ID
					if k == kinds.DRSJobLogItem {
						id = fmt.Sprintf("%s %s %d", k, rec.JobID, *rec.Pos)
					}
					w, ok := want[id]
					if !ok {
						t.Errorf("imported %s is not the emulator's", id)
						return nil
					}
					if string(rec.Data) != compacted(t, rec.Data) {
						t.Errorf("%s is stored uncompacted: %.100s", id, rec.Data)
					}
					if d := within(decodeNumbers(t, w), decodeNumbers(t, rec.Data), "$"); d != "" {
						t.Errorf("imported %s differs from the emulator's at %s", id, d)
					}
					if within(decodeNumbers(t, rec.Data), decodeNumbers(t, w), "$") != "" {
						dropped++
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		if dropped == 0 {
			t.Fatal("the AWS CLI dropped no member of any object: the test proves nothing about them")
		}
		checkJSONL(t, dir)
		sync(dir)
		verifyClean(t, dir, "after the sync")
		after := kindCounts(t, dir)
		for _, k := range importedKinds {
			if after[k] != got[k] {
				t.Errorf("the sync after the import went from %d to %d %s records", got[k], after[k], k)
			}
		}
		checkJSONL(t, dir)
	})

	t.Run("into a synced archive", func(t *testing.T) {
		dir := archivetest.Dir(t)
		sync(dir)
		synced := kindCounts(t, dir)
		for _, k := range importedKinds {
			if synced[k] != wantCounts[k] {
				t.Fatalf("sync archived %d %s records, the emulator has %d", synced[k], k, wantCounts[k])
			}
		}
		code, stdout, stderr := runCLI(t, append([]string{"--archive", dir}, importArgs...)...)
		if code != 0 {
			t.Fatalf("import: exit %d: %s %s", code, stdout, stderr)
		}
		if !strings.Contains(stdout, "; 0 added, 0 updated, ") {
			t.Errorf("import into the synced archive: %s; want nothing added or updated", stdout)
		}
		verifyClean(t, dir, "after the import")
		if got := kindCounts(t, dir); !equalCounts(got, synced) {
			t.Errorf("the import went from %v to %v records", synced, got)
		}
		checkJSONL(t, dir)
		sync(dir)
		verifyClean(t, dir, "after the second sync")
		if got := kindCounts(t, dir); !equalCounts(got, synced) {
			t.Errorf("the sync after the import went from %v to %v records", synced, got)
		}
	})
}

func equalCounts(a, b map[archive.Kind]int) bool {
	for _, k := range kinds.Names() {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}
