package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/search"
	archsync "github.com/archiver-dev/archiver/sync"
)

// allSources is the emulator history every test here starts from: small,
// with Snowball and SMS jobs beside the DRS history.
var allSources = emulator.Options{Seed: 7, Jobs: 6, LogItemsPerJob: 5, Servers: 4, SnowballClusters: 2, SnowballJobsPerCluster: 5, SMSJobs: 6}

// observed maps each identity (kind and ID) to the data of its records,
// oldest first.
func observed(t *testing.T, dir string, kinds ...archive.Kind) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, k := range kinds {
		for _, rec := range records(t, dir, k) {
			id := string(k) + " " + rec.ID + " " + rec.Region + " " + rec.Account
			out[id] = append(out[id], string(rec.Data))
		}
	}
	return out
}

// fingerprints returns the state fingerprint of raw as sync computes it for
// kind.
func fingerprintOf(t *testing.T, kind archive.Kind, raw []byte) string {
	t.Helper()
	fp, err := archsync.ObservationFingerprint(kind)(raw)
	if err != nil {
		t.Fatalf("fingerprint %s: %v", raw, err)
	}
	return string(fp)
}

// servedStates returns each Snowball and SMS job the emulator serves now,
// by identity.
func servedStates(t *testing.T, emu *emulator.Server) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range emu.ClusterIDs() {
		for _, j := range emu.ClusterJobs(c) {
			var h struct{ JobId string }
			json.Unmarshal(j, &h)
			out[string(kinds.SnowballJob)+" "+h.JobId+" "+emu.Region()+" "+emu.Account()] = string(j)
		}
	}
	for _, j := range emu.ReplicationJobs() {
		var h struct{ ReplicationJobId string }
		json.Unmarshal(j, &h)
		out[string(kinds.SMSJob)+" "+h.ReplicationJobId+" "+emu.Region()+" "+emu.Account()] = string(j)
	}
	return out
}

func TestSnowballAndSMS(t *testing.T) {
	emu := archivetest.Emulator(t, allSources)
	emu.SetFaults(emulator.Faults{ThrottleRate: 0.25, ServerErrorRate: 0.05})
	dir := archivetest.Dir(t)
	o := options(dir, emu)
	o.Sources = []archsync.Source{archsync.SourceSnowball, archsync.SourceSMS}
	o.PageSize = 2 // every listing takes several pages
	o.Now = emu.Now
	st := runSync(t, o)
	if emu.Calls(emulator.OpListClusterJobs) < 6 || emu.Calls(emulator.OpGetReplicationJobs) < 3 {
		t.Errorf("%d ListClusterJobs and %d GetReplicationJobs calls: the listings were not paged",
			emu.Calls(emulator.OpListClusterJobs), emu.Calls(emulator.OpGetReplicationJobs))
	}
	if n := st.Read(kinds.DRSJob) + st.Read(kinds.DRSJobLogItem) + st.Read(kinds.DRSSourceServer); n != 0 {
		t.Errorf("%d DRS items read; DRS was not asked for", n)
	}

	// Every job is archived verbatim, once, with its cluster and time.
	want := servedStates(t, emu)
	got := observed(t, dir, kinds.SnowballJob, kinds.SMSJob)
	if len(got) != len(want) || len(want) != 10+6 {
		t.Fatalf("%d jobs archived, %d served (want 16)", len(got), len(want))
	}
	for id, data := range want {
		if len(got[id]) != 1 || got[id][0] != data {
			t.Errorf("%s: archived %q, served %s", id, got[id], data)
		}
	}
	clusters := map[string]bool{}
	for _, rec := range records(t, dir, kinds.SnowballJob) {
		var h struct{ CreationDate json.Number }
		json.Unmarshal(rec.Data, &h)
		sec, frac, _ := strings.Cut(string(h.CreationDate), ".")
		wantTime := time.Unix(atoi(t, sec), atoi(t, (frac + "000000000")[:9])).UTC()
		if !rec.Time.Equal(wantTime) || rec.CapturedAt == nil || !rec.CapturedAt.Equal(emu.Now()) {
			t.Errorf("%s: time %v captured %v, want CreationDate %s = %v captured %v", rec.ID, rec.Time, rec.CapturedAt, h.CreationDate, wantTime, emu.Now())
		}
		clusters[rec.ClusterID] = true
		found := false
		for _, j := range emu.ClusterJobs(rec.ClusterID) {
			found = found || bytes.Equal(j, rec.Data)
		}
		if !found {
			t.Errorf("%s: filed under cluster %s, which does not list it", rec.ID, rec.ClusterID)
		}
	}
	if len(clusters) != 2 {
		t.Errorf("jobs of %d clusters, want 2", len(clusters))
	}

	// The history moves on: each job whose state changed gets one more
	// record, the others none.
	before := want
	emu.Advance(24 * time.Hour)
	runSync(t, o)
	after := servedStates(t, emu)
	got = observed(t, dir, kinds.SnowballJob, kinds.SMSJob)
	changed := 0
	for id, data := range after {
		kind := archive.Kind(strings.Fields(id)[0])
		n := 1
		if fingerprintOf(t, kind, []byte(data)) != fingerprintOf(t, kind, []byte(before[id])) {
			n, changed = 2, changed+1
		}
		if len(got[id]) != n || got[id][n-1] != data {
			t.Errorf("%s: %d records, last %q; want %d, the last %s", id, len(got[id]), got[id][len(got[id])-1], n, data)
		}
	}
	if changed == 0 {
		t.Fatal("the emulator's Advance changed no Snowball or SMS job")
	}

	// A third sync of the same history adds nothing.
	runSync(t, o)
	if again := observed(t, dir, kinds.SnowballJob, kinds.SMSJob); len(again) != len(got) || count(again) != count(got) {
		t.Errorf("an unchanged history gave %d records, had %d", count(again), count(got))
	}
}

func count(m map[string][]string) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

func TestSnowballAndSMSBadBodies(t *testing.T) {
	for _, op := range []string{emulator.OpListClusters, emulator.OpListClusterJobs, emulator.OpGetReplicationJobs, emulator.OpGetCallerIdentity} {
		for _, fault := range []string{"truncated", "malformed"} {
			t.Run(op+" "+fault, func(t *testing.T) {
				emu := archivetest.Emulator(t, allSources)
				dir := archivetest.Dir(t)
				o := options(dir, emu)
				o.Sources = []archsync.Source{archsync.SourceDRS, archsync.SourceSnowball, archsync.SourceSMS}
				runSync(t, o)
				hash := archivetest.ContentHash(t, dir)
				emu.Advance(time.Hour)
				f := emulator.Faults{Truncate: map[string]bool{}, Malformed: map[string]bool{}}
				if fault == "truncated" {
					f.Truncate[op] = true
				} else {
					f.Malformed[op] = true
				}
				emu.SetFaults(f)
				o.Sources = []archsync.Source{archsync.SourceSnowball, archsync.SourceSMS}
				err := archsync.Run(context.Background(), o, &archsync.Stats{})
				if err == nil || !strings.Contains(err.Error(), op) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error %v, want one line naming %s", err, op)
				}
				if op == emulator.OpGetCallerIdentity {
					// Nothing was fetched before the failure.
					if got := archivetest.ContentHash(t, dir); got != hash {
						t.Error("the archive changed")
					}
				}
			})
		}
	}
}

// writeProfiles writes shared config and credentials files with one profile
// per access key, and points the SDK at them.
func writeProfiles(t *testing.T, keys map[string]string) {
	t.Helper()
	d := t.TempDir()
	var conf, creds strings.Builder
	for name, key := range keys {
		conf.WriteString("[profile " + name + "]\nregion = us-east-1\n")
		creds.WriteString("[" + name + "]\naws_access_key_id = " + key + "\naws_secret_access_key = secret-" + name + "\n")
	}
	cf, cr := filepath.Join(d, "config"), filepath.Join(d, "credentials")
	os.WriteFile(cf, []byte(conf.String()), 0o600)
	os.WriteFile(cr, []byte(creds.String()), 0o600)
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": cf, "AWS_SHARED_CREDENTIALS_FILE": cr, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_REGION": "",
	} {
		t.Setenv(k, v)
	}
}

func TestRegionsAndProfiles(t *testing.T) {
	writeProfiles(t, map[string]string{"prod": "AKIDPROD", "stage": "AKIDSTAGE"})
	mux := emulator.NewMux()
	type place struct{ region, key, account string }
	places := []place{
		{"us-east-1", "AKIDPROD", "111111111111"}, {"eu-west-1", "AKIDPROD", "111111111111"},
		{"us-east-1", "AKIDSTAGE", "222222222222"}, {"eu-west-1", "AKIDSTAGE", "222222222222"},
	}
	emus := map[place]*emulator.Server{}
	for _, p := range places {
		// One seed everywhere: the same job, server and cluster IDs turn up
		// in every region and account, and must not collide.
		o := allSources
		o.Region, o.Account = p.region, p.account
		emus[p] = emulator.New(o)
		mux.Add(p.region, p.key, emus[p])
	}
	if err := mux.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mux.Close)

	dir := archivetest.Dir(t)
	o := archsync.Options{
		ArchiveDir: dir, EndpointURL: mux.URL(), MaxBackoff: 5 * time.Millisecond,
		Sources:  []archsync.Source{archsync.SourceDRS, archsync.SourceSnowball, archsync.SourceSMS},
		Profiles: []string{"prod", "stage"}, Regions: []string{"us-east-1", "eu-west-1"},
	}
	st := runSync(t, o)
	if len(st.Targets) != 4 || !strings.Contains(st.Summary(time.Second), "in 4 regions and accounts") {
		t.Errorf("targets %q, summary %q", st.Targets, st.Summary(time.Second))
	}

	// Each place's history is archived whole under its region and account.
	var jobIDs []string
	for _, p := range places {
		emu := emus[p]
		jobIDs = emu.JobIDs()
		for _, k := range []archive.Kind{kinds.DRSJob, kinds.SnowballJob, kinds.SMSJob, kinds.DRSSourceServer} {
			n := 0
			for _, rec := range records(t, dir, k) {
				if rec.Region == p.region && rec.Account == p.account {
					n++
				}
			}
			want := map[archive.Kind]int{kinds.DRSJob: len(emu.Jobs()), kinds.SnowballJob: 10, kinds.SMSJob: 6, kinds.DRSSourceServer: len(emu.SourceServers())}[k]
			if n != want {
				t.Errorf("%s in %s, %s: %d records, want %d", k, p.region, p.account, n, want)
			}
		}
	}
	// Each job's log is its own, in each place.
	st2 := archivetest.Open(t, dir)
	defer st2.Close()
	for _, p := range places {
		for _, id := range emus[p].JobIDs() {
			var log []string
			_ = st2.View(func(r *archive.Reader) error {
				return r.JobLog(archive.JobRef{JobID: id, Region: p.region, Account: p.account}, func(rec archive.Record) error {
					log = append(log, string(rec.Data))
					return nil
				})
			})
			want := emus[p].JobLog(id)
			if len(log) != len(want) {
				t.Errorf("%s in %s, %s: %d log items archived, %d served", id, p.region, p.account, len(log), len(want))
			}
		}
	}

	// Queries and exports filter by region and account.
	ask := func(f query.Filters) int {
		n := 0
		err := st2.View(func(r *archive.Reader) error {
			_, err := query.Run(context.Background(), query.Source{Archive: r, Search: search.Using(nil)}, query.Request{Filters: f}, func(archive.Record, []string) error { n++; return nil })
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	all := ask(query.Filters{JobIDs: jobIDs[:1]})
	one := ask(query.Filters{JobIDs: jobIDs[:1], Regions: []string{"eu-west-1"}, Accounts: []string{"222222222222"}})
	if all != 4*one || one == 0 {
		t.Errorf("job %s: %d records in all, %d in eu-west-1 of 222222222222; want four times as many", jobIDs[0], all, one)
	}
	if n := ask(query.Filters{Kinds: []archive.Kind{kinds.SMSJob}, Accounts: []string{"111111111111"}}); n != 12 {
		t.Errorf("%d SMS jobs of account 111111111111, want 12 (6 in each of 2 regions)", n)
	}
	if n := ask(query.Filters{Regions: []string{"ap-south-1"}}); n != 0 {
		t.Errorf("%d records from a region never synced", n)
	}
}
