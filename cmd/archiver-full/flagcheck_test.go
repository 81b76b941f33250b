package main

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// TestFlagsCheckedBeforeWork: every flag value that can be judged without
// the archive or the network is refused before the first API call and the
// first archive write, as a usage error (exit status 2) in one line that
// names the flag.
func TestFlagsCheckedBeforeWork(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 3, Jobs: 2, LogItemsPerJob: 2})
	dir := archivetest.Dir(t)
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--no-index"); code != 0 {
		t.Fatalf("first sync: exit %d: %s", code, stderr)
	}
	calls := func() int { return emu.Calls(emulator.OpGetCallerIdentity) + emu.Calls(emulator.OpDescribeJobs) }
	db := filepath.Join(dir, archive.FileName)
	fileSum := func() [32]byte {
		b, err := os.ReadFile(db)
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
	src := t.TempDir()
	file := filepath.Join(src, "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(src, "read-only")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	jobs := filepath.Join(src, "jobs.json")
	if err := os.WriteFile(jobs, []byte(`{"items": [{"jobID": "drsjob-0123456789abcdefA", "arn": "arn:aws:drs:eu-west-1:111122223333:job/drsjob-0123456789abcdefA"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(src, "no-such-dir")
	syncArgs := func(extra ...string) []string {
		return append([]string{"--archive", dir, "sync", "--endpoint-url", emu.URL()}, extra...)
	}
	on := func(cmd string, extra ...string) []string { return append([]string{"--archive", dir, cmd}, extra...) }
	tests := []struct {
		name string
		args []string
		msg  string // what stderr says, the flag first
		// asRoot is false for a case root is exempt from.
		notRoot bool
	}{
		{"sync negative lock timeout", syncArgs("--lock-timeout", "-1s"), "--lock-timeout must be positive (got -1s)", false},
		{"sync zero lock timeout", syncArgs("--lock-timeout", "0s"), "--lock-timeout must be positive", false},
		{"sync negative backoff", syncArgs("--max-backoff", "-5s"), "--max-backoff must be positive", false},
		{"sync zero commit interval", syncArgs("--commit-interval", "0s"), "--commit-interval must be positive", false},
		{"sync no attempts", syncArgs("--max-attempts", "0"), "--max-attempts 0: want 1 to 100", false},
		{"sync too many attempts", syncArgs("--max-attempts", "101"), "--max-attempts 101: want 1 to 100", false},
		{"sync page size 0", syncArgs("--page-size", "0"), "--page-size 0: want 1 to 1000", false},
		{"sync page size 1001", syncArgs("--page-size", "1001"), "--page-size 1001: want 1 to 1000", false},
		{"sync no concurrency", syncArgs("--concurrency", "0"), "--concurrency 0: want 1 to 32", false},
		{"sync metrics file is a directory", syncArgs("--metrics-file", src), "--metrics-file " + src + ": is a directory", false},
		{"sync metrics file in a missing directory", syncArgs("--metrics-file", filepath.Join(missing, "m.prom")), "--metrics-file " + filepath.Join(missing, "m.prom") + ": directory " + missing + " does not exist", false},
		{"sync metrics file under a file", syncArgs("--metrics-file", filepath.Join(file, "m.prom")), "--metrics-file " + filepath.Join(file, "m.prom") + ": " + file + " is not a directory", false},
		{"sync metrics directory not writable", syncArgs("--metrics-file", filepath.Join(readOnly, "m.prom")), "--metrics-file " + filepath.Join(readOnly, "m.prom") + ": directory " + readOnly + " cannot be written", true},
		{"sync endpoint not http", []string{"--archive", dir, "sync", "--endpoint-url", "ftp://example.com"}, `--endpoint-url "ftp://example.com": want an http:// or https:// URL`, false},
		{"sync endpoint without host", []string{"--archive", dir, "sync", "--endpoint-url", "http://"}, `--endpoint-url "http://": the URL names no host`, false},
		{"sync unknown profile", syncArgs("--profile", "no-such-profile"), "--profile: profile no-such-profile is in neither", false},
		{"sync bad region", syncArgs("--region", "Narnia"), `--region "Narnia"`, false},
		{"sync bad source", syncArgs("--source", "ec2"), "--source", false},
		{"sync archive is a file", []string{"--archive", file, "sync", "--endpoint-url", emu.URL()}, "--archive " + file + ": ", false},
		{"sync archive under a file", []string{"--archive", filepath.Join(file, "a"), "sync", "--endpoint-url", emu.URL()}, "--archive " + filepath.Join(file, "a") + ": ", false},
		{"import archive is a file", []string{"--archive", file, "import", jobs}, "--archive " + file + ": is a file, not an archive directory", false},
		{"import negative lock timeout", on("import", "--lock-timeout", "-1s", jobs), "--lock-timeout must be positive", false},
		{"export negative lock timeout", on("export", "--lock-timeout", "-1s", "--out", filepath.Join(src, "x.json")), "--lock-timeout must be positive", false},
		{"export out is a directory", on("export", "--out", src), "--out " + src + ": is a directory", false},
		{"export out in a missing directory", on("export", "--out", filepath.Join(missing, "x.json")), "--out " + filepath.Join(missing, "x.json") + ": directory " + missing + " does not exist", false},
		{"export S3 endpoint not http", on("export", "--out", "s3://bucket/prefix", "--endpoint-url", "bucket"), `--endpoint-url "bucket": want an http:// or https:// URL`, false},
		{"export S3 unknown profile", on("export", "--out", "s3://bucket/prefix", "--profile", "no-such-profile"), "--profile: profile no-such-profile is in neither", false},
		{"backup out is a directory", on("backup", "--out", src), "--out " + src + ": is a directory", false},
		{"backup zero lock timeout", on("backup", "--out", filepath.Join(src, "b.db"), "--lock-timeout", "0s"), "--lock-timeout must be positive", false},
		{"prune export is a directory", on("prune", "--before", "2020-01-01", "--export", src), "--export " + src + ": is a directory", false},
		{"prune negative lock timeout", on("prune", "--before", "2020-01-01", "--no-export", "--lock-timeout", "-1m"), "--lock-timeout must be positive", false},
		{"query negative lock timeout", on("query", "--lock-timeout", "-1s"), "--lock-timeout must be positive", false},
		{"verify negative lock timeout", on("verify", "--lock-timeout", "-1s"), "--lock-timeout must be positive", false},
		{"reindex negative lock timeout", on("reindex", "--lock-timeout", "-1s"), "--lock-timeout must be positive", false},
		{"status negative lock timeout", on("status", "--lock-timeout", "-1s"), "--lock-timeout must be positive", false},
		{"migrate negative lock timeout", on("migrate", "--lock-timeout", "-1s"), "--lock-timeout must be positive", false},
		{"sync checkpoint dir is a file", syncArgs("--checkpoint-dir", file), "--checkpoint-dir " + file + ": not a directory", false},
		{"import checkpoint dir is a file", on("import", "--checkpoint-dir", file, jobs), "--checkpoint-dir " + file + ": not a directory", false},
		{"sync checkpoint lock without days", syncArgs("--checkpoint-to", "s3://b/p", "--checkpoint-lock-mode", "GOVERNANCE"), "--checkpoint-lock-mode and --checkpoint-retain-days go together", false},
		{"sync checkpoint lock mode unknown", syncArgs("--checkpoint-lock-mode", "FOREVER"), `--checkpoint-lock-mode "FOREVER": want GOVERNANCE or COMPLIANCE`, false},
		{"sync checkpoint to no bucket", syncArgs("--checkpoint-to", "s3://"), "--checkpoint-to s3://: no bucket", false},
		{"sync sign key missing", syncArgs("--sign-key", filepath.Join(missing, "k.pem")), "--sign-key: ", false},
		{"verify against missing", on("verify", "--against", filepath.Join(missing, "cp")), "--against ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.notRoot && os.Geteuid() == 0 {
				t.Skip("root may write any directory")
			}
			before, beforeCalls := fileSum(), calls()
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "archiver: "+tt.msg) {
				t.Errorf("stderr %q: want one line starting %q", stderr, "archiver: "+tt.msg)
			}
			if stdout != "" {
				t.Errorf("stdout not empty: %q", stdout)
			}
			if n := calls() - beforeCalls; n != 0 {
				t.Errorf("%d API calls made before the flag was refused", n)
			}
			if fileSum() != before {
				t.Error("the archive changed before the flag was refused")
			}
		})
	}
}
