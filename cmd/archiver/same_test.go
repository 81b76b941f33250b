package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// buildBoth builds both executables, as the README's install line does,
// into a directory of their own, and returns it.
func buildBoth(t *testing.T) string {
	t.Helper()
	return goBuild(t, "./cmd/...")
}

// goBuild runs go build with args and -o a new directory, which it
// returns.
func goBuild(t *testing.T, args ...string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	dir := t.TempDir()
	build := exec.Command(goBin, append([]string{"build", "-o", dir + string(filepath.Separator)}, args...)...)
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	return dir
}

// result is what a command line printed and its exit status.
type result struct {
	stdout, stderr string
	code           int
}

// runBin runs the executable bin on args with env.
func runBin(t *testing.T, bin string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %q: %v", bin, args, err)
	}
	return result{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
}

// startReading starts the executable bin on args with env and reads the
// first bytes of its stdout, so that it is known to be writing; the rest
// is left in out.
func startReading(t *testing.T, bin string, env []string, args ...string) (cmd *exec.Cmd, out io.ReadCloser, first []byte, stderr *bytes.Buffer) {
	t.Helper()
	cmd = exec.Command(bin, args...)
	cmd.Env = env
	stderr = &bytes.Buffer{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first = make([]byte, 10)
	if _, err := io.ReadFull(out, first); err != nil {
		t.Fatalf("%s %q: %v", filepath.Base(bin), args, err)
	}
	return cmd, out, first, stderr
}

// TestSameAsFull runs a table of command lines on an emulated history
// through archiver and through archiver-full directly: stdout, stderr and
// exit status are the same, and archiver answers the lines it should
// itself (a copy of it with no archiver-full beside it answers them too).
func TestSameAsFull(t *testing.T) {
	bin := buildBoth(t)
	small, full := filepath.Join(bin, "archiver"), filepath.Join(bin, "archiver-full")
	alone := filepath.Join(t.TempDir(), "archiver")
	b, err := os.ReadFile(small)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(alone, b, 0o755); err != nil {
		t.Fatal(err)
	}

	home := t.TempDir()
	empty := filepath.Join(home, "empty")
	os.WriteFile(empty, nil, 0o600)
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, "config"),
		"AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_CONFIG_FILE=" + empty,
		"AWS_SHARED_CREDENTIALS_FILE=" + empty, "AWS_EC2_METADATA_DISABLED=true",
	}
	emu := archivetest.Emulator(t, emulator.Options{Seed: 17, Jobs: 30, LogItemsPerJob: 30, Servers: 4, SnowballClusters: 1, SnowballJobsPerCluster: 2, SMSJobs: 2})
	dir := filepath.Join(t.TempDir(), "archive")
	sync := func() {
		if r := runBin(t, small, env, "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--region", emu.Region(), "--quiet"); r.code != 0 {
			t.Fatalf("sync through archiver: %+v", r)
		}
	}
	sync()
	jobs := emu.JobIDs()
	if err := emu.DeleteJob(jobs[len(jobs)-1]); err != nil {
		t.Fatal(err)
	}
	emu.Advance(2 * time.Hour)
	sync()
	var server struct{ SourceServerID string }
	json.Unmarshal(emu.SourceServers()[0], &server)

	writeFile := func(name, body string) string {
		p := filepath.Join(home, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cron := writeFile("cron.toml", "[sync]\nregion = [\"us-east-1\"]\nquiet = true\n[query]\nkind = [\"drs.job\"]\noutput = \"csv\"\n")
	text := writeFile("text.toml", "[query]\ntext = \"LAUNCH_FAILED\"\n")
	typo := writeFile("typo.toml", "[query]\nkinds = [\"drs.job\"]\n")

	// The token of a first page, for the second.
	first := runBin(t, full, env, "--archive", dir, "query", "--kind", "drs.jobLogItem", "--max-items", "5")
	m := regexp.MustCompile(`NextToken: (\S+)`).FindStringSubmatch(first.stderr)
	if m == nil {
		t.Fatalf("no NextToken: %+v", first)
	}
	a := []string{"--archive", dir}
	tests := []struct {
		args []string
		here bool
	}{
		{[]string{"version"}, true},
		{[]string{"--version"}, true},
		{append(a, "query", "--job-id", jobs[0]), true},
		{[]string{"query", "--job-id", jobs[1], "--archive", dir, "--output", "json"}, true},
		{append(a, "query", "--job-id", jobs[len(jobs)-1], "--output", "table"), true},
		{append(a, "query", "--id", server.SourceServerID, "--output", "csv"), true},
		{append(a, "query", "--kind", "drs.job", "--output", "table", "--wide", "--tz", "Europe/Berlin"), true},
		{append(a, "query", "--kind", "snowball.clusterJob", "--kind", "sms.replicationJob", "--region", emu.Region(), "--account", emu.Account()), true},
		{append(a, "query", "--kind", "drs.jobLogItem", "--max-items", "5"), true},
		{append(a, "query", "--kind", "drs.jobLogItem", "--max-items", "5", "--starting-token", m[1]), true},
		{append(a, "query", "--deleted"), true},
		{append(a, "query", "--from", "1y", "--captured-from", "1d", "--max-items", "20", "--output", "csv"), true},
		{append(a, "--config", cron, "query"), true},
		{[]string{"--archive", filepath.Join(home, "none"), "query", "--job-id", jobs[0]}, true},

		{nil, false},
		{[]string{"--help"}, false},
		{[]string{"help", "query"}, false},
		{append(a, "query", "--job-id", jobs[0], "-h"), false},
		{append(a, "--config", cron, "config"), false},
		{append(a, "query", "--text", "LAUNCH_FAILED"), false},
		{append(a, "query", "--event", "launch_failed", "--output", "csv"), false},
		{append(a, "query", "--source-server", server.SourceServerID), false},
		{append(a, "--config", text, "query"), false},
		{append(a, "--config", typo, "query"), false},
		{append(a, "query", "--job-id", "drsjob-1"), false},
		{append(a, "query", "--kind", "drs.job", "--bogus"), false},
		{append(a, "query", "--kind", "drs.jobLogItem", "--max-items", "5", "--starting-token", m[1], "--region", "eu-west-1"), false},
		{append(a, "query", "--from", "soon"), false},
		{[]string{"frobnicate"}, false},
	}
	answered := 0
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got := runBin(t, small, env, tt.args...)
			want := runBin(t, full, env, tt.args...)
			if got != want {
				t.Fatalf("archiver:\n%+v\narchiver-full:\n%+v", got, want)
			}
			byItself := runBin(t, alone, env, tt.args...)
			switch {
			case tt.here && byItself != want:
				t.Fatalf("archiver alone:\n%+v\nwant:\n%+v", byItself, want)
			case !tt.here && (byItself.code != 1 || !strings.Contains(byItself.stderr, "needs archiver-full")):
				t.Fatalf("archiver alone answered: %+v", byItself)
			}
			if tt.here && want.code == 0 {
				answered++
			}
		})
	}
	if answered < 10 {
		t.Errorf("%d command lines answered", answered)
	}

	// A reader that stops early: the command ends quietly with 141,
	// whether archiver answers or archiver-full does after the hand-over.
	for _, args := range [][]string{
		{"--archive", dir, "query", "--output", "json"},
		{"--archive", dir, "export", "--out", "-"},
	} {
		// More than pipes hold (64 KiB on Linux), or the command could
		// finish writing before its reader goes.
		if whole := runBin(t, full, env, args...); len(whole.stdout) < 256<<10 {
			t.Fatalf("%q: %d bytes, too few to outlast the pipe", args, len(whole.stdout))
		}
		cmd, out, _, stderr := startReading(t, small, env, args...)
		out.Close()
		cmd.Wait()
		if code := cmd.ProcessState.ExitCode(); code != 141 || stderr.Len() > 0 {
			t.Errorf("%q, its reader gone: exit %d, stderr %q", args, code, stderr.String())
		}
	}

	// An interrupt stops an answer between records, whichever executable
	// gives it: the command ends with 130 and one line on stderr, its
	// output cut short. The reader waits before it reads on, so that the
	// interrupt lands while the command still has most of the answer to
	// write (more than a pipe holds).
	if runtime.GOOS != "windows" {
		args := []string{"--archive", dir, "query", "--output", "json"}
		whole := runBin(t, full, env, args...)
		for _, bin := range []string{small, full} {
			cmd, out, got, stderr := startReading(t, bin, env, args...)
			cmd.Process.Signal(os.Interrupt)
			time.Sleep(200 * time.Millisecond)
			rest, _ := io.ReadAll(out)
			cmd.Wait()
			got = append(got, rest...)
			name := filepath.Base(bin)
			if code := cmd.ProcessState.ExitCode(); code != 130 || stderr.String() != "archiver: interrupted\n" {
				t.Errorf("%s %q, interrupted: exit %d, stderr %q", name, args, code, stderr.String())
			}
			if len(got) >= len(whole.stdout) || !strings.HasPrefix(whole.stdout, string(got)) {
				t.Errorf("%s %q, interrupted: %d bytes of the whole answer's %d, not a part of it", name, args, len(got), len(whole.stdout))
			}
		}
	}

	// archiver-full of another build refuses what archiver hands it.
	other := goBuild(t, "-ldflags=-X=main.version=v0.0.0-other", "./cmd/archiver-full")
	if err := os.WriteFile(filepath.Join(other, "archiver"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	r := runBin(t, filepath.Join(other, "archiver"), env, "--archive", dir, "status")
	if r.code != 1 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "v0.0.0-other") || !strings.Contains(r.stderr, "different builds") {
		t.Errorf("archiver beside an archiver-full of another build: %+v", r)
	}

	// One answer against the history: a job's records are the job and
	// each item of its log.
	r = runBin(t, small, env, "--archive", dir, "query", "--job-id", jobs[0])
	if got, want := strings.Count(r.stdout, "\n"), 1+len(emu.JobLog(jobs[0])); got != want || r.code != 0 {
		t.Errorf("query --job-id %s: %d records, want %d (%+v)", jobs[0], got, want, r)
	}
}
