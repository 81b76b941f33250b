package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

// TestSyncSummaryJSON checks 'sync --output json' against the emulator's
// history: every job and log item new on the first sync, a job deleted
// upstream counted on the second.
func TestSyncSummaryJSON(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 13, Jobs: 6, LogItemsPerJob: 4})
	dir := archivetest.Dir(t)
	jobs := emu.JobIDs()
	items := 0
	for _, id := range jobs {
		items += len(emu.JobLog(id))
	}
	if len(jobs) < 2 || items == 0 {
		t.Fatal("the emulator has no history; the test proves nothing")
	}
	syncJSON := func() archsync.RunSummary {
		t.Helper()
		code, stdout, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--output", "json")
		var sum archsync.RunSummary
		if code != cliapp.ExitOK || json.Unmarshal([]byte(stdout), &sum) != nil {
			t.Fatalf("sync --output json: exit %d: %q %q", code, stdout, stderr)
		}
		if sum.Version != archsync.SummaryVersion || len(sum.Targets) != 1 || sum.Targets[0].Region != emu.Region() {
			t.Fatalf("summary %+v", sum)
		}
		return sum
	}
	of := func(sum archsync.RunSummary, k kinds.Kind) archsync.KindSummary {
		for _, ks := range sum.Targets[0].Kinds {
			if ks.Kind == k {
				return ks
			}
		}
		return archsync.KindSummary{Kind: k}
	}
	first := syncJSON()
	if j := of(first, kinds.DRSJob); j.Listed != int64(len(jobs)) || j.Added != int64(len(jobs)) || j.DeletedUpstream != 0 {
		t.Errorf("first sync, jobs: %+v; want %d listed and added", j, len(jobs))
	}
	if li := of(first, kinds.DRSJobLogItem); li.Added != int64(items) {
		t.Errorf("first sync, log items: %+v; want %d added", li, items)
	}
	deleted := false
	for _, id := range jobs {
		if emu.DeleteJob(id) == nil {
			deleted = true
			break
		}
	}
	if !deleted {
		t.Fatal("no job of the history has ended: none can be deleted")
	}
	emu.Advance(time.Hour)
	now := emu.JobIDs()
	newJobs := 0
	for _, id := range now {
		if !slices.Contains(jobs, id) {
			newJobs++
		}
	}
	second := syncJSON()
	if j := of(second, kinds.DRSJob); j.DeletedUpstream != 1 || j.Listed != int64(len(now)) || j.Added != int64(newJobs) {
		t.Errorf("second sync, jobs: %+v; want %d listed, %d added, 1 deleted upstream", j, len(now), newJobs)
	}
	lines := second.Lines()
	if len(lines) != 1 || !containsAll(lines[0], "drs "+emu.Region(), "1 job deleted upstream") {
		t.Errorf("lines %q", lines)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
