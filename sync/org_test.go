package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/drs"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

const orgKey = "AKIDORGMANAGEMENT"

// suspended is the account of an orgFixture that is not active.
const suspended = "400000000099"

// orgFixture is an emulated organization of n member accounts (and one
// suspended account), with a small history in each account and region.
type orgFixture struct {
	mux      *emulator.Mux
	servers  map[emulator.Place]*emulator.Server
	accounts []string // the member accounts, active ones only
}

func newOrgFixture(t *testing.T, n int, regions []string, org emulator.Organization) orgFixture {
	t.Helper()
	var f orgFixture
	for i := range n {
		id := orgAccountID(i)
		org.Accounts = append(org.Accounts, emulator.OrgAccount{ID: id, Parent: []string{"ou-ab12-aaaaaaaa", "ou-ab12-bbbbbbbb"}[i%2]})
		f.accounts = append(f.accounts, id)
	}
	org.Accounts = append(org.Accounts, emulator.OrgAccount{ID: suspended, State: "SUSPENDED"})
	org.ManagementKey = orgKey
	f.mux, f.servers = emulator.NewOrgMux(emulator.OrgSetup{
		Organization: org, Regions: regions,
		History: emulator.Options{Seed: 11, Jobs: 3, LogItemsPerJob: 4, Servers: 2, SMSJobs: 2},
	})
	if err := f.mux.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.mux.Close)
	return f
}

func (f orgFixture) options(dir string, regions ...string) archsync.Options {
	return archsync.Options{
		ArchiveDir: dir, EndpointURL: f.mux.URL(), MaxBackoff: 5 * time.Millisecond, PageSize: 3,
		Credentials: credentials.NewStaticCredentialsProvider(orgKey, "secret-of-the-management-account", ""),
		Sources:     []archsync.Source{archsync.SourceDRS, archsync.SourceSMS},
		Regions:     regions, OrgRole: "ArchiverReadOnly", OrgExternalID: "dr-archive",
	}
}

// placeContent is what the archive holds of one account and region: every
// DRS job with its log, and the SMS jobs, as data.
func placeContent(t *testing.T, dir string, p emulator.Place) (jobs map[string]string, logs map[string][]string, sms int) {
	t.Helper()
	jobs, logs = map[string]string{}, map[string][]string{}
	st := archivetest.Open(t, dir)
	defer st.Close()
	err := st.View(func(r *archive.Reader) error {
		if err := r.Each(kinds.DRSJob, func(rec archive.Record) error {
			if rec.Region != p.Region || rec.Account != p.Account {
				return nil
			}
			jobs[rec.ID] = string(rec.Data)
			return r.JobLog(archive.JobRef{JobID: rec.ID, Region: rec.Region, Account: rec.Account}, func(it archive.Record) error {
				logs[rec.ID] = append(logs[rec.ID], string(it.Data))
				return nil
			})
		}); err != nil {
			return err
		}
		return r.Each(kinds.SMSJob, func(rec archive.Record) error {
			if rec.Region == p.Region && rec.Account == p.Account {
				sms++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return jobs, logs, sms
}

// servedContent is what emu served: its jobs and their logs.
func servedContent(emu *emulator.Server) (jobs map[string]string, logs map[string][]string) {
	jobs, logs = map[string]string{}, map[string][]string{}
	for _, j := range emu.Jobs() {
		var h struct{ JobID string }
		json.Unmarshal(j, &h)
		jobs[h.JobID] = string(j)
		for _, it := range emu.JobLog(h.JobID) {
			logs[h.JobID] = append(logs[h.JobID], string(it))
		}
	}
	return jobs, logs
}

// TestOrganizationSync: the accounts of an organization are discovered
// (20 members, 2 excluded, a suspended one left out), a role is assumed in
// each, and every account and region is read side by side. An account
// whose role cannot be assumed fails its targets only, and a region where
// DRS is not initialised is recorded as such, no failure; every other
// target's records equal its history, and the run records name the failed
// targets and why.
func TestOrganizationSync(t *testing.T) {
	regions := []string{"us-east-1", "eu-west-1"}
	noRole := orgAccountID(5)
	f := newOrgFixture(t, 20, regions, emulator.Organization{ExternalID: "dr-archive", RoleMissing: map[string]bool{noRole: true}})
	excluded := f.accounts[:2]
	uninit := emulator.Place{Account: f.accounts[7], Region: "eu-west-1"}
	f.servers[uninit].SetFaults(emulator.Faults{UninitializedAccount: true})

	dir := archivetest.Dir(t)
	o := f.options(dir, regions...)
	o.OrgExcludeAccounts = excluded
	o.TargetConcurrency = 8
	var stats archsync.Stats
	err := archsync.Run(context.Background(), o, &stats)

	// The run fails for the two targets of the account without the role.
	var te *archsync.TargetsError
	if !errors.As(err, &te) {
		t.Fatalf("sync: %v, want a TargetsError", err)
	}
	wantTargets := (len(f.accounts) - len(excluded)) * len(regions)
	if te.Total != wantTargets || len(te.Failed) != len(regions) {
		t.Errorf("%d of %d targets failed, want %d of %d: %v", len(te.Failed), te.Total, len(regions), wantTargets, err)
	}
	var are *archsync.AssumeRoleError
	if !errors.As(err, &are) || are.Code != "AccessDenied" || are.Role != "arn:aws:iam::"+noRole+":role/ArchiverReadOnly" {
		t.Errorf("error %v: no AssumeRoleError of %s", err, noRole)
	}
	for _, fe := range te.Failed {
		if fe.Account != noRole {
			t.Errorf("target %s failed: %v", fe.Target, fe.Err)
		}
	}
	if !strings.HasPrefix(err.Error(), fmt.Sprintf("2 of %d targets failed: ", wantTargets)) || strings.Contains(err.Error(), "secret-of-the") {
		t.Errorf("error message %q", err)
	}
	if n := stats.TargetsUninitialised.Load(); n != 1 {
		t.Errorf("%d targets with DRS not initialised, want 1", n)
	}
	if s := stats.Summary(time.Second); !strings.Contains(s, fmt.Sprintf("in %d regions and accounts (2 failed) (1 target with DRS not initialised)", wantTargets)) {
		t.Errorf("summary %q", s)
	}

	// Every other target's records equal its history.
	checked := 0
	for p, emu := range f.servers {
		jobs, logs, sms := placeContent(t, dir, p)
		switch {
		case slices.Contains(excluded, p.Account) || p.Account == noRole || p.Account == suspended:
			if len(jobs)+sms != 0 {
				t.Errorf("%v: %d jobs and %d SMS jobs archived from a target not read", p, len(jobs), sms)
			}
			continue
		case p == uninit:
			if len(jobs) != 0 || sms != len(emu.ReplicationJobs()) {
				t.Errorf("%v: %d jobs and %d SMS jobs archived, want none and %d", p, len(jobs), sms, len(emu.ReplicationJobs()))
			}
			continue
		}
		wantJobs, wantLogs := servedContent(emu)
		if len(wantJobs) == 0 || len(emu.ReplicationJobs()) == 0 {
			t.Fatalf("%v: the emulator serves no jobs: the test proves nothing", p)
		}
		if !mapsEqual(jobs, wantJobs) || sms != len(emu.ReplicationJobs()) {
			t.Errorf("%v: %d jobs and %d SMS jobs archived, want %d and %d (or they differ)", p, len(jobs), sms, len(wantJobs), len(emu.ReplicationJobs()))
		}
		for id, l := range wantLogs {
			if !slices.Equal(logs[id], l) {
				t.Errorf("%v: job %s log of %d items, want %d (or they differ)", p, id, len(logs[id]), len(l))
			}
		}
		checked++
	}
	if checked != wantTargets-len(regions)-1 {
		t.Errorf("%d targets checked, want %d", checked, wantTargets-len(regions)-1)
	}

	// The run records name the failed targets and why, and the region
	// where DRS is not initialised, as no failure.
	runs := syncRuns(t, dir)
	if len(runs) != wantTargets*2 {
		t.Errorf("%d run records, want %d", len(runs), wantTargets*2)
	}
	for _, s := range runs {
		switch {
		case s.Account == noRole:
			if s.OK() || !strings.Contains(s.Error, "assume role arn:aws:iam::"+noRole+":role/ArchiverReadOnly: AccessDenied") {
				t.Errorf("run record %s: error %q, want the role refused", s.Key(), s.Error)
			}
		case s.Account == uninit.Account && s.Region == uninit.Region && s.Source == "drs":
			if !s.OK() || s.Note != archsync.NotInitialised {
				t.Errorf("run record %s: error %q, note %q; want no error and %q", s.Key(), s.Error, s.Note, archsync.NotInitialised)
			}
		default:
			if !s.OK() || s.Note != "" || s.ItemsRead[kinds.DRSJob]+s.ItemsRead[kinds.SMSJob] == 0 {
				t.Errorf("run record %s: error %q, note %q, items %v", s.Key(), s.Error, s.Note, s.ItemsRead)
			}
		}
	}

	// Each account's role was assumed once, shared by its regions, with the
	// session name and external ID; excluded and suspended accounts never.
	granted := map[string]int{}
	for _, c := range f.mux.AssumeRoleCalls() {
		if c.RoleSessionName != "archiver" || c.ExternalID != "dr-archive" {
			t.Errorf("AssumeRole %+v: want session name archiver and external ID dr-archive", c)
		}
		if slices.Contains(excluded, c.Account) || c.Account == suspended {
			t.Errorf("AssumeRole in %s, an account not to read", c.Account)
		}
		if c.Granted {
			granted[c.Account]++
		}
	}
	if len(granted) != len(f.accounts)-len(excluded)-1 {
		t.Errorf("roles assumed in %d accounts, want %d", len(granted), len(f.accounts)-len(excluded)-1)
	}
	for a, n := range granted {
		if n != 1 {
			t.Errorf("role in %s assumed %d times, want once", a, n)
		}
	}
}

// orgAccountID is the ID of member account i (from 0) of an orgFixture.
func orgAccountID(i int) string { return fmt.Sprintf("4000000000%02d", i+1) }

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// TestOrganizationUnitAndInclude: --org-unit lists the accounts of one
// organizational unit only, and --org-include-account narrows to those
// named.
func TestOrganizationUnitAndInclude(t *testing.T) {
	f := newOrgFixture(t, 6, []string{"us-east-1"}, emulator.Organization{})
	for _, tc := range []struct {
		name    string
		unit    string
		include []string
		want    []string
	}{
		{"unit", "ou-ab12-bbbbbbbb", nil, []string{f.accounts[1], f.accounts[3], f.accounts[5]}},
		{"include", "", []string{f.accounts[0], f.accounts[4]}, []string{f.accounts[0], f.accounts[4]}},
		{"unit and include", "ou-ab12-aaaaaaaa", []string{f.accounts[0], f.accounts[1]}, []string{f.accounts[0]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := archivetest.Dir(t)
			o := f.options(dir)
			o.OrgExternalID = ""
			o.OrgUnit, o.OrgIncludeAccounts = tc.unit, tc.include
			runSync(t, o)
			var got []string
			for _, s := range syncRuns(t, dir) {
				if s.Source == "drs" {
					got = append(got, s.Account)
				}
			}
			slices.Sort(got)
			if len(tc.want) == 0 || !slices.Equal(got, tc.want) {
				t.Errorf("accounts read %v, want %v", got, tc.want)
			}
		})
	}

	// Credentials that are not the management account's cannot list the
	// organization: the run fails saying what --org-role needs.
	o := f.options(archivetest.Dir(t))
	o.Credentials = credentials.NewStaticCredentialsProvider("AKIDMEMBER", "secret", "")
	var st archsync.Stats
	err := archsync.Run(context.Background(), o, &st)
	var ade *archsync.AccessDeniedError
	if !errors.As(err, &ade) || ade.Action != "organizations:ListAccounts" || !strings.Contains(err.Error(), "management account or a delegated administrator") {
		t.Errorf("sync with a member's credentials: %v", err)
	}
}

// TestDRSRegions: every region of the declared list resolves, with the SDK's
// own endpoint rules, to the DRS endpoint of its partition; --region all
// stands for that list.
func TestDRSRegions(t *testing.T) {
	r := drs.NewDefaultEndpointResolverV2()
	suffix := map[string]string{"aws": ".amazonaws.com", "aws-us-gov": ".amazonaws.com"}
	n := 0
	for _, part := range []string{"aws", "aws-us-gov"} {
		regions := archsync.DRSRegions(part)
		if len(regions) == 0 {
			t.Fatalf("no DRS region in partition %s", part)
		}
		for _, region := range regions {
			n++
			if p := archsync.PartitionOf(region); p != part {
				t.Errorf("%s: partition %s, want %s", region, p, part)
			}
			ep, err := r.ResolveEndpoint(context.Background(), drs.EndpointParameters{Region: aws.String(region)})
			if err != nil {
				t.Errorf("%s: %v", region, err)
				continue
			}
			if want := "drs." + region + suffix[part]; ep.URI.Host != want {
				t.Errorf("%s: the SDK resolves DRS to %s, want %s", region, ep.URI.Host, want)
			}
		}
	}
	if len(archsync.DRSRegions("aws-cn")) != 0 || n < 20 {
		t.Errorf("%d DRS regions; DRS in aws-cn %v", n, archsync.DRSRegions("aws-cn"))
	}
}

// TestRegionAll: --region all reads every DRS region of the partition; a
// region with no history of the account (DRS not initialised there, as
// the emulator answers) is recorded as such, not as a failure.
func TestRegionAll(t *testing.T) {
	all := archsync.DRSRegions("aws")
	f := newOrgFixture(t, 1, all, emulator.Organization{})
	for p, s := range f.servers {
		if p.Region != "us-east-1" && p.Region != "eu-west-1" {
			s.SetFaults(emulator.Faults{UninitializedAccount: true})
		}
	}
	dir := archivetest.Dir(t)
	o := f.options(dir, archsync.AllRegions)
	o.OrgExternalID = ""
	o.Sources = []archsync.Source{archsync.SourceDRS}
	st := runSync(t, o)
	if len(st.Targets) != len(all) || st.TargetsUninitialised.Load() != int64(len(all)-2) || st.TargetsFailed.Load() != 0 {
		t.Errorf("%d targets, %d not initialised, %d failed; want %d, %d, 0", len(st.Targets), st.TargetsUninitialised.Load(), st.TargetsFailed.Load(), len(all), len(all)-2)
	}
	notes := 0
	for _, s := range syncRuns(t, dir) {
		if !s.OK() {
			t.Errorf("run record %s failed: %s", s.Key(), s.Error)
		}
		if s.Note == archsync.NotInitialised {
			notes++
		}
	}
	if notes != len(all)-2 {
		t.Errorf("%d run records say DRS is not initialised, want %d", notes, len(all)-2)
	}
}

// TestTargetThrottledAlone: a target throttled past its tries fails alone;
// one throttled less backs off and finishes; the other targets are read
// whole all the same.
func TestTargetThrottledAlone(t *testing.T) {
	f := newOrgFixture(t, 3, []string{"us-east-1"}, emulator.Organization{})
	hard := emulator.Place{Account: f.accounts[0], Region: "us-east-1"}
	soft := emulator.Place{Account: f.accounts[1], Region: "us-east-1"}
	f.servers[hard].SetFaults(emulator.Faults{ThrottleRate: 1})
	f.servers[soft].SetFaults(emulator.Faults{ThrottleRate: 0.3})
	dir := archivetest.Dir(t)
	o := f.options(dir)
	o.OrgExternalID = ""
	o.MaxAttempts = 30
	var st archsync.Stats
	err := archsync.Run(context.Background(), o, &st)
	var te *archsync.TargetsError
	if !errors.As(err, &te) || len(te.Failed) != 1 || te.Failed[0].Account != hard.Account || !strings.Contains(err.Error(), "Throttling") {
		t.Fatalf("sync: %v; want the target of %s alone failed, throttled", err, hard.Account)
	}
	// The same organization unthrottled takes fewer calls there.
	clean := newOrgFixture(t, 3, []string{"us-east-1"}, emulator.Organization{})
	co := clean.options(archivetest.Dir(t))
	co.OrgExternalID = ""
	runSync(t, co)
	if got, want := totalCalls(f.servers[soft]), totalCalls(clean.servers[soft]); got <= want || want == 0 {
		t.Errorf("the target of %s made %d calls throttled, %d not: it was never throttled, the test proves nothing", soft.Account, got, want)
	}
	for _, p := range []emulator.Place{soft, {Account: f.accounts[2], Region: "us-east-1"}} {
		jobs, logs, _ := placeContent(t, dir, p)
		wantJobs, wantLogs := servedContent(f.servers[p])
		if len(wantJobs) == 0 || !mapsEqual(jobs, wantJobs) {
			t.Errorf("%v: %d jobs archived, want %d", p, len(jobs), len(wantJobs))
		}
		for id, l := range wantLogs {
			if !slices.Equal(logs[id], l) {
				t.Errorf("%v: job %s log of %d items, want %d", p, id, len(logs[id]), len(l))
			}
		}
	}
}

// totalCalls counts the calls s answered, throttled ones included.
func totalCalls(s *emulator.Server) int {
	n := 0
	for _, op := range []string{emulator.OpDescribeJobs, emulator.OpDescribeJobLogItems, emulator.OpDescribeSourceServers,
		emulator.OpListStagingAccounts, emulator.OpDescribeRecoverySnapshots, emulator.OpDescribeRecoveryInstances,
		emulator.OpGetLaunchConfiguration, emulator.OpGetReplicationConfiguration, emulator.OpDescribeSourceNetworks,
		emulator.OpGetReplicationJobs} {
		n += s.Calls(op)
	}
	return n
}

// TestProfileFailsAlone: of several profiles, one whose credentials are
// refused (a revoked key or role) fails its own targets, recorded under
// their region without an account; the other profile is read whole.
func TestProfileFailsAlone(t *testing.T) {
	writeProfiles(t, map[string]string{"prod": "AKIDPRODGOOD", "revoked": "AKIDREVOKED"})
	mux, emus := muxPlaces(t, "AKIDPRODGOOD", "111111111111", "us-east-1", "eu-west-1")
	dir := archivetest.Dir(t)
	o := archsync.Options{
		ArchiveDir: dir, EndpointURL: mux.URL(), MaxBackoff: 5 * time.Millisecond, MaxAttempts: 2,
		Sources:  []archsync.Source{archsync.SourceDRS},
		Profiles: []string{"revoked", "prod"}, Regions: []string{"us-east-1", "eu-west-1"},
	}
	var st archsync.Stats
	err := archsync.Run(context.Background(), o, &st)
	var te *archsync.TargetsError
	if !errors.As(err, &te) || te.Total != 4 || len(te.Failed) != 2 || !strings.Contains(err.Error(), "(profile revoked): ") ||
		!strings.Contains(err.Error(), "InvalidClientTokenId") {
		t.Fatalf("sync: %v; want the two targets of profile revoked failed", err)
	}
	for region, emu := range emus {
		jobs, _, _ := placeContent(t, dir, emulator.Place{Account: "111111111111", Region: region})
		if want, _ := servedContent(emu); len(want) == 0 || !mapsEqual(jobs, want) {
			t.Errorf("%s: %d jobs archived, want %d", region, len(jobs), len(want))
		}
	}
	runs := syncRuns(t, dir)
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		if s := runs[archive.SyncRunKey("drs", region, "111111111111")]; !s.OK() {
			t.Errorf("drs in %s of prod: %+v", region, s)
		}
		if s, ok := runs[archive.SyncRunKey("drs", region, "")]; !ok || s.OK() || !strings.Contains(s.Error, "InvalidClientTokenId") {
			t.Errorf("drs in %s of the revoked profile: %+v, want its failure", region, s)
		}
	}
}
