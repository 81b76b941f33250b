package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/archive/synclock"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

func options(dir string, emu *emulator.Server) archsync.Options {
	return archsync.Options{
		ArchiveDir:  dir,
		Regions:     []string{"us-east-1"},
		EndpointURL: emu.URL(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		MaxBackoff:  5 * time.Millisecond,
		MaxAttempts: 20,
		PageSize:    7, // small pages: many pages, many commits
	}
}

func runSync(t *testing.T, o archsync.Options) *archsync.Stats {
	t.Helper()
	var st archsync.Stats
	if err := archsync.Run(context.Background(), o, &st); err != nil {
		t.Fatalf("sync: %v", err)
	}
	return &st
}

// content is what an archive holds, without provenance times: the exact
// bytes of every job, log item (by job and position) and the latest snapshot
// of each source server, with the state that snapshot records.
type content struct {
	jobs      map[string]string
	logs      map[string][]string
	servers   map[string]string
	states    map[string]string
	snapshots int
}

// state is the fingerprint of a source server's state, as sync computes it.
func state(t *testing.T, raw []byte) string {
	t.Helper()
	fp, err := archsync.ServerFingerprint(raw)
	if err != nil {
		t.Fatalf("fingerprint %s: %v", raw, err)
	}
	return string(fp)
}

func readContent(t *testing.T, dir string) content {
	t.Helper()
	c := content{jobs: map[string]string{}, logs: map[string][]string{}, servers: map[string]string{}, states: map[string]string{}}
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.View(func(r *archive.Reader) error {
		if err := r.Each(kinds.DRSJob, func(rec archive.Record) error {
			if _, dup := c.jobs[rec.ID]; dup {
				return fmt.Errorf("job %s archived twice", rec.ID)
			}
			c.jobs[rec.ID] = string(rec.Data)
			return r.JobLog(archive.JobRef{JobID: rec.ID, Region: rec.Region, Account: rec.Account}, func(it archive.Record) error {
				if *it.Pos != len(c.logs[rec.ID]) {
					return fmt.Errorf("job %s: log position %d out of order", rec.ID, *it.Pos)
				}
				c.logs[rec.ID] = append(c.logs[rec.ID], string(it.Data))
				return nil
			})
		}); err != nil {
			return err
		}
		n, err := r.Count(kinds.DRSJobLogItem)
		if err != nil {
			return err
		}
		total := 0
		for _, l := range c.logs {
			total += len(l)
		}
		if n != total {
			return fmt.Errorf("%d log item records, %d reachable from jobs", n, total)
		}
		return r.Each(kinds.DRSSourceServer, func(rec archive.Record) error {
			c.servers[rec.ID] = string(rec.Data) // key order is capture order: the last wins
			c.states[rec.ID] = state(t, rec.Data)
			c.snapshots++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantContent is what a complete, correct archive of emu holds now.
func wantContent(t *testing.T, emu *emulator.Server) content {
	t.Helper()
	c := content{jobs: map[string]string{}, logs: map[string][]string{}, servers: map[string]string{}, states: map[string]string{}}
	for _, j := range emu.Jobs() {
		var h struct{ JobID string }
		json.Unmarshal(j, &h)
		c.jobs[h.JobID] = string(j)
		for _, it := range emu.JobLog(h.JobID) {
			c.logs[h.JobID] = append(c.logs[h.JobID], string(it))
		}
	}
	for _, s := range emu.SourceServers() {
		var h struct{ SourceServerID string }
		json.Unmarshal(s, &h)
		c.servers[h.SourceServerID] = string(s)
		c.states[h.SourceServerID] = state(t, s)
	}
	return c
}

func sameContent(t *testing.T, got, want content) {
	t.Helper()
	if len(got.jobs) != len(want.jobs) {
		t.Errorf("archive has %d jobs, want %d", len(got.jobs), len(want.jobs))
	}
	for id, w := range want.jobs {
		if got.jobs[id] != w {
			t.Errorf("job %s:\n got %s\nwant %s", id, got.jobs[id], w)
		}
		if strings.Join(got.logs[id], "\n") != strings.Join(want.logs[id], "\n") {
			t.Errorf("job %s: log has %d items, want %d (or differs)", id, len(got.logs[id]), len(want.logs[id]))
		}
	}
	if len(got.servers) != len(want.servers) {
		t.Errorf("archive has %d source servers, want %d", len(got.servers), len(want.servers))
	}
	// A snapshot is the server as first seen in its state: it records the
	// state the API shows now, though clocks and counters have moved on.
	for id, w := range want.states {
		if got.states[id] != w {
			t.Errorf("source server %s latest snapshot records another state:\n got %s\nnow %s", id, got.servers[id], want.servers[id])
		}
	}
}

func TestSyncVerbatim(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 7})
	dir := archivetest.Dir(t)
	runSync(t, options(dir, emu))
	got, want := readContent(t, dir), wantContent(t, emu)
	sameContent(t, got, want)
	// On a first sync every snapshot is the server exactly as listed.
	for id, w := range want.servers {
		if got.servers[id] != w {
			t.Errorf("source server %s:\n got %s\nwant %s", id, got.servers[id], w)
		}
	}
	// The history carries members no SDK models; they must be in the archive.
	unknown := 0
	for _, j := range got.jobs {
		if strings.Contains(j, "x-futureField") {
			unknown++
		}
	}
	if unknown == 0 {
		t.Error("no archived job carries the emulator's unmodelled members")
	}
}

func TestSyncIncremental(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 11, InProgress: 3})
	dir := archivetest.Dir(t)
	runSync(t, options(dir, emu))
	first := readContent(t, dir)

	// Which jobs were COMPLETED when first read: their logs are never read again.
	var done, running []string
	for id, j := range first.jobs {
		var h struct{ Status string }
		json.Unmarshal([]byte(j), &h)
		if h.Status == "COMPLETED" {
			done = append(done, id)
		} else {
			running = append(running, id)
		}
	}
	if len(running) == 0 || len(done) == 0 {
		t.Fatalf("history needs both running (%d) and completed (%d) jobs", len(running), len(done))
	}

	emu.Advance(48 * time.Hour)
	emu.ResetCounts()
	st := runSync(t, options(dir, emu))
	second := readContent(t, dir)
	sameContent(t, second, wantContent(t, emu))

	for _, id := range done {
		if n := emu.JobLogCalls(id); n != 0 {
			t.Errorf("log of job %s, completed at the first sync, was read %d more times", id, n)
		}
	}
	for _, id := range running {
		if emu.JobLogCalls(id) == 0 {
			t.Errorf("log of job %s, running at the first sync, was not read again", id)
		}
		var h struct{ Status string }
		json.Unmarshal([]byte(second.jobs[id]), &h)
		if h.Status != "COMPLETED" {
			t.Errorf("job %s is %s after the second sync, want COMPLETED", id, h.Status)
		}
	}
	if len(second.jobs) <= len(first.jobs) {
		t.Errorf("second sync archived no new jobs (%d then %d)", len(first.jobs), len(second.jobs))
	}
	if st.Added(kinds.DRSJob) != int64(len(second.jobs)-len(first.jobs)) {
		t.Errorf("stats say %d jobs added, archive grew by %d", st.Added(kinds.DRSJob), len(second.jobs)-len(first.jobs))
	}
	// Every source server changed at least its clocks; only state changes
	// may add snapshots, and some did.
	if second.snapshots <= first.snapshots {
		t.Errorf("no new source-server snapshots after state changes (%d then %d)", first.snapshots, second.snapshots)
	}
	if second.snapshots >= first.snapshots*2 {
		t.Errorf("%d snapshots after two syncs of %d servers: unchanged states were snapshotted again", second.snapshots, first.snapshots)
	}

	// A third sync with nothing new changes nothing.
	emu.ResetCounts()
	st = runSync(t, options(dir, emu))
	third := readContent(t, dir)
	if third.snapshots != second.snapshots || st.Added(kinds.DRSJob) != 0 || st.Updated(kinds.DRSJob) != 0 || st.Added(kinds.DRSJobLogItem) != 0 {
		t.Errorf("idle sync wrote: %s", st.Summary(0))
	}
	// Only the jobs still running at the second sync have their logs read.
	for id, j := range second.jobs {
		var h struct{ Status string }
		json.Unmarshal([]byte(j), &h)
		n := emu.JobLogCalls(id)
		if h.Status == "COMPLETED" && n != 0 {
			t.Errorf("idle sync read the log of completed job %s %d times", id, n)
		}
		if h.Status != "COMPLETED" && n == 0 {
			t.Errorf("idle sync did not read the log of %s job %s", h.Status, id)
		}
	}
}

func TestSyncThrottlingAndServerErrors(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 3})
	emu.SetFaults(emulator.Faults{ThrottleRate: 0.25, ServerErrorRate: 0.05})
	dir := archivetest.Dir(t)
	runSync(t, options(dir, emu))
	emu.SetFaults(emulator.Faults{})
	sameContent(t, readContent(t, dir), wantContent(t, emu))
}

func TestSyncBadBodies(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(op string) emulator.Faults
	}{
		{"truncated", func(op string) emulator.Faults { return emulator.Faults{Truncate: map[string]bool{op: true}} }},
		{"malformed", func(op string) emulator.Faults { return emulator.Faults{Malformed: map[string]bool{op: true}} }},
	} {
		for _, op := range []string{"DescribeJobs", "DescribeJobLogItems", "DescribeSourceServers"} {
			t.Run(tc.name+"/"+op, func(t *testing.T) {
				emu := archivetest.Emulator(t, emulator.Options{Seed: 5})
				dir := archivetest.Dir(t)
				runSync(t, options(dir, emu))
				before := readContent(t, dir)
				emu.Advance(24 * time.Hour)
				emu.SetFaults(tc.fault(op))
				var st archsync.Stats
				err := archsync.Run(context.Background(), options(dir, emu), &st)
				if err == nil {
					t.Fatal("sync succeeded on a bad body")
				}
				if !strings.Contains(err.Error(), op) {
					t.Errorf("error does not name %s: %v", op, err)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				after := readContent(t, dir)
				if op == "DescribeJobs" {
					// The job listing's first call failed: no job and no
					// job log may change. (The source servers' listing
					// runs beside it and may commit first, as any sync
					// stopped midway keeps what it committed.)
					after.servers, after.states, after.snapshots = before.servers, before.states, before.snapshots
					sameContent(t, after, before)
				}
				// Whatever was committed is whole, and the next sync completes it.
				emu.SetFaults(emulator.Faults{})
				runSync(t, options(dir, emu))
				sameContent(t, readContent(t, dir), wantContent(t, emu))
			})
		}
	}
}

func TestSyncRefusesSecondRun(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 1})
	emu.SetFaults(emulator.Faults{Latency: 300 * time.Millisecond})
	dir := archivetest.Dir(t)
	o := options(dir, emu)
	errc := make(chan error, 1)
	go func() {
		var st archsync.Stats
		errc <- archsync.Run(context.Background(), o, &st)
	}()
	// Wait until the first sync holds its lock, then start a second one.
	for i := 0; i < 500; i++ {
		if b, _ := os.ReadFile(filepath.Join(dir, synclock.FileName)); bytes.Contains(b, []byte("pid")) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	var st archsync.Stats
	err := archsync.Run(context.Background(), o, &st)
	if !errors.Is(err, synclock.ErrRunning) {
		t.Errorf("second sync: %v, want ErrSyncRunning", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("first sync: %v", err)
	}
}

func TestParseSources(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"drs", "drs", true},
		{"drs,sms, snowball", "drs,sms,snowball", true},
		{"DRS,drs", "drs", true},
		{"", "", false},
		{"ec2", "", false},
		{",", "", false},
	}
	for _, tt := range tests {
		got, err := archsync.ParseSources(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseSources(%q) error %v", tt.in, err)
			continue
		}
		var s []string
		for _, g := range got {
			s = append(s, string(g))
		}
		if strings.Join(s, ",") != tt.want {
			t.Errorf("ParseSources(%q) = %v, want %s", tt.in, s, tt.want)
		}
	}
}

// TestReadersDuringSync reads the archive over and over while a sync runs:
// the reads must get in between the sync's commits and see the archive grow,
// rather than wait for the sync to end.
func TestReadersDuringSync(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 9, Jobs: 60, LogItemsPerJob: 40})
	emu.SetFaults(emulator.Faults{Latency: 3 * time.Millisecond})
	dir := archivetest.Dir(t)
	o := options(dir, emu)
	o.Concurrency = 2
	done := make(chan error, 1)
	go func() {
		var st archsync.Stats
		done <- archsync.Run(context.Background(), o, &st)
	}()
	partial := map[int]bool{}
	total := emu.TotalLogItems()
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("sync: %v", err)
			}
			running = false
			continue
		case <-time.After(5 * time.Millisecond):
		}
		st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true, LockTimeout: time.Minute})
		if errors.Is(err, archive.ErrNoArchive) {
			continue // the first commit has not happened yet
		}
		if err != nil {
			t.Fatalf("read during sync: %v", err)
		}
		st.View(func(r *archive.Reader) error {
			n, err := r.Count(kinds.DRSJobLogItem)
			if err == nil && n > 0 && n < total {
				partial[n] = true
			}
			return err
		})
		st.Close()
	}
	if len(partial) < 2 {
		t.Errorf("readers saw %d intermediate states of the archive during the sync, want several: reads waited for the sync", len(partial))
	}
}

// FuzzParseSources checks that --source parsing never panics, accepts only
// known sources, each once, and always explains a refusal on one line.
func FuzzParseSources(f *testing.F) {
	for _, s := range []string{"drs", "drs,sms, snowball", "DRS,drs", "", ",", "ec2", "drs,,sms", " sms "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := archsync.ParseSources(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("ParseSources(%q): error is not one line: %q", s, err)
			}
			return
		}
		if len(got) == 0 {
			t.Fatalf("ParseSources(%q) accepted no source", s)
		}
		seen := map[archsync.Source]bool{}
		for _, src := range got {
			if src != archsync.SourceDRS && src != archsync.SourceSnowball && src != archsync.SourceSMS {
				t.Fatalf("ParseSources(%q) gave unknown source %q", s, src)
			}
			if seen[src] {
				t.Fatalf("ParseSources(%q) gave %q twice", s, src)
			}
			seen[src] = true
		}
	})
}
