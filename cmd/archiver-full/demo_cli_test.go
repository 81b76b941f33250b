package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// TestDemoNeverTouchesARealArchive runs 'archiver demo' the ways a user
// would: without an archive it uses a new temporary directory and says how
// to remove it; given a real archive, by flag or environment, it refuses
// with exit status 2 and leaves it as it was; given a previous demo's
// archive, it runs again.
func TestDemoNeverTouchesARealArchive(t *testing.T) {
	hermeticEnv(t)
	tmp, data := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("XDG_DATA_HOME", data) // the default archive directory's parent
	t.Setenv("ARCHIVER_ARCHIVE", "")
	os.Unsetenv("ARCHIVER_ARCHIVE")

	real := archivetest.Dir(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 4})
	if code, _, stderr := runCLI(t, "--archive", real, "sync", "--endpoint-url", emu.URL()); code != 0 {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}
	if len(emu.Jobs()) == 0 {
		t.Fatal("the emulated history has no jobs")
	}
	realHash := archivetest.ContentHash(t, real)

	t.Run("no archive given", func(t *testing.T) {
		for _, env := range []string{"unset", "empty"} {
			if env == "empty" {
				t.Setenv("ARCHIVER_ARCHIVE", "")
			}
			code, stdout, stderr := runCLI(t, "demo")
			if code != 0 {
				t.Fatalf("%s: demo: exit %d: %s", env, code, stderr)
			}
			m := regexp.MustCompile(`(?m)^archive: (.+) \(a new temporary directory\)$`).FindStringSubmatch(stdout)
			if m == nil {
				t.Fatalf("%s: demo does not say where its archive is:\n%s", env, stdout)
			}
			dir := m[1]
			if filepath.Dir(dir) != filepath.Clean(tmp) {
				t.Errorf("%s: demo archive %s is not a new directory in TMPDIR %s", env, dir, tmp)
			}
			if !strings.Contains(stdout, "\n  rm -rf "+dir+"\n") {
				t.Errorf("%s: demo does not say how to remove %s:\n%s", env, dir, stdout)
			}
			if _, err := os.Stat(filepath.Join(dir, archive.FileName)); err != nil {
				t.Errorf("%s: no demo archive in %s: %v", env, dir, err)
			}
		}
		if ents, _ := os.ReadDir(data); len(ents) != 0 {
			t.Errorf("the demo wrote into the default archive directory: %v", ents)
		}
	})

	t.Run("real archive", func(t *testing.T) {
		for _, how := range []string{"flag", "environment"} {
			args := []string{"--archive", real, "demo"}
			if how == "environment" {
				t.Setenv("ARCHIVER_ARCHIVE", real)
				args = []string{"demo"}
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != 2 || stdout != "" {
				t.Errorf("%s: exit %d, stdout %q; want 2 and nothing", how, code, stdout)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, real) || !strings.Contains(stderr, "did not write") {
				t.Errorf("%s: stderr %q, want one line naming %s", how, stderr, real)
			}
			if archivetest.ContentHash(t, real) != realHash {
				t.Fatalf("%s: the demo changed the real archive", how)
			}
		}
	})

	t.Run("previous demo", func(t *testing.T) {
		t.Setenv("ARCHIVER_ARCHIVE", "")
		dir := filepath.Join(t.TempDir(), "demo-archive")
		for i := range 2 {
			if code, _, stderr := runCLI(t, "--archive", dir, "demo"); code != 0 {
				t.Fatalf("demo run %d: exit %d: %s", i+1, code, stderr)
			}
		}
	})
}
