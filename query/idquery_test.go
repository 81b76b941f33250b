package query_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/search"
	archsync "github.com/archiver-dev/archiver/sync"
)

// idItem is one record of the emulated history as the ID tests name it,
// with the IDs that select it.
type idItem struct {
	name    string
	kind    archive.Kind
	id      string // own ID; a log item's job
	job     string // the job it is or belongs to (DRS, Snowball, SMS)
	cluster string
	data    map[string]any
}

// idHistory lists every record a complete archive of emu holds after one
// sync observed at seen, computed from the emulator's own state: history's
// DRS records, and the staging accounts, Snowball and SMS jobs.
func idHistory(t *testing.T, emu *emulator.Server, seen time.Time) []idItem {
	t.Helper()
	var out []idItem
	for _, it := range history(t, emu, seen) {
		ii := idItem{name: it.name, kind: it.kind, job: it.job, data: it.data}
		switch it.kind {
		case kinds.DRSJob, kinds.DRSJobLogItem:
			ii.id = it.job
		case kinds.DRSSourceServer:
			ii.id, _ = it.data["sourceServerID"].(string)
		case kinds.DRSRecoverySnapshot:
			ii.id, _ = it.data["snapshotID"].(string)
		case kinds.DRSRecoveryInstance:
			ii.id, _ = it.data["recoveryInstanceID"].(string)
		case kinds.DRSLaunchConfiguration, kinds.DRSReplicationConfiguration:
			ii.id, _ = it.data["sourceServerID"].(string)
		case kinds.DRSSourceNetwork:
			ii.id, _ = it.data["sourceNetworkID"].(string)
		}
		out = append(out, ii)
	}
	for _, acct := range emu.StagingAccounts() {
		out = append(out, idItem{name: "staging " + acct, kind: kinds.DRSStagingAccount, id: acct})
	}
	for _, cid := range emu.ClusterIDs() {
		for _, raw := range emu.ClusterJobs(cid) {
			var j struct{ JobId string }
			json.Unmarshal(raw, &j)
			out = append(out, idItem{name: "snowball " + j.JobId, kind: kinds.SnowballJob, id: j.JobId, job: j.JobId, cluster: cid, data: obj(raw)})
		}
	}
	for _, raw := range emu.ReplicationJobs() {
		var j struct {
			ReplicationJobID string `json:"replicationJobId"`
		}
		json.Unmarshal(raw, &j)
		out = append(out, idItem{name: "sms " + j.ReplicationJobID, kind: kinds.SMSJob, id: j.ReplicationJobID, job: j.ReplicationJobID, data: obj(raw)})
	}
	return out
}

// idName names an archived record as idHistory does.
func idName(rec archive.Record) string {
	if rec.Kind == kinds.DRSStagingAccount {
		return "staging " + rec.ID
	}
	return name(rec)
}

// askIDs runs a query and returns the names of the records, as idName
// gives them.
func askIDs(t *testing.T, dir string, f query.Filters) []string {
	t.Helper()
	st, x := openSource(t, dir)
	var got []string
	err := st.View(func(r *archive.Reader) error {
		_, err := query.Run(t.Context(), query.Source{Archive: r, Search: search.Using(x)}, query.Request{Filters: f}, func(rec archive.Record, _ []string) error {
			got = append(got, idName(rec))
			return nil
		})
		return err
	})
	if err != nil {
		t.Fatalf("query %+v: %v", f, err)
	}
	return got
}

// firstOf returns the first item that keep accepts, or fails the test.
func firstOf(t *testing.T, h []idItem, what string, keep func(idItem) bool) idItem {
	t.Helper()
	for _, it := range h {
		if keep(it) {
			return it
		}
	}
	t.Fatalf("the history has no %s; the test proves nothing", what)
	return idItem{}
}

// syncAll syncs every source of emu into dir, observed at seen.
func syncAll(t *testing.T, dir string, emu *emulator.Server, seen time.Time) {
	t.Helper()
	var st archsync.Stats
	err := archsync.Run(t.Context(), archsync.Options{
		ArchiveDir: dir, Regions: []string{emu.Region()}, EndpointURL: emu.URL(),
		Sources:     []archsync.Source{archsync.SourceDRS, archsync.SourceSnowball, archsync.SourceSMS},
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Now:         func() time.Time { return seen },
	}, &st)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
}

func TestQueryIDs(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 53})
	dir := archivetest.Dir(t)
	seen := emu.Now()
	syncAll(t, dir, emu, seen)
	h := idHistory(t, emu, seen)
	kindIs := func(k archive.Kind) func(idItem) bool { return func(it idItem) bool { return it.kind == k } }
	// A job with a failed launch, so that --event narrows its log.
	failed := firstOf(t, h, "failed launch", func(it idItem) bool { return it.data["event"] == "LAUNCH_FAILED" })
	snowball := firstOf(t, h, "Snowball job", kindIs(kinds.SnowballJob))
	sms := firstOf(t, h, "SMS job", kindIs(kinds.SMSJob))
	server := firstOf(t, h, "source server", kindIs(kinds.DRSSourceServer))
	snapshot := firstOf(t, h, "recovery snapshot", kindIs(kinds.DRSRecoverySnapshot))
	instance := firstOf(t, h, "recovery instance", kindIs(kinds.DRSRecoveryInstance))
	staging := firstOf(t, h, "staging account", kindIs(kinds.DRSStagingAccount))
	network := firstOf(t, h, "source network", kindIs(kinds.DRSSourceNetwork))
	firstOf(t, h, "launch configuration", kindIs(kinds.DRSLaunchConfiguration))
	// hasID selects the records whose own ID is id, of whatever kind.
	hasID := func(id string) func(idItem) bool {
		return func(it idItem) bool { return it.id == id && it.kind != kinds.DRSJob && it.kind != kinds.DRSJobLogItem }
	}
	var clusters []string
	for _, it := range h {
		if it.kind == kinds.SnowballJob && !slices.Contains(clusters, it.cluster) {
			clusters = append(clusters, it.cluster)
		}
	}
	if len(clusters) < 2 {
		t.Fatalf("%d Snowball clusters: a cluster's jobs are not told apart from all", len(clusters))
	}
	ofJob := func(job string) func(idItem) bool {
		return func(it idItem) bool { return it.job == job && it.kind != kinds.DRSSourceServer }
	}
	dataIs := func(member, value string) func(idItem) bool {
		return func(it idItem) bool { return it.kind == kinds.DRSJob && it.data[member] == value }
	}
	tests := []struct {
		name string
		f    query.Filters
		want func(idItem) bool
	}{
		{"DRS job", query.Filters{JobIDs: []string{failed.job}}, ofJob(failed.job)},
		{"Snowball job", query.Filters{JobIDs: []string{snowball.job}}, ofJob(snowball.job)},
		{"SMS job", query.Filters{JobIDs: []string{sms.job}}, ofJob(sms.job)},
		{"jobs of three services", query.Filters{JobIDs: []string{failed.job, snowball.job, sms.job}},
			func(it idItem) bool { return ofJob(failed.job)(it) || ofJob(snowball.job)(it) || ofJob(sms.job)(it) }},
		{"Snowball job and kind", query.Filters{JobIDs: []string{snowball.job, failed.job}, Kinds: []archive.Kind{kinds.SnowballJob}}, ofJob(snowball.job)},
		{"DRS job and event", query.Filters{JobIDs: []string{failed.job}, Events: []string{"LAUNCH_FAILED"}},
			func(it idItem) bool { return it.job == failed.job && it.data["event"] == "LAUNCH_FAILED" }},
		{"SMS job and status", query.Filters{JobIDs: []string{sms.job}, Statuses: []string{fmt.Sprint(sms.data["state"])}}, ofJob(sms.job)},
		{"id: DRS job", query.Filters{IDs: []string{failed.job}}, ofJob(failed.job)},
		{"id: Snowball job", query.Filters{IDs: []string{snowball.id}}, ofJob(snowball.job)},
		{"id: SMS job", query.Filters{IDs: []string{sms.id}}, ofJob(sms.job)},
		// A source server's ID names the server and its settings.
		{"id: source server", query.Filters{IDs: []string{server.id}}, hasID(server.id)},
		{"id: source network", query.Filters{IDs: []string{network.id}}, hasID(network.id)},
		{"id: recovery snapshot", query.Filters{IDs: []string{snapshot.id}}, func(it idItem) bool { return it.kind == kinds.DRSRecoverySnapshot && it.id == snapshot.id }},
		{"id: recovery instance", query.Filters{IDs: []string{instance.id}}, func(it idItem) bool { return it.kind == kinds.DRSRecoveryInstance && it.id == instance.id }},
		{"id: staging account", query.Filters{IDs: []string{staging.id}}, func(it idItem) bool { return it.kind == kinds.DRSStagingAccount && it.id == staging.id }},
		{"id: Snowball cluster", query.Filters{IDs: []string{clusters[0]}}, func(it idItem) bool { return it.kind == kinds.SnowballJob && it.cluster == clusters[0] }},
		{"job id in upper case", query.Filters{JobIDs: []string{failed.job[:7] + strings.ToUpper(failed.job[7:])}}, ofJob(failed.job)},
		{"id: source server in upper case", query.Filters{IDs: []string{"s-" + strings.ToUpper(server.id[2:])}}, hasID(server.id)},
		{"id: Snowball cluster in upper case", query.Filters{IDs: []string{strings.ToUpper(clusters[0])}}, func(it idItem) bool { return it.kind == kinds.SnowballJob && it.cluster == clusters[0] }},
		{"ids of several kinds", query.Filters{IDs: []string{server.id, snapshot.id, clusters[1]}}, func(it idItem) bool {
			return hasID(server.id)(it) || it.kind == kinds.DRSRecoverySnapshot && it.id == snapshot.id ||
				it.kind == kinds.SnowballJob && it.cluster == clusters[1]
		}},
		{"id and job id", query.Filters{IDs: []string{clusters[0], clusters[1]}, JobIDs: []string{snowball.job, sms.job}}, ofJob(snowball.job)},
		{"id and kind", query.Filters{IDs: []string{failed.job}, Kinds: []archive.Kind{kinds.DRSJob}},
			func(it idItem) bool { return it.kind == kinds.DRSJob && it.job == failed.job }},
		{"id and text", query.Filters{IDs: []string{failed.job}, Text: "LAUNCH_FAILED"},
			func(it idItem) bool { return it.job == failed.job && it.data["event"] == "LAUNCH_FAILED" }},
		{"initiated by", query.Filters{InitiatedBy: []string{"START_DRILL"}}, dataIs("initiatedBy", "START_DRILL")},
		{"initiated by either", query.Filters{InitiatedBy: []string{"START_DRILL", "START_RECOVERY"}},
			func(it idItem) bool {
				return dataIs("initiatedBy", "START_DRILL")(it) || dataIs("initiatedBy", "START_RECOVERY")(it)
			}},
		{"type", query.Filters{Types: []string{"LAUNCH"}}, dataIs("type", "LAUNCH")},
		{"type and initiated by", query.Filters{Types: []string{"LAUNCH"}, InitiatedBy: []string{"START_RECOVERY"}},
			func(it idItem) bool {
				return dataIs("type", "LAUNCH")(it) && dataIs("initiatedBy", "START_RECOVERY")(it)
			}},
		{"initiated by and job", query.Filters{InitiatedBy: []string{fmt.Sprint(h[0].data["initiatedBy"])}, JobIDs: []string{h[0].job}},
			func(it idItem) bool { return it.kind == kinds.DRSJob && it.job == h[0].job }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for _, it := range h {
				if tc.want(it) {
					want = append(want, it.name)
				}
			}
			sameSet(t, tc.name, askIDs(t, dir, tc.f), want)
		})
	}
}

// openSource opens the archive in dir and its index for reading, until the
// test ends.
func openSource(t *testing.T, dir string) (*archive.Store, *index.Index) {
	t.Helper()
	st, err := archive.Open(t.Context(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	x, err := index.Open(dir, index.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return st, x
}

// TestQueryObservations: --job-id and --id give every observation of a
// Snowball or SMS job, and of a Snowball cluster's jobs, across syncs.
func TestQueryObservations(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 59})
	dir := archivetest.Dir(t)
	// served[id] holds the objects the emulator served for a job, one per
	// sync; cluster[id] the cluster of a Snowball job.
	served, cluster := map[string][]string{}, map[string]string{}
	record := func() {
		for _, cid := range emu.ClusterIDs() {
			for _, raw := range emu.ClusterJobs(cid) {
				var j struct{ JobId string }
				json.Unmarshal(raw, &j)
				served[j.JobId] = append(served[j.JobId], string(raw))
				cluster[j.JobId] = cid
			}
		}
		for _, raw := range emu.ReplicationJobs() {
			var j struct {
				ReplicationJobID string `json:"replicationJobId"`
			}
			json.Unmarshal(raw, &j)
			served[j.ReplicationJobID] = append(served[j.ReplicationJobID], string(raw))
		}
	}
	for i := range 3 {
		if i > 0 {
			emu.Advance(36 * time.Hour)
		}
		record()
		syncAll(t, dir, emu, emu.Now())
	}
	st, x := openSource(t, dir)
	ask := func(f query.Filters) []archive.Record {
		var out []archive.Record
		err := st.View(func(r *archive.Reader) error {
			_, err := query.Run(t.Context(), query.Source{Archive: r, Search: search.Using(x)}, query.Request{Filters: f}, func(rec archive.Record, _ []string) error {
				out = append(out, rec)
				return nil
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	changed := 0
	for id, objs := range served {
		snowball := cluster[id] != ""
		// A Snowball job's observations are the distinct objects served
		// (its fingerprint is the whole object). An SMS job's leave out
		// fields that move on every call: its first object is kept, and
		// every record is an object served.
		var want []string
		for _, o := range objs {
			if !slices.Contains(want, o) {
				want = append(want, o)
			}
		}
		if snowball && len(want) > 1 {
			changed++
		}
		for _, f := range []query.Filters{{JobIDs: []string{id}}, {IDs: []string{id}}} {
			var got []string
			for _, rec := range ask(f) {
				if rec.ID != id {
					t.Errorf("%+v gave a record of %s %s", f, rec.Kind, rec.ID)
				}
				got = append(got, string(rec.Data))
			}
			switch {
			case snowball:
				sameSet(t, id, got, want)
			case !slices.Contains(got, objs[0]):
				t.Errorf("%s: the first object served is not among the %d records", id, len(got))
			default:
				for _, g := range got {
					if !slices.Contains(want, g) {
						t.Errorf("%s: a record holds an object never served: %.100s", id, g)
					}
				}
			}
		}
	}
	if changed == 0 {
		t.Fatal("no Snowball job changed state between syncs; the test proves nothing")
	}
	// A cluster's jobs, every observation of each.
	cid := emu.ClusterIDs()[0]
	var want, got []string
	for id, objs := range served {
		if cluster[id] == cid {
			for _, o := range objs {
				if !slices.Contains(want, o) {
					want = append(want, o)
				}
			}
		}
	}
	for _, rec := range ask(query.Filters{IDs: []string{cid}}) {
		got = append(got, string(rec.Data))
	}
	sameSet(t, "cluster "+cid, got, want)
}
