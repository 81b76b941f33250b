package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/synclock"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// TestLockTimeoutMessages: every command that opens the archive gives up
// after --lock-timeout with exit status 1 and one line saying who holds the
// archive: a running sync, by its start time and pid, or else another
// archiver process.
func TestLockTimeoutMessages(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 79})
	dir := archivetest.Dir(t)
	syncCLI(t, dir, emu.URL())
	jobs := filepath.Join(t.TempDir(), "jobs.json")
	if err := os.WriteFile(jobs, []byte(`{"items": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	commands := []struct {
		name string
		args []string
		// syncLock: the command takes the sync lock itself, so it is not
		// run beside a running sync (a second sync is refused at once).
		syncLock bool
	}{
		{"status", []string{"status"}, false},
		{"query", []string{"query", "--kind", "drs.job", "--output", "jsonl"}, false},
		{"query text", []string{"query", "--text", "LAUNCH_FAILED", "--output", "jsonl"}, false},
		{"export", []string{"export", "--out", filepath.Join(out, "e.json")}, false},
		{"verify", []string{"verify"}, false},
		{"backup", []string{"backup", "--out", filepath.Join(out, "b.db")}, false},
		{"reindex", []string{"reindex"}, false},
		{"import", []string{"import", jobs}, false},
		{"sync", []string{"sync", "--endpoint-url", emu.URL()}, true},
	}
	check := func(t *testing.T, args []string, want string) {
		t.Helper()
		// The flag goes before any file argument, which ends the flags.
		full := append([]string{"--archive", dir, args[0], "--lock-timeout", "50ms"}, args[1:]...)
		code, stdout, stderr := runCLI(t, full...)
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		if stderr != want {
			t.Errorf("stderr %q, want %q", stderr, want)
		}
		if stdout != "" {
			t.Errorf("stdout not empty: %q", stdout)
		}
	}

	// Another process holds the archive file; no sync runs.
	held, err := archive.Open(context.Background(), dir, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commands {
		t.Run("other/"+c.name, func(t *testing.T) {
			check(t, c.args, "archiver: archive busy: another archiver process holds it\n")
		})
	}

	held.Close()

	// Another process holds the full-text index.
	x, err := index.Open(dir, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status"}} {
		t.Run("index/"+args[0], func(t *testing.T) {
			check(t, args, "archiver: archive busy: another archiver process holds it\n")
		})
	}
	// A query does not wait for the index: it searches the archive, says
	// so, and answers what the index would.
	t.Run("index/query", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "--archive", dir, "query", "--lock-timeout", "50ms", "--text", "event:LAUNCH_FAILED", "--output", "jsonl")
		want := 0
		for _, id := range emu.JobIDs() {
			for _, li := range emu.JobLog(id) {
				if bytes.Contains(li, []byte(`"event":"LAUNCH_FAILED"`)) {
					want++
				}
			}
		}
		if want == 0 {
			t.Fatal("no LAUNCH_FAILED log item in the history: the test proves nothing")
		}
		if code != 0 || strings.Count(stdout, "\n") != want {
			t.Errorf("exit %d, %d records; want 0 and %d (stderr %q)", code, strings.Count(stdout, "\n"), want, stderr)
		}
		if !strings.Contains(stderr, "updating the full-text index") {
			t.Errorf("stderr %q does not say why the query searched the archive", stderr)
		}
	})
	x.Close()

	// A sync runs, waiting for the archive file; everything else waits
	// for it.
	if held, err = archive.Open(context.Background(), dir, archive.Options{}); err != nil {
		t.Fatal(err)
	}
	var syncOut, syncErr bytes.Buffer
	syncDone := make(chan int, 1)
	go func() {
		syncDone <- run(context.Background(), []string{"archiver", "--archive", dir, "sync", "--endpoint-url", emu.URL()}, &syncOut, &syncErr)
	}()
	var holder synclock.Holder
	for {
		var ok bool
		if holder, ok = synclock.Running(dir); ok {
			break
		}
		select {
		case code := <-syncDone:
			t.Fatalf("the sync ended (exit %d) before it held the archive: %s", code, syncErr.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	if holder.PID != os.Getpid() {
		t.Fatalf("sync lock names pid %d, the sync runs in %d", holder.PID, os.Getpid())
	}
	want := fmt.Sprintf("archiver: archive busy: sync running since %s (pid %d)\n", holder.Since.UTC().Format(time.RFC3339), holder.PID)
	for _, c := range commands {
		if c.syncLock {
			continue
		}
		t.Run("sync/"+c.name, func(t *testing.T) { check(t, c.args, want) })
	}
	select {
	case code := <-syncDone:
		t.Fatalf("the sync ended (exit %d) while the archive was held; the test proves nothing: %s", code, syncErr.String())
	default:
	}
	held.Close()
	if code := <-syncDone; code != 0 {
		t.Errorf("the sync, once the archive was free: exit %d: %s", code, syncErr.String())
	}
	if _, ok := synclock.Running(dir); ok {
		t.Error("the sync lock still names a running sync after the sync ended")
	}
}
