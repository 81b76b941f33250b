package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive/synclock"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// currentIndex returns the path of the index directory in use.
func currentIndex(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "index.current"))
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, strings.TrimSpace(string(b)))
}

// TestSyncHealsDamagedIndex: a sync, an import or a reindex over an index
// whose files are damaged rebuilds it, says so in one line on stderr and
// exits 0; verify then finds the index matching the archive.
func TestSyncHealsDamagedIndex(t *testing.T) {
	hermeticEnv(t)
	tests := []struct {
		name   string
		damage func(t *testing.T, ix string)
	}{
		{"segment cut short", func(t *testing.T, ix string) {
			segs, _ := filepath.Glob(filepath.Join(ix, "store", "*.zap"))
			if len(segs) == 0 {
				t.Fatal("no segment files: the test proves nothing")
			}
			for _, s := range segs {
				if err := os.Truncate(s, 100); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"garbage in index_meta.json", func(t *testing.T, ix string) {
			if err := os.WriteFile(filepath.Join(ix, "index_meta.json"), []byte("not json"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		for _, writer := range []string{"sync", "import", "reindex"} {
			t.Run(tc.name+" "+writer, func(t *testing.T) {
				emu := archivetest.Emulator(t, emulator.Options{Seed: 73})
				dir := archivetest.Dir(t)
				if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL()); code != 0 {
					t.Fatalf("sync: %s", stderr)
				}
				tc.damage(t, currentIndex(t, dir))
				if code, _, _ := runCLI(t, "--archive", dir, "verify"); code != 1 {
					t.Fatalf("verify over the damaged index: exit %d, want 1: the test proves nothing", code)
				}
				args := []string{"sync", "--endpoint-url", emu.URL()}
				switch writer {
				case "import":
					args = []string{"import", importableJobs(t)}
				case "reindex":
					args = []string{"reindex"}
				}
				code, _, stderr := runCLI(t, append([]string{"--archive", dir}, args...)...)
				if code != 0 {
					t.Fatalf("%s: exit %d: %s", writer, code, stderr)
				}
				if strings.Count(stderr, "rebuilding") != 1 || strings.Count(stderr, "\n") != 1 {
					t.Errorf("%s said %q; want one line saying it rebuilds the index", writer, stderr)
				}
				if code, stdout, stderr := runCLI(t, "--archive", dir, "verify"); code != 0 || !strings.Contains(stdout, "full-text index matches") {
					t.Errorf("verify after the %s: exit %d: %s %s", writer, code, stdout, stderr)
				}
			})
		}
	}
}

// TestLeftoverIndexesRemoved: the index directories a killed reindex left
// behind are removed by the next reindex and by the next sync, and one
// being built while its builder holds the sync lock is left alone.
func TestLeftoverIndexesRemoved(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 79})
	dir := archivetest.Dir(t)
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL()); code != 0 {
		t.Fatalf("sync: %s", stderr)
	}
	// leave makes a copy of the index in use under another name, as a
	// rebuild killed before its switch leaves one.
	leave := func(name string) string {
		t.Helper()
		return copyTree(t, currentIndex(t, dir), filepath.Join(dir, name))
	}
	gone := func(what, p string) {
		t.Helper()
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("after %s, %s is still there (%v)", what, filepath.Base(p), err)
		}
	}
	for _, args := range [][]string{{"reindex"}, {"sync", "--endpoint-url", emu.URL()}} {
		left := leave("index-0123456789ab.bleve")
		if code, _, stderr := runCLI(t, append([]string{"--archive", dir}, args...)...); code != 0 {
			t.Fatalf("%s: exit %d: %s", args[0], code, stderr)
		}
		gone(args[0], left)
		if _, err := os.Stat(currentIndex(t, dir)); err != nil {
			t.Errorf("after %s the index in use is gone: %v", args[0], err)
		}
	}

	// A builder holding the sync lock (as reindex does) keeps its
	// directory: a sync meanwhile waits for the lock and removes nothing.
	lock, err := synclock.Take(dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	building := leave("index-ba9876543210.bleve")
	code, _, _ := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--lock-timeout", (200 * time.Millisecond).String())
	lock.Unlock()
	if code == 0 {
		t.Fatal("sync ran beside the lock holder: the test proves nothing")
	}
	if _, err := os.Stat(building); err != nil {
		t.Errorf("the directory being built was removed: %v", err)
	}
}
