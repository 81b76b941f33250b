package cliapp

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/buildinfo"
)

// TestMain keeps the tests, and the processes they start, from reading a
// configuration file of this machine's user.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "archiver-test-config")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	os.Unsetenv("ARCHIVER_CONFIG")
	os.Unsetenv("ARCHIVER_ARCHIVE")
	os.Unsetenv(HandOverEnv)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestWhoAnswers runs command lines through Front and checks which
// archiver answers and which it hands to archiver-full, before printing
// anything.
func TestWhoAnswers(t *testing.T) {
	dir := archivetest.Dir(t)
	archivetest.Fixture(t, dir)
	cfg := func(body string) string {
		p := filepath.Join(t.TempDir(), "config.toml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A file for every command: this executable checks it against the
	// flags of all of them.
	cron := cfg("archive = \"" + filepath.ToSlash(dir) + "\"\n[sync]\nregion = [\"us-east-1\"]\nquiet = true\n[query]\nkind = [\"drs.job\"]\n[export]\nsign-key = \"k.pem\"\n")
	text := cfg("[query]\ntext = \"capacity\"\n")
	typo := cfg("[sync]\nregoin = [\"us-east-1\"]\n")
	tests := []struct {
		args string
		here bool
	}{
		{"version", true},
		{"--archive " + dir + " query --job-id drsjob-0123456789abcdef0", true},
		{"query --job-id drsjob-0123456789abcdef0 --archive " + dir + " --output json", true},
		{"--archive " + dir + " query --id s-0123456789abcdef0 --kind drs.sourceServer", true},
		{"--archive " + dir + " query --from 2026-11 --to 2026-11 --region us-east-1 --account 111122223333", true},
		{"--archive " + dir + " query --captured-from 2026-11-20 --deleted --max-items 1", true},
		{"--config " + cron + " query", true},
		{"--config " + cron + " version", true},
		{"--archive " + filepath.Join(dir, "none") + " query --job-id drsjob-0123456789abcdef0", true},

		{"--version", true},
		{"--archive " + dir + " --version", true},
		{"", false},
		{"--version stray", false},
		{"--version --help", false},
		{"help", false},
		{"help query", false},
		{"query --help", false},
		{"--help query", false},
		{"query -h --job-id drsjob-0123456789abcdef0", false},
		{"version --help", false},
		{"sync --region us-east-1", false},
		{"--archive " + dir + " status", false},
		{"frobnicate", false},
		{"--archive " + dir + " query --text capacity", false},
		{"--archive " + dir + " query --event LAUNCH_FAILED", false},
		{"--archive " + dir + " query --status completed", false},
		{"--archive " + dir + " query --source-server s-0123456789abcdef0", false},
		{"--archive " + dir + " query --initiated-by START_DRILL", false},
		{"--archive " + dir + " query --type LAUNCH", false},
		{"--config " + text + " --archive " + dir + " query", false},
		{"--config " + typo + " query", false},
		{"--archive " + dir + " query --job-id nosuch", false},
		{"--archive " + dir + " query --bogus", false},
		{"--archive " + dir + " query --lock-timeout 0s", false},
		{"--archive " + dir + " query stray", false},
		{"version stray", false},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			args := append([]string{"archiver"}, strings.Fields(tt.args)...)
			var stdout, stderr bytes.Buffer
			var handed []string
			code := Front(context.Background(), args, buildinfo.Read(""), &stdout, &stderr, func(a []string) int {
				handed = a
				return 42
			})
			switch {
			case tt.here && handed != nil:
				t.Fatalf("handed to archiver-full")
			case tt.here && code == 42:
				t.Fatalf("exit status 42")
			case !tt.here && handed == nil:
				t.Fatalf("answered here (exit %d): %s%s", code, stdout.String(), stderr.String())
			case !tt.here && (code != 42 || stdout.Len() > 0 || stderr.Len() > 0):
				t.Fatalf("handed over after printing or with another status: %d %q %q", code, stdout.String(), stderr.String())
			case !tt.here && strings.Join(handed, " ") != strings.Join(args, " "):
				t.Fatalf("handed %q, want the arguments unchanged", handed)
			}
		})
	}
}

// TestNoFull: a command line only archiver-full answers, with no
// archiver-full beside the executable (the test binary), fails with one
// line naming it and how to install it.
func TestNoFull(t *testing.T) {
	var stderr bytes.Buffer
	code := Front(context.Background(), []string{"archiver", "sync"}, buildinfo.Read(""), &bytes.Buffer{}, &stderr, func(args []string) int {
		return HandOver(args, buildinfo.Read(""), &stderr)
	})
	msg := stderr.String()
	if code != ExitRuntime || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "needs archiver-full") || !strings.Contains(msg, "go install github.com/archiver-dev/archiver/cmd/...@") {
		t.Errorf("exit %d, stderr %q", code, msg)
	}
}
