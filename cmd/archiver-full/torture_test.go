package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// tortureSeedEnv names the variable that fixes the torture test's seed, to
// replay the kill points of an earlier run (each run prints its seed).
const tortureSeedEnv = "ARCHIVER_TORTURE_SEED"

// tortureConfig sizes one torture run.
type tortureConfig struct {
	// kills is the number of kill points.
	kills int
	// history is the emulator's history, the same for every sync.
	history emulator.Options
	// seed is used when tortureSeedEnv is not set; zero means a new seed
	// each run.
	seed uint64
	// org, when set, makes the history that of an organization: every
	// member account has history in every one of orgRegions, and sync
	// reads them all side by side (--org-role), orgArgs added.
	org        *emulator.Organization
	orgRegions []string
	orgArgs    []string
}

// TestTortureShort is the torture test at a size for every test run: ten
// kill points. The long run (go test -tags torture -run Torture) has 200.
func TestTortureShort(t *testing.T) {
	if testing.Short() {
		t.Skip("kills sync processes; skipped with -short")
	}
	torture(t, tortureConfig{
		kills:   10,
		history: emulator.Options{Seed: 71, Jobs: 60, LogItemsPerJob: 30, Servers: 10, SnowballClusters: 1, SMSJobs: 3},
		seed:    1,
	})
}

// torture kills 'archiver sync' processes with SIGKILL at random points of
// their run, each next sync going on from what the last one left, against
// an emulator that answers small pages with some latency, so that kills land
// while pages are fetched, while they are committed and while the
// full-text index is brought up to date. After every kill the archive must
// pass 'archiver verify'. At the end an uninterrupted sync and 'archiver
// verify' must leave the same records as one uninterrupted sync of the same
// history into a fresh archive: none lost, none twice.
//
// A kill point is one of two kinds, drawn from a seeded generator and
// printed with the seed:
//   - a moment of the run: a random share, early shares likelier, of the
//     time a whole sync takes (of a tenth of it per ten kill points while
//     there is history left; once it is all archived, of the time the last
//     sync that ran to its end took), which lands anywhere, startup and
//     index work included;
//   - a share of the history: once the run has archived a random number of
//     new records, a random pause of up to a few milliseconds, which lands
//     in the next fetch or the next commit. The numbers are drawn so that
//     these kills spread over the whole history.
//
// A replay with the same seed kills at the same points of the work, give
// or take the machine's speed.
func torture(t *testing.T, cfg tortureConfig) {
	env := hermeticEnv(t)
	seed := cfg.seed
	if s := os.Getenv(tortureSeedEnv); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", tortureSeedEnv, s, err)
		}
		seed = v
	} else if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("torture seed %d (replay with %s=%d)", seed, tortureSeedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, 0x746f7274757265))

	var endpoint string
	var setFaults func(emulator.Faults)
	var extra []string
	if cfg.org != nil {
		mux, servers := emulator.NewOrgMux(emulator.OrgSetup{Organization: *cfg.org, Regions: cfg.orgRegions, History: cfg.history})
		if err := mux.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(mux.Close)
		endpoint = mux.URL()
		setFaults = func(f emulator.Faults) {
			for _, s := range servers {
				s.SetFaults(f)
			}
		}
		env = append(env, "AWS_ACCESS_KEY_ID="+cfg.org.ManagementKey)
		t.Setenv("AWS_ACCESS_KEY_ID", cfg.org.ManagementKey)
		for _, r := range cfg.orgRegions {
			extra = append(extra, "--region", r)
		}
		extra = append(extra, cfg.orgArgs...)
	} else {
		emu := archivetest.Emulator(t, cfg.history)
		endpoint, setFaults = emu.URL(), emu.SetFaults
	}
	setFaults(emulator.Faults{Latency: 2 * time.Millisecond})
	syncArgs := func(dir string) []string {
		return append([]string{"--archive", dir, "sync", "--source", "drs,snowball,sms", "--endpoint-url", endpoint,
			"--page-size", "4", "--concurrency", "4", "--commit-interval", "1ms", "--quiet"}, extra...)
	}

	// The reference: one uninterrupted sync into a fresh archive, in a
	// process of its own like the ones killed. Its running time and size
	// scale the kill points.
	clean := archivetest.Dir(t)
	start := time.Now()
	if code, stderr := syncProcess(t, env, syncArgs(clean), nil); code != 0 {
		t.Fatalf("uninterrupted sync: exit %d: %s", code, stderr)
	}
	span := time.Since(start)
	want := exportRecords(t, clean)
	total := 0
	for _, n := range want {
		total += n
	}
	t.Logf("one uninterrupted sync: %d records in %s", total, span.Round(time.Millisecond))

	killed := archivetest.Dir(t)
	// midway counts the kills that cut short a run that had archived part
	// of the history, with more to come.
	var landed, midway, finished int
	for i := range cfg.kills {
		// Every kill point draws the same numbers, whichever kind it is,
		// so that the seed alone decides the sequence.
		byRecords := rng.IntN(3) > 0
		share := rng.Float64()
		records := 1 + rng.IntN(max(1, 3*total/cfg.kills))
		pause := time.Duration(rng.Float64() * float64(5*time.Millisecond))

		before, _ := recordCount(t, killed)
		var what string
		var kill <-chan time.Time
		done := make(chan struct{})
		if byRecords && before < total {
			what = fmt.Sprintf("%s after %d more records", pause.Round(10*time.Microsecond), records)
			kill = afterRecords(killed, before+records, pause, done)
		} else {
			// Early moments are likelier: startup and index catch-up are
			// short, and every run has them. While there is history left,
			// a long torture takes it a little at a time.
			window := float64(span)
			if before < total {
				window *= min(1, 10/float64(cfg.kills))
			}
			at := time.Duration(share * share * window)
			what = fmt.Sprintf("at %s", at.Round(time.Millisecond))
			kill = time.After(at)
		}
		started := time.Now()
		code, stderr := syncProcess(t, env, syncArgs(killed), kill)
		took := time.Since(started)
		close(done)
		after, exists := recordCount(t, killed)
		switch code {
		case -1:
			landed++
			if after > before && after < total {
				midway++
			}
		case 0:
			finished++
			span = took
		default:
			t.Fatalf("kill point %d (%s): sync exited %d before the kill: %s", i, what, code, stderr)
		}
		t.Logf("kill point %3d, %s: %s; %d -> %d of %d records", i, what,
			map[int]string{-1: "killed", 0: "the sync had finished"}[code], before, after, total)
		// Whatever the kill interrupted, the archive is sound, or, killed
		// before its first commit, not there yet.
		if exists {
			if code, stdout, stderr := runCLI(t, "--archive", killed, "verify"); code != 0 {
				t.Fatalf("verify after kill point %d: exit %d: %s%s", i, code, stdout, stderr)
			}
		}
	}
	t.Logf("%d kill points: %d killed a running sync (%d a sync that had archived part of the history), %d came after the sync had finished",
		cfg.kills, landed, midway, finished)
	if landed < cfg.kills/3 || midway < max(2, cfg.kills/10) {
		t.Fatalf("%d of %d kills landed in a running sync, %d in one midway through the history: the kills did not interrupt the work", landed, cfg.kills, midway)
	}

	setFaults(emulator.Faults{})
	if code, stderr := syncProcess(t, env, syncArgs(killed), nil); code != 0 {
		t.Fatalf("sync after the kills: exit %d: %s", code, stderr)
	}
	if code, stdout, stderr := runCLI(t, "--archive", killed, "verify"); code != 0 {
		t.Fatalf("verify after the kills: exit %d: %s%s", code, stdout, stderr)
	}
	got := exportRecords(t, killed)
	for k, n := range want {
		if got[k] != n {
			t.Errorf("record %.120s: %d after the kills, %d in one uninterrupted sync", k, got[k], n)
		}
	}
	for k, n := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("record %.120s: %d after the kills, none in one uninterrupted sync", k, n)
		}
	}
	if a, b := jobStates(t, clean), jobStates(t, killed); a != b {
		t.Errorf("job states after the kills:\n%s\nuninterrupted:\n%s", b, a)
	}
}

// afterRecords returns a channel that fires pause after the archive in dir
// holds n records. It watches the archive as a reader does, until done is
// closed.
func afterRecords(dir string, n int, pause time.Duration, done <-chan struct{}) <-chan time.Time {
	fire := make(chan time.Time, 1)
	go func() {
		for got, _ := countRecords(dir); got < n; got, _ = countRecords(dir) {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
		select {
		case <-done:
		case now := <-time.After(pause):
			fire <- now
		}
	}()
	return fire
}

// countRecords counts the records of every kind in the archive in dir; 0
// while there is none yet.
func countRecords(dir string) (int, error) {
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	n := 0
	err = st.View(func(r *archive.Reader) error {
		for _, k := range kinds.Names() {
			c, err := r.Count(k)
			if err != nil {
				return err
			}
			n += c
		}
		return nil
	})
	return n, err
}

// syncProcess runs the CLI in a process of its own (this test binary, as
// TestMain allows) and returns its exit status and stderr. When kill fires
// first, the process is killed with SIGKILL and the status is -1.
func syncProcess(t *testing.T, env, args []string, kill <-chan time.Time) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), append(env, "ARCHIVER_TEST_MAIN=1")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var err error
	select {
	case err = <-exited:
	case <-kill:
		cmd.Process.Signal(syscall.SIGKILL)
		err = <-exited
	case <-time.After(5 * time.Minute):
		cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		t.Fatalf("sync still running after 5 minutes: %s", stderr.String())
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return -1, stderr.String()
		}
		return ee.ExitCode(), stderr.String()
	default:
		t.Fatal(err)
		return 0, ""
	}
}

// recordCount returns the number of records in the archive in dir, and
// whether there is an archive there yet.
func recordCount(t *testing.T, dir string) (int, bool) {
	t.Helper()
	n, err := countRecords(dir)
	if errors.Is(err, archive.ErrNoArchive) {
		return 0, false
	}
	if err != nil {
		t.Fatalf("count records: %v", err)
	}
	return n, true
}

// jobStates lists what the archive in dir remembers about every job's log.
func jobStates(t *testing.T, dir string) string {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var b bytes.Buffer
	err = st.View(func(r *archive.Reader) error {
		return r.Each(kinds.DRSJob, func(rec archive.Record) error {
			js, err := r.JobState(archive.JobRef{JobID: rec.ID, Region: rec.Region, Account: rec.Account})
			fmt.Fprintf(&b, "%s %s %s %+v\n", rec.ID, rec.Region, rec.Account, js)
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestSyncKilledBeforeFirstCommit: a sync killed after bbolt created the
// archive file but before the first commit leaves a bbolt file with nothing
// in it. Readers take it for no archive yet, not for a foreign file, and
// the next sync carries on.
func TestSyncKilledBeforeFirstCommit(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 19})
	dir := archivetest.Dir(t)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, &bolt.Options{PageSize: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"verify"}, {"query"}, {"migrate"}, {"migrate", "--dry-run"}} {
		code, _, stderr := runCLI(t, append([]string{"--archive", dir}, args...)...)
		if code != 2 || !strings.Contains(stderr, "no archive here yet") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s on an empty bbolt file: exit %d, %q; want 2 and one line saying there is no archive yet", args, code, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL()); code != 0 {
		t.Fatalf("sync after the kill: exit %d: %s", code, stderr)
	}
	if code, stdout, stderr := runCLI(t, "--archive", dir, "verify"); code != 0 {
		t.Errorf("verify after the sync: exit %d: %s%s", code, stdout, stderr)
	}
}
