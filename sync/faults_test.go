package sync_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

// faultOp is one operation sync calls, with what a fault in it must leave
// out of an archive synced from nothing.
type faultOp struct {
	op     string
	what   string // how messages name the listing, as a regexp
	list   string // its list member
	token  string // its token member
	source archsync.Source
	kinds  []archive.Kind // the records its answers become
}

var faultOps = []faultOp{
	{emulator.OpDescribeJobs, "DescribeJobs", "items", "nextToken", archsync.SourceDRS, []archive.Kind{kinds.DRSJob, kinds.DRSJobLogItem}},
	{emulator.OpDescribeJobLogItems, "DescribeJobLogItems drsjob-[0-9a-z]{17}", "items", "nextToken", archsync.SourceDRS, []archive.Kind{kinds.DRSJobLogItem}},
	{emulator.OpDescribeSourceServers, "DescribeSourceServers", "items", "nextToken", archsync.SourceDRS, []archive.Kind{kinds.DRSSourceServer}},
	{emulator.OpListStagingAccounts, "ListStagingAccounts", "accounts", "nextToken", archsync.SourceDRS, []archive.Kind{kinds.DRSStagingAccount}},
	{emulator.OpListClusters, "ListClusters", "ClusterListEntries", "NextToken", archsync.SourceSnowball, []archive.Kind{kinds.SnowballJob}},
	{emulator.OpListClusterJobs, "ListClusterJobs CID[0-9a-f-]{36}", "JobListEntries", "NextToken", archsync.SourceSnowball, []archive.Kind{kinds.SnowballJob}},
	{emulator.OpGetReplicationJobs, "GetReplicationJobs", "replicationJobList", "nextToken", archsync.SourceSMS, []archive.Kind{kinds.SMSJob}},
}

// faultHistory is the emulator history of the fault tests: every listing
// takes several pages of faultPageSize.
var faultHistory = emulator.Options{
	Seed: 17, Jobs: 12, LogItemsPerJob: 12, Servers: 12, SnowballClusters: 9, SnowballJobsPerCluster: 7, SMSJobs: 9,
	StagingAccounts: []string{"210987654321", "310987654321", "410987654321", "510987654321", "610987654321",
		"710987654321", "810987654321", "910987654321", "110987654321"},
}

const faultPageSize = 2

// faultOptions are the options of a sync of op's source from emu.
func faultOptions(dir string, emu *emulator.Server, o faultOp) archsync.Options {
	opts := options(dir, emu)
	opts.Sources = []archsync.Source{o.source}
	opts.PageSize = faultPageSize
	opts.Now = emu.Now
	opts.NoIndex = true // the index is not at issue, and costs time
	return opts
}

// countKinds returns how many records of kinds the archive in dir holds; 0
// when there is no archive.
func countKinds(t *testing.T, dir string, kinds ...archive.Kind) int {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if errors.Is(err, archive.ErrNoArchive) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := 0
	err = st.View(func(r *archive.Reader) error {
		for _, k := range kinds {
			c, err := r.Count(k)
			if err != nil {
				return err
			}
			n += c
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// contentHash is archivetest.ContentHash less the records' keys, which
// number records in the order they were first written: two syncs whose
// listings commit side by side in another order make the same archive under
// other keys.
func contentHash(t *testing.T, dir string) string {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var lines []string
	err = st.View(func(r *archive.Reader) error {
		for _, k := range kinds.Names() {
			err := r.Each(k, func(rec archive.Record) error {
				rec.Key = archive.Key{}
				b, err := json.Marshal(rec)
				if err != nil {
					return err
				}
				lines = append(lines, string(b))
				if rec.Kind == kinds.DRSJob {
					js, err := r.JobState(archive.JobRef{JobID: rec.ID, Region: rec.Region, Account: rec.Account})
					if err != nil {
						return err
					}
					lines = append(lines, fmt.Sprintf("state %s %+v", rec.ID, js))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:])
}

// syncErr runs one sync that must fail, and returns its error. A bound on
// the time it may take turns a sync that never ends into a failure rather
// than a hung test.
func syncErr(t *testing.T, o archsync.Options) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := archsync.Run(ctx, o, &archsync.Stats{})
	if err == nil {
		t.Fatal("sync succeeded")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("sync did not end: %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
	return err
}

// matches fails the test unless msg matches the regular expression re.
func matches(t *testing.T, msg, re string) {
	t.Helper()
	if !regexp.MustCompile(re).MatchString(msg) {
		t.Errorf("error %q\ndoes not match %q", msg, re)
	}
}

// TestBadAnswers: an answer that is not JSON, is cut short or has a member
// of the wrong type fails the sync with one line naming the operation, the
// page and what is wrong, the member included, and writes nothing of that
// page. A sync without the fault then archives everything.
func TestBadAnswers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(op string) emulator.Faults
		want  func(o faultOp) string // after "<listing> page 1: "
	}{
		{"html", func(op string) emulator.Faults { return emulator.Faults{Malformed: map[string]bool{op: true}} },
			func(faultOp) string { return `the answer was not JSON \(text/html: a proxy or captive portal\?\)` }},
		{"truncated", func(op string) emulator.Faults { return emulator.Faults{Truncate: map[string]bool{op: true}} },
			func(faultOp) string {
				return `the answer was cut short or is not valid JSON \(\d+ bytes of application/(json|x-amz-json-1\.1)\)`
			}},
		{"list is an object", func(op string) emulator.Faults {
			return emulator.Faults{WrongTypes: map[string]emulator.WrongType{op: emulator.ListAsObject}}
		}, func(o faultOp) string {
			return "the answer has the wrong shape: member " + o.list + " is an object, not a list"
		}},
		{"token is a number", func(op string) emulator.Faults {
			return emulator.Faults{WrongTypes: map[string]emulator.WrongType{op: emulator.TokenAsNumber}}
		}, func(o faultOp) string {
			return "the answer has the wrong shape: member " + o.token + " is a number, not a string"
		}},
		{"item is a string", func(op string) emulator.Faults {
			return emulator.Faults{WrongTypes: map[string]emulator.WrongType{op: emulator.ItemAsString}}
		}, func(o faultOp) string {
			return `the answer has the wrong shape: member ` + o.list + `\[0\] is a string, not an object`
		}},
		{"item not UTF-8", func(op string) emulator.Faults {
			return emulator.Faults{WrongTypes: map[string]emulator.WrongType{op: emulator.ItemNotUTF8}}
		}, func(o faultOp) string {
			return `the answer is malformed: member ` + o.list + `\[0\]: invalid UTF-8 at byte offset 6 \(JSON text must be UTF-8\) \(counted from the start of the item\)`
		}},
		{"item too deep", func(op string) emulator.Faults {
			return emulator.Faults{WrongTypes: map[string]emulator.WrongType{op: emulator.ItemTooDeep}}
		}, func(o faultOp) string {
			return fmt.Sprintf(`the answer is malformed: member %s\[0\]: JSON nested deeper than %d levels at byte offset %d \(counted from the start of the item\)`,
				o.list, archsync.MaxJSONDepth, 5+archsync.MaxJSONDepth-3)
		}},
	} {
		for _, o := range faultOps {
			t.Run(tc.name+"/"+o.op, func(t *testing.T) {
				t.Parallel()
				emu := archivetest.Emulator(t, faultHistory)
				dir := archivetest.Dir(t)
				emu.SetFaults(tc.fault(o.op))
				err := syncErr(t, faultOptions(dir, emu, o))
				matches(t, err.Error(), "^"+o.what+" page 1: "+tc.want(o)+"$")
				if n := countKinds(t, dir, o.kinds...); n != 0 {
					t.Errorf("%d records of %v written from answers that were refused", n, o.kinds)
				}
				emu.SetFaults(emulator.Faults{})
				runSync(t, faultOptions(dir, emu, o))
				if n := countKinds(t, dir, o.kinds...); n == 0 {
					t.Errorf("no records of %v after a sync without the fault", o.kinds)
				}
			})
		}
	}
}

// TestRepeatedTokens: a service that hands back a nextToken it already
// returned, the same one at once or after a cycle, ends the sync with an
// error naming the listing and the pages, rather than looping or stopping
// silently with pages unread; the next sync archives everything.
func TestRepeatedTokens(t *testing.T) {
	for _, cycle := range []int{1, 2} {
		for _, o := range faultOps {
			t.Run(fmt.Sprintf("cycle %d/%s", cycle, o.op), func(t *testing.T) {
				t.Parallel()
				emu := archivetest.Emulator(t, faultHistory)
				dir := archivetest.Dir(t)
				emu.SetFaults(emulator.Faults{RepeatTokens: map[string]int{o.op: cycle}})
				err := syncErr(t, faultOptions(dir, emu, o))
				matches(t, err.Error(), fmt.Sprintf("^%s page %d: the service returned the same nextToken twice \\(after pages 1 and %d\\); stopping$", o.what, cycle+1, cycle+1))

				emu.SetFaults(emulator.Faults{})
				runSync(t, faultOptions(dir, emu, o))
				clean := archivetest.Dir(t)
				runSync(t, faultOptions(clean, emu, o))
				if got, want := contentHash(t, dir), contentHash(t, clean); got != want {
					t.Error("the archive differs from one synced without the fault: pages were lost")
				}
			})
		}
	}
}

// TestRefusedTokens: a nextToken the service refuses as expired starts the
// listing again from the first page; after up to three restarts the
// archive is exactly what an uninterrupted sync makes, counts included.
// More refusals than that end the sync with an error.
func TestRefusedTokens(t *testing.T) {
	for _, o := range faultOps {
		t.Run(o.op, func(t *testing.T) {
			t.Parallel()
			emu := archivetest.Emulator(t, faultHistory)
			clean, dir := archivetest.Dir(t), archivetest.Dir(t)
			want := runSync(t, faultOptions(clean, emu, o))
			cleanCalls := emu.Calls(o.op)

			emu.ResetCounts()
			emu.SetFaults(emulator.Faults{ExpireTokens: map[string]int{o.op: 3}})
			got := runSync(t, faultOptions(dir, emu, o))
			if emu.Calls(o.op) < cleanCalls+3+3 { // three refusals and at least one page again each
				t.Fatalf("%d calls of %s with refusals, %d without: the tokens were not refused", emu.Calls(o.op), o.op, cleanCalls)
			}
			if a, b := contentHash(t, dir), contentHash(t, clean); a != b {
				t.Error("the archive differs from one synced without refusals")
			}
			for name, n := range map[string][2]int64{
				"jobs":             {got.Read(kinds.DRSJob), want.Read(kinds.DRSJob)},
				"log items":        {got.Read(kinds.DRSJobLogItem), want.Read(kinds.DRSJobLogItem)},
				"job logs":         {got.JobLogs.Load(), want.JobLogs.Load()},
				"job logs pending": {got.JobLogsPending.Load(), want.JobLogsPending.Load()},
				"source servers":   {got.Read(kinds.DRSSourceServer), want.Read(kinds.DRSSourceServer)},
				"staging accounts": {got.Read(kinds.DRSStagingAccount), want.Read(kinds.DRSStagingAccount)},
				"Snowball jobs":    {got.Read(kinds.SnowballJob), want.Read(kinds.SnowballJob)},
				"SMS jobs":         {got.Read(kinds.SMSJob), want.Read(kinds.SMSJob)},
			} {
				if n[0] != n[1] {
					t.Errorf("%s: %d counted with restarts, %d without", name, n[0], n[1])
				}
			}
		})
	}
	// A listing that is refused four times gives up. The other operations'
	// refusals spread over several listings (one per job or cluster).
	for _, o := range faultOps {
		if o.op == emulator.OpDescribeJobLogItems || o.op == emulator.OpListClusterJobs {
			continue
		}
		t.Run("gives up/"+o.op, func(t *testing.T) {
			t.Parallel()
			emu := archivetest.Emulator(t, faultHistory)
			emu.SetFaults(emulator.Faults{ExpireTokens: map[string]int{o.op: 4}})
			err := syncErr(t, faultOptions(archivetest.Dir(t), emu, o))
			matches(t, err.Error(), "^"+o.what+` page 5: the service refused a nextToken it had issued \((ValidationException|InvalidNextTokenException|InvalidParameterException): .*expired.*\); gave up after 3 restarts from the first page$`)
		})
	}
}

// TestAccessDenied: a call the credentials lack the permission for names
// the IAM action to add.
func TestAccessDenied(t *testing.T) {
	for _, o := range faultOps {
		t.Run(o.op, func(t *testing.T) {
			t.Parallel()
			emu := archivetest.Emulator(t, faultHistory)
			emu.SetFaults(emulator.Faults{AccessDenied: map[string]bool{o.op: true}})
			err := syncErr(t, faultOptions(archivetest.Dir(t), emu, o))
			prefix := map[archsync.Source]string{archsync.SourceDRS: "drs", archsync.SourceSnowball: "snowball", archsync.SourceSMS: "sms"}[o.source]
			matches(t, err.Error(), "^"+o.what+" page 1: access denied: the credentials lack "+prefix+":"+o.op+"$")
			var ade *archsync.AccessDeniedError
			if !errors.As(err, &ade) || ade.Action != prefix+":"+o.op {
				t.Errorf("error %v is no AccessDeniedError for %s:%s", err, prefix, o.op)
			}
		})
	}
}

// TestUninitializedDRS: DRS never initialised in a region is no failure:
// the run record of DRS there says "DRS not initialised", nothing of DRS is
// archived, and Snowball and SMS are read as usual.
func TestUninitializedDRS(t *testing.T) {
	h := faultHistory
	h.Region = "us-west-2"
	emu := archivetest.Emulator(t, h)
	emu.SetFaults(emulator.Faults{UninitializedAccount: true})
	dir := archivetest.Dir(t)
	o := faultOptions(dir, emu, faultOps[0])
	o.Regions = []string{"us-west-2"}
	o.Sources = []archsync.Source{archsync.SourceDRS, archsync.SourceSnowball, archsync.SourceSMS}
	o.MetricsFile = filepath.Join(t.TempDir(), "archiver.prom")
	st := runSync(t, o)
	if n := st.TargetsUninitialised.Load(); n != 1 {
		t.Errorf("%d targets with DRS not initialised, want 1", n)
	}
	if s := st.Summary(time.Second); !strings.Contains(s, " (DRS not initialised); ") {
		t.Errorf("summary %q does not say DRS is not initialised", s)
	}
	if n := countKinds(t, dir, kinds.DRSJob, kinds.DRSSourceServer, kinds.DRSStagingAccount); n != 0 {
		t.Errorf("%d DRS records from an uninitialized region", n)
	}
	if n, want := countKinds(t, dir, kinds.SnowballJob, kinds.SMSJob), h.SnowballClusters*h.SnowballJobsPerCluster+h.SMSJobs; n != want || want == 0 {
		t.Errorf("%d Snowball and SMS records, want %d", n, want)
	}
	runs := syncRuns(t, dir)
	for _, src := range []string{"drs", "snowball", "sms"} {
		s, ok := runs[archive.SyncRunKey(src, "us-west-2", emu.Account())]
		wantNote := ""
		if src == "drs" {
			wantNote = archsync.NotInitialised
		}
		if !ok || !s.OK() || s.Note != wantNote {
			t.Errorf("run record of %s: %+v, want no error and note %q", src, s, wantNote)
		}
		labels := `source="` + src + `",region="us-west-2",account="` + emu.Account() + `"`
		prom := parseProm(t, o.MetricsFile)
		want := 0.0
		if src == "drs" {
			want = 1
		}
		if got := prom.value(t, archsync.MetricNotInitialised, labels); got != want {
			t.Errorf("%s{%s} = %v, want %v", archsync.MetricNotInitialised, labels, got, want)
		}
		if got := prom.value(t, archsync.MetricSuccess, labels); got != 1 {
			t.Errorf("%s{%s} = %v, want 1", archsync.MetricSuccess, labels, got)
		}
	}
}
