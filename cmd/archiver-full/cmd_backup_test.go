package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// TestBackupDuringSync takes a backup while a sync runs against a slow
// endpoint, and checks the copy: bbolt's check passes, it is an archive
// verify accepts, it holds part of the history (so it was taken mid-sync),
// and a sync resumed from it ends with exactly what the uninterrupted sync
// archived.
func TestBackupDuringSync(t *testing.T) {
	env := hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 83, Jobs: 80, LogItemsPerJob: 30})
	emu.SetFaults(emulator.Faults{Latency: 20 * time.Millisecond})
	dir := archivetest.Dir(t)
	cmd := exec.Command(os.Args[0], "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--page-size", "10", "--concurrency", "2", "--quiet")
	cmd.Env = append(os.Environ(), append(env, "ARCHIVER_TEST_MAIN=1")...)
	var syncErr bytes.Buffer
	cmd.Stderr = &syncErr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { cmd.Process.Kill() }()
	for logItemCount(t, dir) == 0 {
		select {
		case err := <-exited:
			t.Fatalf("sync ended before its first commit: %v: %s", err, syncErr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}

	copyDir := filepath.Join(t.TempDir(), "restored")
	if err := os.Mkdir(copyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(copyDir, archive.FileName)
	code, stdout, stderr := runCLI(t, "--archive", dir, "backup", "--out", out)
	if code != 0 || !strings.Contains(stdout, "checked") {
		t.Fatalf("backup during sync: exit %d: %s %s", code, stdout, stderr)
	}
	select {
	case err := <-exited:
		t.Fatalf("the sync ended (%v) before the backup did; the test proves nothing", err)
	default:
	}
	if err := <-exited; err != nil {
		t.Fatalf("sync with a backup beside it: %v: %s", err, syncErr.String())
	}

	if err := archive.CheckFile(out); err != nil {
		t.Errorf("the copy fails its check: %v", err)
	}
	archivetest.Check(t, copyDir)
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("copy: %v, mode %v; want 0600", err, fi)
	}
	noTemps(t, copyDir)
	copied, final := logItemCount(t, copyDir), logItemCount(t, dir)
	if copied == 0 || copied >= final {
		t.Errorf("the copy holds %d of %d log items; want part of them, as of a moment mid-sync", copied, final)
	}
	if code, stdout, stderr := runCLI(t, "--archive", copyDir, "verify"); code != 0 {
		t.Errorf("verify of the copy: exit %d: %s %s", code, stdout, stderr)
	}

	emu.SetFaults(emulator.Faults{})
	if code, _, stderr := runCLI(t, "--archive", copyDir, "sync", "--endpoint-url", emu.URL(), "--quiet"); code != 0 {
		t.Fatalf("sync resumed from the copy: %s", stderr)
	}
	a, b := exportRecords(t, dir), exportRecords(t, copyDir)
	if len(a) != len(b) {
		t.Fatalf("resumed from the copy: %d record objects, the sync that ran on: %d", len(b), len(a))
	}
	for k, n := range a {
		if b[k] != n {
			t.Errorf("record %.100s: %d copies resumed from the backup, %d in the original", k, b[k], n)
		}
	}
}

// TestBackupRefuses: backup never overwrites what it was not told to, never
// leaves a partial file, and says why in one line.
func TestBackupRefuses(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 89})
	dir := archivetest.Dir(t)
	syncCLI(t, dir, emu.URL())
	tests := []struct {
		name  string
		setup func(out string) // prepares the place of the backup
		args  []string         // after --out FILE
		code  int
		msg   string
		// kept: FILE must hold what setup put there.
		kept bool
	}{
		{"new file", nil, nil, 0, "", false},
		{"existing file", writeJunk, nil, 1, "file exists (pass --force to replace it)", true},
		{"existing file, forced", writeJunk, []string{"--force"}, 0, "", false},
		{"a directory", func(out string) { os.Mkdir(out, 0o700) }, []string{"--force"}, 2, "is a directory", false},
		{"no such directory", func(out string) { os.RemoveAll(filepath.Dir(out)) }, nil, 2, "does not exist", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "backup.db")
			if tt.setup != nil {
				tt.setup(out)
			}
			before, _ := os.ReadFile(out)
			code, stdout, stderr := runCLI(t, append([]string{"--archive", dir, "backup", "--out", out}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, stderr)
			}
			if code != 0 {
				if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.msg) || stdout != "" {
					t.Errorf("stderr %q, stdout %q: want one line saying %q", stderr, stdout, tt.msg)
				}
				after, _ := os.ReadFile(out)
				if tt.kept && !bytes.Equal(before, after) {
					t.Errorf("%s changed", out)
				}
				if fi, err := os.Lstat(out); !tt.kept && err == nil && fi.Mode().IsRegular() {
					t.Errorf("a failed backup left %s", out)
				}
				noTemps(t, filepath.Dir(out))
				return
			}
			if err := archive.CheckFile(out); err != nil {
				t.Errorf("the copy fails its check: %v", err)
			}
			if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
				t.Errorf("copy mode %v, want 0600", fi.Mode().Perm())
			}
			noTemps(t, filepath.Dir(out))
		})
	}

	// Not over the archive itself, forced or not; not without --out.
	self := filepath.Join(dir, archive.FileName)
	if code, _, stderr := runCLI(t, "--archive", dir, "backup", "--out", self, "--force"); code != 1 || !strings.Contains(stderr, "that is the archive itself") {
		t.Errorf("backup over the archive: exit %d: %s", code, stderr)
	}
	archivetest.Check(t, dir)
	if code, _, stderr := runCLI(t, "--archive", dir, "backup"); code != 2 || !strings.Contains(stderr, "--out FILE is required") {
		t.Errorf("backup without --out: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "--archive", dir, "backup", "--out", "-"); code != 2 || !strings.Contains(stderr, "not stdout") {
		t.Errorf("backup to stdout: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "--archive", t.TempDir(), "backup", "--out", filepath.Join(t.TempDir(), "b.db")); code != 2 || !strings.Contains(stderr, "no archive here") {
		t.Errorf("backup of no archive: exit %d: %s", code, stderr)
	}
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("the archive after the refused backups: %v", err)
	}
	st.Close()
}

// writeJunk writes a file with mode 0644 that is no archive.
func writeJunk(path string) {
	os.WriteFile(path, []byte("not a backup\n"), 0o644)
}

// TestOpsHelpTeaches: the help of status and backup, and of sync's
// metrics, teaches with examples and lists the exit statuses.
func TestOpsHelpTeaches(t *testing.T) {
	tests := []struct {
		cmd  string
		want []string
	}{
		{"status", []string{"EXAMPLES:", "archiver help exit-codes", "archiver status --output json", "index"}},
		{"backup", []string{"EXAMPLES:", "archiver help exit-codes", "archiver backup --out", "--force", "reindex"}},
		{"sync", []string{"--metrics-file", "archiver_sync_last_success_timestamp_seconds", "0644"}},
		{"import", []string{"--lock-timeout"}},
	}
	for _, tt := range tests {
		code, stdout, _ := runCLI(t, tt.cmd, "--help")
		if code != 0 {
			t.Errorf("%s --help: exit %d", tt.cmd, code)
		}
		for _, w := range tt.want {
			if !strings.Contains(stdout, w) {
				t.Errorf("%s --help lacks %q", tt.cmd, w)
			}
		}
	}
}
