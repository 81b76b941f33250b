package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// TestMain lets the test binary stand in for the archiver binary: with
// ARCHIVER_TEST_MAIN=1 it runs the CLI on its arguments and exits. Tests
// that need a separate process (to kill it) re-execute themselves this way.
func TestMain(m *testing.M) {
	if os.Getenv("ARCHIVER_TEST_MAIN") == "1" {
		brokenPipeIsAnError()
		ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		os.Exit(run(ctx, append([]string{"archiver"}, os.Args[1:]...), os.Stdout, os.Stderr))
	}
	// No configuration file of this machine's user is read by a test (nor
	// by the processes tests start, which inherit the environment).
	dir, err := os.MkdirTemp("", "archiver-test-config")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	os.Unsetenv("ARCHIVER_CONFIG")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// hermeticEnv points the AWS SDK at nothing of this machine's: static test
// keys, empty config files, no instance metadata, and no endpoint off
// loopback.
func hermeticEnv(t *testing.T) []string {
	t.Helper()
	d := t.TempDir()
	empty := filepath.Join(d, "empty")
	os.WriteFile(empty, nil, 0o600)
	env := map[string]string{
		"AWS_ACCESS_KEY_ID":           "AKIDTEST",
		"AWS_SECRET_ACCESS_KEY":       "secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             empty,
		"AWS_SHARED_CREDENTIALS_FILE": empty,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_REGION":                  "us-east-1",
		// A call that a test forgot to point at the emulator goes to a
		// loopback port nothing listens on, never to AWS.
		"AWS_ENDPOINT_URL":          "http://127.0.0.1:9",
		"AWS_ENDPOINT_URL_DRS":      "",
		"AWS_ENDPOINT_URL_STS":      "",
		"AWS_ENDPOINT_URL_SMS":      "",
		"AWS_ENDPOINT_URL_SNOWBALL": "",
		// Dates given to the CLI are read in UTC unless a test says.
		"TZ": "",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// syncCLI runs 'archiver --archive dir sync --endpoint-url url --quiet' in
// process and fails the test unless it succeeds.
func syncCLI(t *testing.T, dir, url string) {
	t.Helper()
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", url, "--quiet"); code != 0 {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}
}

// runCLI runs the CLI in-process and returns exit status, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"archiver"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestUsageErrors(t *testing.T) {
	hermeticEnv(t)
	dir := archivetest.Dir(t)
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"sync", "--frob"}, 2, "flag provided but not defined"},
		{"unknown global flag", []string{"--frob", "sync"}, 2, "flag provided but not defined"},
		{"bad source", []string{"--archive", dir, "sync", "--source", "ec2"}, 2, `unknown source "ec2"`},
		{"page size", []string{"--archive", dir, "sync", "--page-size", "0"}, 2, "--page-size 0"},
		{"bad number", []string{"--archive", dir, "sync", "--concurrency", "many"}, 2, "invalid value"},
		{"export without out", []string{"--archive", dir, "export"}, 2, "--out FILE is required"},
		{"stray argument", []string{"--archive", dir, "verify", "now"}, 2, `unexpected argument "now"`},
		{"no archive", []string{"--archive", dir, "export", "--out", filepath.Join(t.TempDir(), "x.json")}, 2, "no archive here"},
		{"not an archive", []string{"--archive", t.TempDir(), "verify"}, 2, "no archive here"},
		{"unknown source", []string{"--archive", dir, "sync", "--source", "ec2"}, 2, `unknown source "ec2"`},
		{"bad region", []string{"--archive", dir, "sync", "--region", "us-east-1", "--region", "Narnia"}, 2, `--region "Narnia": not an AWS region`},
		{"bad cluster", []string{"--archive", dir, "sync", "--source", "snowball", "--snowball-cluster-id", "CID1"}, 2, `--snowball-cluster-id "CID1": not a Snowball cluster ID`},
		{"empty profile", []string{"--archive", dir, "sync", "--profile", " "}, 2, "--profile: empty profile name"},
		{"import nothing", []string{"--archive", dir, "import"}, 2, "no file to import"},
		{"import bad account", []string{"--archive", dir, "import", "--account", "12", "x.json"}, 2, `--account "12": not an AWS account ID`},
		{"import bad job", []string{"--archive", dir, "import", "--job-id", "drsjob-1", "x.json"}, 2, `--job-id "drsjob-1": not a DRS job ID`},
		{"import bad time", []string{"--archive", dir, "import", "--captured-at", "soon", "x.json"}, 2, "--captured-at"},
		{"import missing file", []string{"--archive", dir, "import", "no-such-file.json"}, 1, "no-such-file.json: no such file"},
		{"query bad region", []string{"--archive", dir, "query", "--region", "x"}, 2, `--region "x": not an AWS region`},
		{"export bad account", []string{"--archive", dir, "export", "--account", "x", "--out", "x.json"}, 2, `--account "x": not an AWS account ID`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "archiver: ") {
				t.Errorf("stderr is not one line: %q", stderr)
			}
			if !strings.Contains(stderr, tt.msg) {
				t.Errorf("stderr %q does not say %q", stderr, tt.msg)
			}
			if stdout != "" {
				t.Errorf("stdout not empty: %q", stdout)
			}
		})
	}
}

func TestNotAnArchiveFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "archive.db"), bytes.Repeat([]byte("junk"), 2000), 0o600)
	code, _, stderr := runCLI(t, "--archive", dir, "verify")
	if code != 2 || !strings.Contains(stderr, "not an archiver archive") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestHelpTeaches(t *testing.T) {
	// Every command teaches by example and says where the exit statuses
	// are; the top-level help lists them.
	for _, cmd := range newApp(nil, nil).Commands {
		if cmd.Name == "version" || cmd.Name == "help" {
			continue
		}
		cmd := cmd.Name
		code, stdout, _ := runCLI(t, cmd, "--help")
		if code != 0 {
			t.Errorf("%s --help: exit %d", cmd, code)
		}
		for _, want := range []string{"EXAMPLES:", "archiver help exit-codes", "archiver "} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%s --help lacks %q", cmd, want)
			}
		}
	}
	code, stdout, _ := runCLI(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "archiver ") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
}

// TestSyncExportVerify runs the commands a user runs, and checks the export
// against the emulator's history and its own manifest.
func TestSyncExportVerify(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 21})
	dir := archivetest.Dir(t)
	code, stdout, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--page-size", "9")
	if code != 0 {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "archiver sync: ") || strings.Count(stdout, "\n") != 1 {
		t.Errorf("summary is not one line: %q", stdout)
	}
	out := filepath.Join(t.TempDir(), "export.json")
	if code, _, stderr := runCLI(t, "--archive", dir, "export", "--out", out); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	doc := readExport(t, out)
	if doc.Manifest.Counts["drs.job"] != len(emu.Jobs()) || doc.Manifest.Counts["drs.jobLogItem"] != emu.TotalLogItems() ||
		doc.Manifest.Counts["drs.sourceServer"] != len(emu.SourceServers()) {
		t.Errorf("manifest counts %v; emulator has %d jobs, %d log items, %d servers",
			doc.Manifest.Counts, len(emu.Jobs()), emu.TotalLogItems(), len(emu.SourceServers()))
	}
	// Every job and log item is in the export exactly once, byte for byte.
	want := map[string]int{}
	for _, j := range emu.Jobs() {
		want[string(j)]++
		var h struct{ JobID string }
		json.Unmarshal(j, &h)
		for _, it := range emu.JobLog(h.JobID) {
			want[h.JobID+" "+string(it)]++
		}
	}
	got := map[string]int{}
	n := 0
	for _, r := range doc.Records {
		n++
		switch r.Kind {
		case "drs.job":
			got[string(r.Data)]++
		case "drs.jobLogItem":
			got[r.JobID+" "+string(r.Data)]++
		}
	}
	for k, c := range want {
		if got[k] != c {
			t.Errorf("export holds %d copies of %.80s..., want %d", got[k], k, c)
		}
	}
	if n != doc.Manifest.Records {
		t.Errorf("export has %d record objects, manifest says %d", n, doc.Manifest.Records)
	}
	code, stdout, stderr = runCLI(t, "--archive", dir, "verify")
	if code != 0 || !strings.Contains(stdout, "ok") {
		t.Errorf("verify: exit %d: %s %s", code, stdout, stderr)
	}
}

type exportDoc struct {
	Manifest struct {
		Counts        map[string]int `json:"counts"`
		Records       int            `json:"records"`
		RecordsSHA256 string         `json:"recordsSHA256"`
	} `json:"manifest"`
	Records []struct {
		Kind  string          `json:"kind"`
		JobID string          `json:"jobID"`
		Data  json.RawMessage `json:"data"`
	} `json:"records"`
}

// readExport parses an export and checks it as 'archiver verify --export'
// does, and its records hash independently.
func readExport(t *testing.T, path string) exportDoc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := runCLI(t, "verify", "--export", path); code != 0 || !strings.Contains(stdout, "ok") {
		t.Errorf("verify --export: exit %d: %s%s", code, stdout, stderr)
	}
	var raw struct {
		Records json.RawMessage `json:"records"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("export is not one JSON document: %v", err)
	}
	var doc exportDoc
	json.Unmarshal(b, &doc)
	sum := sha256.Sum256(raw.Records)
	if hex.EncodeToString(sum[:]) != doc.Manifest.RecordsSHA256 {
		t.Errorf("recordsSHA256 %s does not match the records (%x)", doc.Manifest.RecordsSHA256, sum)
	}
	return doc
}

// TestKillAndResume kills sync processes with SIGKILL at several points,
// interrupts one more (SIGINT, as Ctrl-C does), then lets a last one
// finish, and compares the archive with one made by a single
// uninterrupted sync.
func TestKillAndResume(t *testing.T) {
	env := hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 33, Jobs: 100, LogItemsPerJob: 40})

	clean := archivetest.Dir(t)
	if code, _, stderr := runCLI(t, "--archive", clean, "sync", "--endpoint-url", emu.URL(), "--page-size", "5"); code != 0 {
		t.Fatalf("uninterrupted sync: %s", stderr)
	}

	// Each process is killed once it has committed 150 more log items, so
	// every kill lands mid-sync, with commits behind it and more to come.
	emu.SetFaults(emulator.Faults{Latency: 3 * time.Millisecond})
	killed := archivetest.Dir(t)
	for i := 0; i < 4; i++ {
		interrupt := i == 3
		base := logItemCount(t, killed)
		cmd := exec.Command(os.Args[0], "--archive", killed, "sync", "--endpoint-url", emu.URL(), "--page-size", "5")
		cmd.Env = append(os.Environ(), append(env, "ARCHIVER_TEST_MAIN=1")...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		for logItemCount(t, killed) < base+150 {
			select {
			case err := <-exited:
				t.Fatalf("sync %d ended before it was killed (%v): %s", i, err, stderr.String())
			case <-time.After(2 * time.Millisecond):
			}
		}
		if interrupt {
			cmd.Process.Signal(os.Interrupt)
			<-exited
			want := "archiver: interrupted; pages committed so far are kept, and the next sync resumes\n"
			if code := cmd.ProcessState.ExitCode(); code != 130 || stderr.String() != want {
				t.Fatalf("interrupted sync: exit %d, stderr %q, want 130 and %q", code, stderr.String(), want)
			}
		} else {
			cmd.Process.Signal(syscall.SIGKILL)
			if err := <-exited; err == nil {
				t.Fatalf("sync %d finished before the kill landed", i)
			}
		}
		if code, _, stderr := runCLI(t, "--archive", killed, "verify"); code != 0 {
			t.Fatalf("verify after kill %d: %s", i, stderr)
		}
	}
	if n, m := len(exportRecords(t, killed)), len(exportRecords(t, clean)); n == 0 || n >= m {
		t.Fatalf("after the kills the archive holds %d of %d record objects; the kills did not interrupt work", n, m)
	}
	emu.SetFaults(emulator.Faults{})
	if code, _, stderr := runCLI(t, "--archive", killed, "sync", "--endpoint-url", emu.URL(), "--page-size", "5"); code != 0 {
		t.Fatalf("resumed sync: %s", stderr)
	}
	if code, _, stderr := runCLI(t, "--archive", killed, "verify"); code != 0 {
		t.Fatalf("verify after kills: %s", stderr)
	}
	a, b := exportRecords(t, clean), exportRecords(t, killed)
	if len(a) != len(b) {
		t.Fatalf("killed-and-resumed archive has %d record objects, uninterrupted %d", len(b), len(a))
	}
	for k, n := range a {
		if b[k] != n {
			t.Errorf("record %.100s: %d copies after kills, %d uninterrupted", k, b[k], n)
		}
	}
}

// logItemCount reads how many log items an archive holds; 0 if there is no
// archive yet. It reads while a sync may be writing, as a reviewer would.
func logItemCount(t *testing.T, dir string) int {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true, LockTimeout: time.Minute})
	if errors.Is(err, archive.ErrNoArchive) {
		return 0
	}
	if err != nil {
		t.Fatalf("read during sync: %v", err)
	}
	defer st.Close()
	n := 0
	st.View(func(r *archive.Reader) error {
		n, err = r.Count(kinds.DRSJobLogItem)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// exportRecords exports an archive and returns its records without
// provenance times, as a multiset.
func exportRecords(t *testing.T, dir string) map[string]int {
	t.Helper()
	out := filepath.Join(t.TempDir(), "e.json")
	if code, _, stderr := runCLI(t, "--archive", dir, "export", "--out", out); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	doc := readExport(t, out)
	m := map[string]int{}
	pos := map[string]int{} // log items follow their job in log order
	for _, r := range doc.Records {
		if r.Kind != "drs.jobLogItem" {
			m[r.Kind+" "+string(r.Data)]++
			continue
		}
		m[r.JobID+" "+fmt.Sprint(pos[r.JobID])+" "+string(r.Data)]++
		pos[r.JobID]++
	}
	return m
}

// TestBadBodyLeavesArchiveUnchanged: a truncated or malformed answer ends
// the sync with exit status 1 and one line naming the operation, and
// nothing of it is kept: the archive's jobs and job logs are exactly as
// they were.
func TestBadBodyLeavesArchiveUnchanged(t *testing.T) {
	hermeticEnv(t)
	for _, tc := range []struct {
		name  string
		fault emulator.Faults
	}{
		{"truncated", emulator.Faults{Truncate: map[string]bool{emulator.OpDescribeJobs: true}}},
		{"malformed", emulator.Faults{Malformed: map[string]bool{emulator.OpDescribeJobs: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu := archivetest.Emulator(t, emulator.Options{Seed: 21})
			dir := archivetest.Dir(t)
			if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL()); code != 0 {
				t.Fatalf("first sync: %s", stderr)
			}
			// What the failed listing (and the job logs it leads to) would
			// write; other listings of the run may commit their pages
			// before it fails, as any interrupted sync keeps what it
			// committed.
			jobKinds := []string{"--kind", string(kinds.DRSJob), "--kind", string(kinds.DRSJobLogItem)}
			before := exportSHA(t, dir, jobKinds...)
			emu.Advance(24 * time.Hour)
			emu.SetFaults(tc.fault)
			code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL())
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if !strings.Contains(stderr, "DescribeJobs") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("stderr is not one line naming DescribeJobs: %q", stderr)
			}
			if after := exportSHA(t, dir, jobKinds...); after != before {
				t.Errorf("jobs or job logs changed: records %s before, %s after", before, after)
			}
		})
	}
}

// exportSHA exports an archive and returns its records hash.
func exportSHA(t *testing.T, dir string, kindArgs ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "e.json")
	if code, _, stderr := runCLI(t, append([]string{"--archive", dir, "export", "--out", out}, kindArgs...)...); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	return readExport(t, out).Manifest.RecordsSHA256
}

// TestIndexHealsAndRebuilds: a sync whose index update never happened (as
// after a crash between the archive commit and the index batch) leaves verify
// reporting the difference; the next sync heals it. A lost index is
// rebuilt by reindex.
func TestIndexHealsAndRebuilds(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 41, InProgress: 2})
	dir := archivetest.Dir(t)
	sync := func(args ...string) {
		t.Helper()
		if code, _, stderr := runCLI(t, append([]string{"--archive", dir, "sync", "--endpoint-url", emu.URL()}, args...)...); code != 0 {
			t.Fatalf("sync: %s", stderr)
		}
	}
	verify := func() (int, string) {
		code, stdout, stderr := runCLI(t, "--archive", dir, "verify")
		return code, stdout + stderr
	}
	sync()
	if code, out := verify(); code != 0 || !strings.Contains(out, "full-text index matches") {
		t.Fatalf("verify after sync: exit %d: %s", code, out)
	}
	emu.Advance(24 * time.Hour)
	sync("--no-index")
	code, out := verify()
	if code != 0 || !strings.Contains(out, "not indexed yet") {
		t.Errorf("verify with the index behind: exit %d: %s", code, out)
	}
	sync()
	if code, out := verify(); code != 0 {
		t.Errorf("verify after the healing sync: exit %d: %s", code, out)
	}

	cur, err := os.ReadFile(filepath.Join(dir, "index.current"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, strings.TrimSpace(string(cur)))); err != nil {
		t.Fatal(err)
	}
	if code, out := verify(); code != 1 {
		t.Errorf("verify with the index gone: exit %d: %s", code, out)
	}
	if code, stdout, stderr := runCLI(t, "--archive", dir, "reindex"); code != 0 || !strings.Contains(stdout, "records indexed") {
		t.Fatalf("reindex: exit %d: %s %s", code, stdout, stderr)
	}
	if code, out := verify(); code != 0 {
		t.Errorf("verify after reindex: exit %d: %s", code, out)
	}
}

// TestQueryUsageErrors: bad input to every query flag exits 2 with one line
// on stderr naming the problem.
func TestQueryUsageErrors(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 5})
	dir := archivetest.Dir(t)
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL()); code != 0 {
		t.Fatalf("sync: %s", stderr)
	}
	_, _, stderr := runCLI(t, "--archive", dir, "query", "--kind", "drs.job", "--max-items", "1", "--output", "json")
	token := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(stderr), "NextToken:"))
	if token == "" || strings.Contains(token, " ") {
		t.Fatalf("no NextToken on stderr: %q", stderr)
	}
	notArchive := filepath.Join(t.TempDir(), "file")
	os.WriteFile(filepath.Join(filepath.Dir(notArchive), "archive.db"), []byte("not a bbolt file, just text, long enough to be read as one"), 0o600)
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"bad date", []string{"--from", "soon"}, `--from "soon"`},
		{"bad to", []string{"--to", "2026-02-30"}, `--to "2026-02-30"`},
		{"from after to", []string{"--from", "2026-03-02", "--to", "2026-03-01"}, "is after --to"},
		{"bad job ID", []string{"--job-id", "drsjob-123"}, `--job-id "drsjob-123": not a job ID (want a DRS job (drsjob-…), Snowball job (JID…) or SMS replication job (sms-job-…) ID)`},
		{"bad server ID", []string{"--source-server", "s-1"}, "not a source server ID"},
		{"bad kind", []string{"--kind", "drs.jobs"}, `unknown kind "drs.jobs"`},
		{"bad event", []string{"--event", "launch failed"}, "--event"},
		{"bad text", []string{"--text", "foo^bar"}, "bad --text query"},
		{"text: bad regexp", []string{"--text", "/[/"}, `bad --text query "/[/": regexp /[/: missing closing ]`},
		{"text: regexp the index refuses", []string{"--text", "/(a+)+$/"}, "zero width assertions not allowed"},
		{"text: field with a group", []string{"--text", "status:("}, "a field applies to one word"},
		{"text: unknown field", []string{"--text", "ec2:RunInstances"}, `unknown field "ec2" (fields: jobID, serverID, instanceID, event, status, type, initiatedBy, replicationState, text`},
		{"text: AND with nothing after it", []string{"--text", "event:LAUNCH_FAILED AND"}, "AND needs a term after it"},
		{"event typo", []string{"--event", "LAUNCH_FAILD"}, `--event "LAUNCH_FAILD": no such event; did you mean LAUNCH_FAILED?`},
		{"status typo", []string{"--status", "COMPLETD"}, `--status "COMPLETD": no such status; did you mean COMPLETED?`},
		{"bad output", []string{"--output", "yaml"}, "--output"},
		{"bad max items", []string{"--max-items", "-1"}, "--max-items"},
		{"garbled token", []string{"--starting-token", "%%%"}, "not one this archiver made"},
		{"foreign token", []string{"--kind", "drs.jobLogItem", "--starting-token", token}, "different query"},
		{"not an archive", []string{"--archive", filepath.Dir(notArchive), "query"}, "not an archiver archive"},
		{"no archive", []string{"--archive", t.TempDir(), "query"}, "no archive here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--archive", dir, "query"}, tt.args...)
			if tt.args[0] == "--archive" {
				args = tt.args
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.msg) {
				t.Errorf("stderr %q: want one line saying %q", stderr, tt.msg)
			}
			if stdout != "" {
				t.Errorf("stdout not empty: %q", stdout)
			}
		})
	}
	// The same token, with the same filters, continues.
	if code, stdout, stderr := runCLI(t, "--archive", dir, "query", "--kind", "drs.job", "--starting-token", token, "--output", "jsonl"); code != 0 || stdout == "" {
		t.Errorf("continuing with the token: exit %d, %d bytes out: %s", code, len(stdout), stderr)
	}
}

// TestQueryDuringSync: a query started while a sync runs against a slow
// endpoint answers, from what that sync has committed, well before the sync
// ends.
func TestQueryDuringSync(t *testing.T) {
	env := hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 47, Jobs: 80, LogItemsPerJob: 30})
	emu.SetFaults(emulator.Faults{Latency: 40 * time.Millisecond})
	dir := archivetest.Dir(t)
	cmd := exec.Command(os.Args[0], "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--page-size", "10", "--concurrency", "2")
	cmd.Env = append(os.Environ(), append(env, "ARCHIVER_TEST_MAIN=1")...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { cmd.Process.Kill(); <-exited }()
	// Wait for the first commit.
	for logItemCount(t, dir) == 0 {
		select {
		case err := <-exited:
			t.Fatalf("sync ended early: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	start := time.Now()
	code, stdout, stderr := runCLI(t, "--archive", dir, "query", "--kind", "drs.jobLogItem", "--text", "event:JOB_START OR event:LAUNCH_START", "--output", "jsonl")
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("query during sync: exit %d: %s", code, stderr)
	}
	select {
	case <-exited:
		t.Fatal("the sync ended before the query did; the test proves nothing")
	default:
	}
	if took > 2*time.Second {
		t.Errorf("query during sync took %s, want an answer within 2s", took)
	}
	if strings.Count(stdout, "\n") == 0 {
		t.Errorf("query during sync found nothing of what was committed")
	}
}

// TestExportFilters: export with filters holds exactly what query lists,
// and says which filters in its manifest.
func TestExportFilters(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 53})
	dir := archivetest.Dir(t)
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL()); code != 0 {
		t.Fatalf("sync: %s", stderr)
	}
	code, stdout, stderr := runCLI(t, "--archive", dir, "query", "--event", "launch_failed", "--output", "jsonl")
	if code != 0 {
		t.Fatalf("query: %s", stderr)
	}
	want := strings.Count(stdout, "\n")
	if want == 0 {
		t.Fatal("no LAUNCH_FAILED in the history; the test proves nothing")
	}
	out := filepath.Join(t.TempDir(), "e.json")
	if code, _, stderr := runCLI(t, "--archive", dir, "export", "--out", out, "--event", "LAUNCH_FAILED"); code != 0 {
		t.Fatalf("export: %s", stderr)
	}
	doc := readExport(t, out)
	if doc.Manifest.Records != want || doc.Manifest.Counts["drs.jobLogItem"] != want {
		t.Errorf("filtered export has %d records (%v), query lists %d", doc.Manifest.Records, doc.Manifest.Counts, want)
	}
	b, _ := os.ReadFile(out)
	var raw struct {
		Manifest struct {
			Filters map[string]any `json:"filters"`
		} `json:"manifest"`
	}
	json.Unmarshal(b, &raw)
	if fmt.Sprint(raw.Manifest.Filters["event"]) != "[LAUNCH_FAILED]" {
		t.Errorf("manifest filters = %v", raw.Manifest.Filters)
	}
	for _, r := range doc.Records {
		if !strings.Contains(string(r.Data), `"LAUNCH_FAILED"`) {
			t.Errorf("exported record is no LAUNCH_FAILED: %.120s", r.Data)
		}
	}
}

// TestIndexHealsOnNextOpen: after a crash between the archive commit and the
// index batch, the next sync's first step catches the index up, even when
// that sync then fails.
func TestIndexHealsOnNextOpen(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 59})
	dir := archivetest.Dir(t)
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL()); code != 0 {
		t.Fatalf("sync: %s", stderr)
	}
	emu.Advance(24 * time.Hour)
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--no-index"); code != 0 {
		t.Fatalf("sync --no-index: %s", stderr)
	}
	if _, stdout, _ := runCLI(t, "--archive", dir, "verify"); !strings.Contains(stdout, "not indexed yet") {
		t.Fatalf("verify does not see the index behind; the test proves nothing: %s", stdout)
	}
	emu.SetFaults(emulator.Faults{Malformed: map[string]bool{emulator.OpDescribeJobs: true}})
	if code, _, _ := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL()); code != 1 {
		t.Fatalf("sync against a malformed answer: exit %d, want 1", code)
	}
	if code, stdout, stderr := runCLI(t, "--archive", dir, "verify"); code != 0 || strings.Contains(stdout, "not indexed yet") {
		t.Errorf("verify after the next open: exit %d: %s %s", code, stdout, stderr)
	}
}
