package sync_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

// syncRuns reads the run records of the archive in dir, by key.
func syncRuns(t *testing.T, dir string) map[string]archive.SyncRun {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string]archive.SyncRun{}
	err = st.View(func(r *archive.Reader) error {
		runs, err := r.SyncRuns()
		for _, s := range runs {
			out[s.Key()] = s
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// muxPlaces starts a Mux with one emulator (every source) for each region,
// all in one account behind one access key.
func muxPlaces(t *testing.T, key, account string, regions ...string) (*emulator.Mux, map[string]*emulator.Server) {
	t.Helper()
	mux := emulator.NewMux()
	emus := map[string]*emulator.Server{}
	for _, r := range regions {
		o := allSources
		o.Region, o.Account = r, account
		emus[r] = emulator.New(o)
		mux.Add(r, key, emus[r])
	}
	if err := mux.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mux.Close)
	return mux, emus
}

// TestRunRecords: every run records, per source, region and account, what
// it read and added and how it ended; a failure lands on the source and
// target that failed, and the last success survives it.
func TestRunRecords(t *testing.T) {
	const key, account = "AKIDRUNRECORDS", "111122223333"
	mux, emus := muxPlaces(t, key, account, "us-east-1", "eu-west-1")
	dir := archivetest.Dir(t)
	clock := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	o := archsync.Options{
		ArchiveDir: dir, EndpointURL: mux.URL(), MaxBackoff: 5 * time.Millisecond, PageSize: 4,
		Credentials: credentials.NewStaticCredentialsProvider(key, "secret-run-records", ""),
		Sources:     []archsync.Source{archsync.SourceDRS, archsync.SourceSnowball, archsync.SourceSMS},
		Regions:     []string{"us-east-1", "eu-west-1"},
		Now:         func() time.Time { return clock },
	}
	sources := []string{"drs", "snowball", "sms"}

	// First run: everything is new.
	stats := runSync(t, o)
	runs := syncRuns(t, dir)
	if len(runs) != 6 {
		t.Fatalf("%d run records, want 6 (3 sources in 2 regions): %v", len(runs), runs)
	}
	read := map[archive.Kind]int64{}
	var added int64
	for _, region := range o.Regions {
		for _, src := range sources {
			s, ok := runs[archive.SyncRunKey(src, region, account)]
			if !ok {
				t.Fatalf("no run record for %s in %s", src, region)
			}
			if !s.OK() || s.Runs != 1 || s.Failures != 0 || !s.LastSuccess.Equal(clock) || !s.Started.Equal(clock) {
				t.Errorf("%s in %s: %+v", src, region, s)
			}
			for k, n := range s.ItemsRead {
				read[k] += n
			}
			for k, n := range s.RecordsAdded {
				added += n
				// A first run adds every record of its region.
				var have int64
				for _, rec := range records(t, dir, k) {
					if rec.Region == region && rec.Account == account {
						have++
					}
				}
				if n != have {
					t.Errorf("%s in %s: %d %s added, the archive holds %d", src, region, n, k, have)
				}
			}
		}
		if n := runs[archive.SyncRunKey("drs", region, account)].ItemsRead[kinds.DRSJob]; n != int64(len(emus[region].Jobs())) {
			t.Errorf("drs in %s read %d jobs, the emulator serves %d", region, n, len(emus[region].Jobs()))
		}
	}
	want := map[archive.Kind]int64{
		kinds.DRSJob: stats.Read(kinds.DRSJob), kinds.DRSJobLogItem: stats.Read(kinds.DRSJobLogItem),
		kinds.DRSSourceServer: stats.Read(kinds.DRSSourceServer), kinds.DRSStagingAccount: stats.Read(kinds.DRSStagingAccount),
		kinds.SnowballJob: stats.Read(kinds.SnowballJob), kinds.SMSJob: stats.Read(kinds.SMSJob),
	}
	for k, n := range want {
		if read[k] != n || n == 0 {
			t.Errorf("run records read %d %s in all, the sync counted %d", read[k], k, n)
		}
	}
	if total := stats.TotalAdded(); added != total {
		t.Errorf("run records added %d records in all, the sync counted %d", added, total)
	}

	// Second run, nothing new: nothing added, totals grow.
	clock = clock.Add(24 * time.Hour)
	runSync(t, o)
	for k, s := range syncRuns(t, dir) {
		for kind, n := range s.RecordsAdded {
			if n != 0 {
				t.Errorf("%s: %d %s added by a run that found nothing new", k, n, kind)
			}
		}
		if s.Runs != 2 || !s.LastSuccess.Equal(clock) || s.ItemsReadTotal[kinds.DRSJob] != 2*s.ItemsRead[kinds.DRSJob] {
			t.Errorf("%s after two runs: %+v", k, s)
		}
	}

	// Third run: DRS answers garbage in eu-west-1, read after us-east-1.
	good := clock
	clock = clock.Add(24 * time.Hour)
	emus["eu-west-1"].SetFaults(emulator.Faults{Malformed: map[string]bool{emulator.OpDescribeJobs: true}})
	if err := archsync.Run(context.Background(), o, &archsync.Stats{}); err == nil {
		t.Fatal("sync against a malformed DescribeJobs answer succeeded")
	}
	runs = syncRuns(t, dir)
	for _, src := range sources {
		if s := runs[archive.SyncRunKey(src, "us-east-1", account)]; !s.OK() || s.Runs != 3 || !s.LastSuccess.Equal(clock) {
			t.Errorf("%s in us-east-1, read before the failure: %+v", src, s)
		}
		s := runs[archive.SyncRunKey(src, "eu-west-1", account)]
		if src != "drs" {
			// The other sources of the region are read all the same.
			if !s.OK() || s.Runs != 3 || !s.LastSuccess.Equal(clock) {
				t.Errorf("%s in eu-west-1, beside the failed drs: %+v", src, s)
			}
			continue
		}
		if s.OK() || s.Runs != 3 || s.Failures != 1 || !s.LastSuccess.Equal(good) || !s.Finished.Equal(clock) {
			t.Errorf("%s in eu-west-1, failed: %+v", src, s)
		}
		if !strings.Contains(s.Error, "DescribeJobs") || strings.Contains(s.Error, "\n") {
			t.Errorf("%s in eu-west-1: error %q, want one line with %q", src, s.Error, "DescribeJobs")
		}
	}

	// Fourth run, eu-west-1 first, one target at a time: it fails again,
	// and us-east-1 is read all the same; the run's error names the
	// target that failed.
	clock = clock.Add(24 * time.Hour)
	o.Regions = []string{"eu-west-1", "us-east-1"}
	o.TargetConcurrency = 1
	err := archsync.Run(context.Background(), o, &archsync.Stats{})
	var te *archsync.TargetsError
	if !errors.As(err, &te) || te.Total != 2 || len(te.Failed) != 1 || te.Failed[0].Region != "eu-west-1" ||
		!strings.HasPrefix(err.Error(), "1 of 2 targets failed: eu-west-1, account "+account+": DescribeJobs page 1: ") {
		t.Fatalf("sync against a malformed DescribeJobs answer in eu-west-1: %v", err)
	}
	runs = syncRuns(t, dir)
	if s := runs[archive.SyncRunKey("drs", "us-east-1", account)]; s.Runs != 4 || !s.OK() || !s.LastSuccess.Equal(clock) {
		t.Errorf("drs in us-east-1, read after eu-west-1 failed: %+v", s)
	}
	if s := runs[archive.SyncRunKey("drs", "eu-west-1", account)]; s.Runs != 4 || s.Failures != 2 || !s.LastSuccess.Equal(good) {
		t.Errorf("drs in eu-west-1, failed twice: %+v", s)
	}
}

// TestRunRecordWithoutAccount: a run that fails before STS names the
// account records the failure under the region alone, with the access key
// taken out of AWS's message, until a run there gets further.
func TestRunRecordWithoutAccount(t *testing.T) {
	const key, secret, account = "AKIAQZX7RUNRECORD2WX", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYRUNRECORDKEY", "444455556666"
	mux, emus := muxPlaces(t, key, account, "us-east-1")
	dir := archivetest.Dir(t)
	o := archsync.Options{
		ArchiveDir: dir, EndpointURL: mux.URL(), MaxBackoff: 5 * time.Millisecond, MaxAttempts: 2,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""),
		Regions:     []string{"eu-west-1"}, // no account behind this key there
	}
	err := archsync.Run(context.Background(), o, &archsync.Stats{})
	if err == nil {
		t.Fatal("sync in a region the key has no account in succeeded")
	}
	if strings.Contains(err.Error(), key) {
		t.Errorf("the error quotes the access key: %v", err)
	}
	runs := syncRuns(t, dir)
	s, ok := runs[archive.SyncRunKey("drs", "eu-west-1", "")]
	if len(runs) != 1 || !ok || s.OK() || !strings.Contains(s.Error, "security token") || strings.Contains(s.Error, key) {
		t.Fatalf("run records %+v: want one failure for drs in eu-west-1 without the key", runs)
	}

	// A good run elsewhere leaves it; a good run there replaces it.
	o.Regions = []string{"us-east-1"}
	runSync(t, o)
	if runs := syncRuns(t, dir); len(runs) != 2 {
		t.Errorf("after a run in us-east-1: %d run records, want 2", len(runs))
	}
	o2 := allSources
	o2.Region, o2.Account = "eu-west-1", account
	emus["eu-west-1"] = emulator.New(o2)
	mux.Add("eu-west-1", key, emus["eu-west-1"])
	o.Regions = []string{"eu-west-1"}
	runSync(t, o)
	runs = syncRuns(t, dir)
	if _, ok := runs[archive.SyncRunKey("drs", "eu-west-1", "")]; ok || len(runs) != 2 {
		t.Errorf("after a run in eu-west-1: run records %v, want drs in each region with its account", runs)
	}
	if s := runs[archive.SyncRunKey("drs", "eu-west-1", account)]; !s.OK() || s.Runs != 1 {
		t.Errorf("drs in eu-west-1: %+v", s)
	}
}
