package conformance_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
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
	"github.com/archiver-dev/archiver/query/ddl"
	"github.com/archiver-dev/archiver/query/export"
	"github.com/archiver-dev/archiver/query/export/s3dest"
	"github.com/archiver-dev/archiver/query/search"
	archsync "github.com/archiver-dev/archiver/sync"
)

// fixture is what the suite knows of a kind beyond its registry entry: where
// the emulator keeps the kind's objects. It is the only code per kind.
type fixture struct {
	// objects returns the emulator's current objects of the kind by the
	// parent they are listed under (a job, a source server, a Snowball
	// cluster; "" for a kind listed at once), each parent's in the order
	// they are listed.
	objects func(t *testing.T, emu *emulator.Server) map[string][]json.RawMessage
	// unknown says the emulator gives some objects of the kind members the
	// SDK does not model (x-...).
	unknown bool
	// remove deletes one object of the kind upstream and returns its ID,
	// and fault interrupts the listing whose completeness marks it: kinds
	// with a sweep only.
	remove func(t *testing.T, emu *emulator.Server) string
	fault  emulator.Faults
}

// fixtures holds an entry for every kind of the registry.
var fixtures = map[kinds.Kind]fixture{
	kinds.DRSJob: {
		objects: listed(func(emu *emulator.Server) []json.RawMessage { return emu.Jobs() }),
		unknown: true,
		remove: func(t *testing.T, emu *emulator.Server) string {
			ids := emu.JobIDs()
			return deleted(t, ids[len(ids)-1], emu.DeleteJob)
		},
		fault: repeatTokens(emulator.OpDescribeJobs),
	},
	kinds.DRSJobLogItem: {
		objects: func(t *testing.T, emu *emulator.Server) map[string][]json.RawMessage {
			out := map[string][]json.RawMessage{}
			for _, id := range emu.JobIDs() {
				out[id] = emu.JobLog(id)
			}
			return out
		},
		unknown: true,
	},
	kinds.DRSSourceServer: {
		objects: listed(func(emu *emulator.Server) []json.RawMessage { return emu.SourceServers() }),
		unknown: true,
		remove:  removeServer(1),
		fault:   repeatTokens(emulator.OpDescribeSourceServers),
	},
	kinds.DRSStagingAccount: {
		objects: func(t *testing.T, emu *emulator.Server) map[string][]json.RawMessage {
			var out []json.RawMessage
			for _, a := range emu.StagingAccounts() {
				b, err := json.Marshal(map[string]string{"accountID": a})
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, b)
			}
			return map[string][]json.RawMessage{"": out}
		},
	},
	kinds.DRSRecoverySnapshot: {
		objects: func(t *testing.T, emu *emulator.Server) map[string][]json.RawMessage {
			out := map[string][]json.RawMessage{}
			for _, id := range serverIDs(t, emu) {
				if snaps := emu.RecoverySnapshots(id); len(snaps) > 0 {
					out[id] = snaps
				}
			}
			return out
		},
		unknown: true,
	},
	kinds.DRSRecoveryInstance: {
		objects: listed(func(emu *emulator.Server) []json.RawMessage { return emu.RecoveryInstances() }),
		unknown: true,
	},
	kinds.DRSLaunchConfiguration: {
		objects: listed(func(emu *emulator.Server) []json.RawMessage { return emu.LaunchConfigurations() }),
		unknown: true,
		remove:  removeServer(2),
		fault:   repeatTokens(emulator.OpDescribeSourceServers),
	},
	kinds.DRSReplicationConfiguration: {
		objects: listed(func(emu *emulator.Server) []json.RawMessage { return emu.ReplicationConfigurations() }),
		unknown: true,
		remove:  removeServer(3),
		fault:   repeatTokens(emulator.OpDescribeSourceServers),
	},
	kinds.DRSSourceNetwork: {
		objects: listed(func(emu *emulator.Server) []json.RawMessage { return emu.SourceNetworks() }),
		unknown: true,
		remove: func(t *testing.T, emu *emulator.Server) string {
			return deleted(t, emu.SourceNetworkIDs()[0], emu.DeleteSourceNetwork)
		},
		fault: repeatTokens(emulator.OpDescribeSourceNetworks),
	},
	kinds.SnowballJob: {
		objects: func(t *testing.T, emu *emulator.Server) map[string][]json.RawMessage {
			out := map[string][]json.RawMessage{}
			for _, c := range emu.ClusterIDs() {
				out[c] = emu.ClusterJobs(c)
			}
			return out
		},
		unknown: true,
		remove: func(t *testing.T, emu *emulator.Server) string {
			jobs := emu.ClusterJobs(emu.ClusterIDs()[0])
			return deleted(t, memberOf(t, jobs[1], "JobId"), emu.DeleteSnowballJob)
		},
		fault: repeatTokens(emulator.OpListClusterJobs),
	},
	kinds.SMSJob: {
		objects: listed(func(emu *emulator.Server) []json.RawMessage { return emu.ReplicationJobs() }),
		unknown: true,
		remove: func(t *testing.T, emu *emulator.Server) string {
			return deleted(t, memberOf(t, emu.ReplicationJobs()[1], "replicationJobId"), emu.DeleteReplicationJob)
		},
		fault: repeatTokens(emulator.OpGetReplicationJobs),
	},
}

// listed is the objects of a fixture whose kind is listed at once.
func listed(f func(emu *emulator.Server) []json.RawMessage) func(*testing.T, *emulator.Server) map[string][]json.RawMessage {
	return func(_ *testing.T, emu *emulator.Server) map[string][]json.RawMessage {
		return map[string][]json.RawMessage{"": f(emu)}
	}
}

// removeServer deletes the i-th source server, and with it its settings.
func removeServer(i int) func(*testing.T, *emulator.Server) string {
	return func(t *testing.T, emu *emulator.Server) string {
		return deleted(t, serverIDs(t, emu)[i], emu.DeleteSourceServer)
	}
}

// deleted deletes id upstream with del and returns it.
func deleted(t *testing.T, id string, del func(string) error) string {
	t.Helper()
	if err := del(id); err != nil {
		t.Fatalf("delete %s upstream: %v", id, err)
	}
	return id
}

// repeatTokens interrupts listings of op by handing back their first
// nextToken for ever.
func repeatTokens(op string) emulator.Faults {
	return emulator.Faults{RepeatTokens: map[string]int{op: 1}}
}

func serverIDs(t *testing.T, emu *emulator.Server) []string {
	t.Helper()
	var out []string
	for _, raw := range emu.SourceServers() {
		out = append(out, memberOf(t, raw, "sourceServerID"))
	}
	return out
}

// memberOf returns the string member name of the object raw.
func memberOf(t *testing.T, raw []byte, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%v: %.200s", err, raw)
	}
	s, _ := m[name].(string)
	return s
}

// object is one object the emulator serves, under its parent, at its
// position in the parent's listing.
type object struct {
	parent string
	pos    int
	raw    json.RawMessage
}

// objectsOf returns the emulator's objects of the kind, parents in order.
func objectsOf(t *testing.T, spec *kinds.Spec, emu *emulator.Server) []object {
	t.Helper()
	byParent := fixtures[spec.Kind].objects(t, emu)
	var out []object
	for _, p := range slices.Sorted(maps.Keys(byParent)) {
		for i, raw := range byParent[p] {
			out = append(out, object{parent: p, pos: i, raw: raw})
		}
	}
	return out
}

// identity names an object as the registry says it is told apart: by its
// own ID, or by its position in its parent's listing, under its parent for
// kinds listed per parent.
func (o object) identity(t *testing.T, spec *kinds.Spec) string {
	id := "#" + strconv.Itoa(o.pos)
	if spec.IDMember != "" {
		id = memberOf(t, o.raw, spec.IDMember)
	}
	if spec.Parent != kinds.NoParent {
		return o.parent + "/" + id
	}
	return id
}

// recordIdentity names a record as identity names the object it holds.
func recordIdentity(spec *kinds.Spec, rec archive.Record) string {
	id := rec.ID
	if id == "" && rec.Pos != nil {
		id = "#" + strconv.Itoa(*rec.Pos)
	}
	if spec.Parent != kinds.NoParent {
		return spec.ParentIn(rec.JobID, rec.ClusterID) + "/" + id
	}
	return id
}

// byIdentity maps the objects by identity, failing on one told twice.
func byIdentity(t *testing.T, spec *kinds.Spec, objs []object) map[string]object {
	t.Helper()
	out := map[string]object{}
	for _, o := range objs {
		id := o.identity(t, spec)
		if _, dup := out[id]; dup {
			t.Fatalf("the emulator serves two objects of %s as %s", spec.Kind, id)
		}
		out[id] = o
	}
	return out
}

// recordsByIdentity groups records by identity, oldest key first.
func recordsByIdentity(spec *kinds.Spec, recs []archive.Record) map[string][]archive.Record {
	out := map[string][]archive.Record{}
	for _, rec := range recs {
		id := recordIdentity(spec, rec)
		out[id] = append(out[id], rec)
	}
	return out
}

func compact(t *testing.T, raw []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("%v: %.200s", err, raw)
	}
	return b.String()
}

// hasUnknown reports whether raw has a member the SDK does not model.
func hasUnknown(raw []byte) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if strings.HasPrefix(k, "x-") || walk(e) {
					return true
				}
			}
		case []any:
			return slices.ContainsFunc(x, walk)
		}
		return false
	}
	return walk(v)
}

// covered decodes raw without the members the AWS CLI does not print (the
// unknown x-... ones), numbers as float64 as the CLI writes them.
func covered(t *testing.T, raw []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%v: %.200s", err, raw)
	}
	var strip func(v any)
	strip = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if strings.HasPrefix(k, "x-") {
					delete(x, k)
				} else {
					strip(e)
				}
			}
		case []any:
			for _, e := range x {
				strip(e)
			}
		}
	}
	strip(v)
	return v
}

// state is an object's state as the kind's registry entry declares it:
// decoded, its Volatile members left out (a "*" standing for every element
// of an array), its Adjust applied, in canonical form.
func state(t *testing.T, spec *kinds.Spec, raw []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%v: %.200s", err, raw)
	}
	var drop func(v any, path []string)
	drop = func(v any, path []string) {
		switch x := v.(type) {
		case map[string]any:
			if len(path) == 1 {
				delete(x, path[0])
			} else {
				drop(x[path[0]], path[1:])
			}
		case []any:
			if path[0] == "*" {
				for _, e := range x {
					drop(e, path[1:])
				}
			}
		}
	}
	for _, p := range spec.State.Volatile {
		drop(m, p)
	}
	if spec.State.Adjust != nil {
		spec.State.Adjust(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantTime is the time a record of the object must carry: its TimeMember,
// or the time it was captured.
func wantTime(t *testing.T, spec *kinds.Spec, raw []byte, captured time.Time) time.Time {
	t.Helper()
	if spec.TimeMember == "" {
		return captured
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	if v, ok := m[spec.TimeMember]; ok {
		if at, ok := kinds.TimeValue(v); ok {
			return at
		}
	}
	return captured
}

// syncOptions syncs sources of emu into dir, observed at now.
func syncOptions(dir string, emu *emulator.Server, now func() time.Time, sources ...archsync.Source) archsync.Options {
	if len(sources) == 0 {
		for _, s := range kinds.Sources() {
			sources = append(sources, archsync.Source(s))
		}
	}
	return archsync.Options{
		ArchiveDir: dir, Regions: []string{emu.Region()}, EndpointURL: emu.URL(), Sources: sources,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		MaxBackoff:  5 * time.Millisecond, MaxAttempts: 20, Now: now,
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

// readRecords returns every record of the archive in dir by kind, in key
// order, and how many there are of each.
func readRecords(t *testing.T, dir string) map[kinds.Kind][]archive.Record {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[kinds.Kind][]archive.Record{}
	err = st.View(func(r *archive.Reader) error {
		for _, k := range kinds.Names() {
			if err := r.Each(k, func(rec archive.Record) error {
				out[k] = append(out[k], rec)
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// markings returns the deleted-upstream markings of the archive in dir,
// as "kind id".
func markings(t *testing.T, dir string) []string {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out []string
	err = st.View(func(r *archive.Reader) error {
		return r.EachDeleted(func(m archive.Marking) error {
			out = append(out, string(m.Kind)+" "+m.ID)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// writeCLIFiles saves objs as the AWS CLI prints the kind's listing, one
// file per parent named for it (the job or cluster ID in the file name),
// and returns the files.
func writeCLIFiles(t *testing.T, spec *kinds.Spec, objs []object) []string {
	t.Helper()
	dir := t.TempDir()
	byParent := map[string][]json.RawMessage{}
	for _, o := range objs {
		byParent[o.parent] = append(byParent[o.parent], o.raw)
	}
	var files []string
	for _, p := range slices.Sorted(maps.Keys(byParent)) {
		name := string(spec.Kind) + ".json"
		if p != "" {
			name = string(spec.Kind) + "-" + p + ".json"
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, archivetest.CLIOutput(t, spec.ListMember, byParent[p]), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	return files
}

// history is an emulated history synced once into an archive.
type history struct {
	emu  *emulator.Server
	dir  string
	seen time.Time
	objs map[kinds.Kind][]object
	recs map[kinds.Kind][]archive.Record
}

// hist is the history every kind's checks read: every source, every kind,
// with recovery instances and members the SDK does not model.
var hist = emulator.Options{Seed: 17, Jobs: 8, LogItemsPerJob: 5, Servers: 5, SnowballClusters: 2, SnowballJobsPerCluster: 5, SMSJobs: 6}

// deleteHist is the history of a deleted-upstream check: small pages, so
// that a fault interrupts a listing between pages.
var deleteHist = emulator.Options{Seed: 5, Jobs: 6, LogItemsPerJob: 4, Servers: 6, SnowballClusters: 2, SnowballJobsPerCluster: 4, SMSJobs: 5}

func newHistory(t *testing.T, o emulator.Options) *history {
	t.Helper()
	h := &history{emu: archivetest.Emulator(t, o), dir: archivetest.Dir(t), objs: map[kinds.Kind][]object{}}
	h.seen = h.emu.Now()
	runSync(t, syncOptions(h.dir, h.emu, func() time.Time { return h.seen }))
	for _, spec := range kinds.All() {
		if _, ok := fixtures[spec.Kind]; ok {
			h.objs[spec.Kind] = objectsOf(t, spec, h.emu)
		}
	}
	h.recs = readRecords(t, h.dir)
	return h
}

// changes is what happened to a kind in the history that moves on: synced,
// synced again, its CLI output imported, synced, then an hour later synced
// again, twice.
type changes struct {
	before                        []object
	synced, resynced, imported    int // records after each step
	reimported                    int
	addedResync, addedAfterImport int64
	imports                       archsync.ImportResult
	importErr                     error
	hours                         []hour
}

// hour is one hour of the history: the objects before and after, how many
// records the sync after it added, and the records then.
type hour struct {
	before, after []object
	added         int
	recs          []archive.Record
}

func count(recs map[kinds.Kind][]archive.Record) map[kinds.Kind]int {
	out := map[kinds.Kind]int{}
	for k, rs := range recs {
		out[k] = len(rs)
	}
	return out
}

// moveOn runs the history that moves on, and returns what happened to
// each kind.
func moveOn(t *testing.T) map[kinds.Kind]*changes {
	t.Helper()
	h := newHistory(t, hist)
	out := map[kinds.Kind]*changes{}
	synced := count(h.recs)
	st := runSync(t, syncOptions(h.dir, h.emu, func() time.Time { return h.seen }))
	resynced := count(readRecords(t, h.dir))
	for _, spec := range kinds.All() {
		c := &changes{before: h.objs[spec.Kind], synced: synced[spec.Kind], resynced: resynced[spec.Kind], addedResync: st.Added(spec.Kind)}
		io := archsync.ImportOptions{ArchiveDir: h.dir, CapturedAt: h.seen}
		if spec.NeedsWhere() {
			io.Region, io.Account = h.emu.Region(), h.emu.Account()
		}
		c.imports, c.importErr = archsync.Import(context.Background(), io, writeCLIFiles(t, spec, c.before))
		out[spec.Kind] = c
	}
	imported := count(readRecords(t, h.dir))
	st = runSync(t, syncOptions(h.dir, h.emu, func() time.Time { return h.seen }))
	reimported := count(readRecords(t, h.dir))
	for _, spec := range kinds.All() {
		c := out[spec.Kind]
		c.imported, c.reimported, c.addedAfterImport = imported[spec.Kind], reimported[spec.Kind], st.Added(spec.Kind)
	}
	// Two hours: in the first, launches change most objects' state; in
	// the second, some objects change only in their volatile members.
	counts, objs := reimported, h.objs
	for range 2 {
		h.emu.Advance(time.Hour)
		runSync(t, syncOptions(h.dir, h.emu, h.emu.Now))
		recs := readRecords(t, h.dir)
		now := map[kinds.Kind][]object{}
		for _, spec := range kinds.All() {
			now[spec.Kind] = objectsOf(t, spec, h.emu)
			out[spec.Kind].hours = append(out[spec.Kind].hours, hour{before: objs[spec.Kind], after: now[spec.Kind],
				added: len(recs[spec.Kind]) - counts[spec.Kind], recs: recs[spec.Kind]})
		}
		counts, objs = count(recs), now
	}
	return out
}

// exports are the JSON and partitioned S3 exports of an archive, their
// record lines by the kind each line says.
type exports struct {
	json map[kinds.Kind][]archive.Record
	// s3 maps the kind=... directory of each line to its record.
	s3 map[string][]archive.Record
	// members holds, by kind, the members the lines of the JSON export
	// and the S3 export carry.
	members map[kinds.Kind]map[string]bool
}

func exportAll(t *testing.T, dir string) exports {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var doc bytes.Buffer
	mem := archivetest.NewMemStore()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	err = st.View(func(r *archive.Reader) error {
		if _, err := export.Write(context.Background(), r, &doc, export.Options{Now: now, TempDir: t.TempDir()}); err != nil {
			return err
		}
		_, err := s3dest.Write(context.Background(), r, mem, s3dest.Options{Now: now, ExportID: "conformance"})
		return err
	})
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	out := exports{json: map[kinds.Kind][]archive.Record{}, s3: map[string][]archive.Record{}, members: map[kinds.Kind]map[string]bool{}}
	decode := func(line []byte) archive.Record {
		var rec archive.Record
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("export line: %v: %.200s", err, line)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(line, &top); err != nil {
			t.Fatalf("export line: %v: %.200s", err, line)
		}
		if out.members[rec.Kind] == nil {
			out.members[rec.Kind] = map[string]bool{}
		}
		for m := range top {
			out.members[rec.Kind][m] = true
		}
		return rec
	}
	_, lines, _ := archivetest.ExportParts(t, doc.Bytes())
	for _, l := range lines {
		rec := decode(l)
		out.json[rec.Kind] = append(out.json[rec.Kind], rec)
	}
	for key, body := range mem.Objects {
		dir, _, _ := strings.Cut(key, "/")
		if !strings.HasPrefix(dir, "kind=") || !strings.HasSuffix(key, ".jsonl.gz") {
			continue
		}
		for _, l := range archivetest.GunzipLines(t, body) {
			out.s3[dir] = append(out.s3[dir], decode([]byte(l)))
		}
	}
	return out
}

// exported compares an export's records of a kind with the archived ones:
// one line each, with the same identity, capture time and data (a record
// line carries no record time or log position).
func exported(t *testing.T, spec *kinds.Spec, what string, got, want []archive.Record) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("no %s archived: the check proves nothing", spec.Plural)
	}
	line := func(rec archive.Record) string {
		job, captured := "", ""
		if spec.Parent == kinds.ParentJob {
			job = rec.JobID
		}
		if rec.CapturedAt != nil {
			captured = rec.CapturedAt.UTC().Format(time.RFC3339Nano)
		}
		return fmt.Sprintf("%s %s %s %s %s %s %s %s", rec.Kind, rec.ID, rec.Region, rec.Account, job, rec.ClusterID, captured, compact(t, rec.Data))
	}
	var g, w []string
	for _, rec := range got {
		g = append(g, line(rec))
	}
	for _, rec := range want {
		w = append(w, line(rec))
	}
	slices.Sort(g)
	slices.Sort(w)
	if len(g) != len(w) {
		t.Errorf("%s holds %d lines of %s, the archive %d records", what, len(g), spec.Kind, len(w))
	}
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			t.Errorf("%s differs from the archive:\n %.300s\nwant\n %.300s", what, g[i], w[i])
			break
		}
	}
}

// TestConformance runs every kind of the registry through the same checks.
func TestConformance(t *testing.T) {
	t.Run("fixtures", func(t *testing.T) {
		for _, spec := range kinds.All() {
			f, ok := fixtures[spec.Kind]
			switch {
			case !ok:
				t.Errorf("%s has no fixture: add its entry to the fixture table", spec.Kind)
			case spec.Sweep == kinds.NoSweep && f.remove != nil:
				t.Errorf("%s has no sweep, but its fixture deletes upstream", spec.Kind)
			case spec.Sweep != kinds.NoSweep && (f.remove == nil || len(f.fault.RepeatTokens)+len(f.fault.Truncate) == 0):
				t.Errorf("%s has a sweep: its fixture must delete an object upstream and name a fault", spec.Kind)
			}
		}
		for k := range fixtures {
			if kinds.Of(k) == nil {
				t.Errorf("fixture for %s, which the registry does not hold", k)
			}
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	h := newHistory(t, hist)
	moved := moveOn(t)
	exp := exportAll(t, h.dir)
	st, err := archive.Open(context.Background(), h.dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	x, err := index.Open(h.dir, index.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })

	// The hours must change some object's state, and some object's
	// volatile members alone, or the change-only checks prove nothing.
	t.Run("history moves on", func(t *testing.T) {
		changed, volatile := 0, 0
		for _, spec := range kinds.All() {
			for _, hr := range moved[spec.Kind].hours {
				if spec.Observed() {
					changed += changedStates(t, spec, hr.before, hr.after)
					volatile += changedBytes(t, spec, hr.before, hr.after) - changedStates(t, spec, hr.before, hr.after)
				}
			}
		}
		if changed == 0 || volatile == 0 {
			t.Errorf("two hours changed the state of %d observed objects, and %d in volatile members alone: the change-only checks prove little", changed, volatile)
		}
	})

	for _, spec := range kinds.All() {
		t.Run(string(spec.Kind), func(t *testing.T) {
			t.Parallel()
			objs, recs := h.objs[spec.Kind], h.recs[spec.Kind]
			if len(objs) == 0 {
				t.Fatalf("the emulator serves no %s: the checks prove nothing", spec.Plural)
			}
			t.Run("verbatim", func(t *testing.T) { checkVerbatim(t, spec, h, objs, recs) })
			t.Run("changes", func(t *testing.T) { checkChanges(t, spec, moved[spec.Kind]) })
			t.Run("deleted upstream", func(t *testing.T) { checkDeleted(t, spec) })
			t.Run("import", func(t *testing.T) { checkImport(t, spec, h, objs, recs, moved[spec.Kind]) })
			t.Run("index document", func(t *testing.T) { checkDocuments(t, spec, recs) })
			t.Run("query", func(t *testing.T) { checkQuery(t, spec, st, x, recs) })
			t.Run("table and csv", func(t *testing.T) { checkRows(t, spec, recs) })
			t.Run("export", func(t *testing.T) {
				exported(t, spec, "the JSON export", exp.json[spec.Kind], recs)
				dir := "kind=" + string(spec.Kind)
				for _, rec := range exp.s3[dir] {
					if rec.Kind != spec.Kind {
						t.Fatalf("the S3 export wrote a %s record under %s/", rec.Kind, dir)
					}
				}
				exported(t, spec, "the S3 export under "+dir+"/", exp.s3[dir], recs)
			})
			t.Run("ddl", func(t *testing.T) { checkDDL(t, spec, exp.members[spec.Kind]) })
		})
	}
}

// checkVerbatim: every object served is archived once, byte for byte, at
// its time; members the SDK does not model are kept.
func checkVerbatim(t *testing.T, spec *kinds.Spec, h *history, objs []object, recs []archive.Record) {
	want := byIdentity(t, spec, objs)
	got := recordsByIdentity(spec, recs)
	for id, o := range want {
		rs := got[id]
		if len(rs) != 1 {
			t.Errorf("%s %s: %d records after one sync, want 1", spec.Kind, id, len(rs))
			continue
		}
		rec := rs[0]
		if !bytes.Equal(rec.Data, o.raw) {
			t.Errorf("%s %s: archived\n %.300s\nserved\n %.300s", spec.Kind, id, rec.Data, o.raw)
		}
		if at := wantTime(t, spec, o.raw, h.seen); !rec.Time.Equal(at) {
			t.Errorf("%s %s: time %s, want %s", spec.Kind, id, rec.Time, at)
		}
		if rec.Kind != spec.Kind {
			t.Errorf("%s %s: a record of kind %s", spec.Kind, id, rec.Kind)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("%s %s: archived, but the emulator serves no such object", spec.Kind, id)
		}
	}
	served := slices.ContainsFunc(objs, func(o object) bool { return hasUnknown(o.raw) })
	kept := slices.ContainsFunc(recs, func(rec archive.Record) bool { return hasUnknown(rec.Data) })
	// The emulator adds members the SDK does not model to some kinds only
	// (see emulator.Options.NoUnknownFields); the fixture says which, so
	// that the property is exercised wherever the emulator provides it.
	switch f := fixtures[spec.Kind]; {
	case f.unknown && !served:
		t.Errorf("the fixture says the emulator serves %s with unknown members, but it serves none", spec.Plural)
	case !f.unknown && served:
		t.Errorf("the emulator serves %s with unknown members: set unknown in the fixture", spec.Plural)
	case served && !kept:
		t.Errorf("no archived %s keeps a member the SDK does not model", spec.Noun)
	}
}

// changedStates counts the objects after whose state differs from what it
// was before, or which are new.
func changedStates(t *testing.T, spec *kinds.Spec, before, after []object) int {
	t.Helper()
	was := byIdentity(t, spec, before)
	n := 0
	for id, o := range byIdentity(t, spec, after) {
		if b, ok := was[id]; !ok || state(t, spec, b.raw) != state(t, spec, o.raw) {
			n++
		}
	}
	return n
}

// changedBytes counts the objects after that differ at all from what they
// were before, or which are new.
func changedBytes(t *testing.T, spec *kinds.Spec, before, after []object) int {
	t.Helper()
	was := byIdentity(t, spec, before)
	n := 0
	for id, o := range byIdentity(t, spec, after) {
		if b, ok := was[id]; !ok || compact(t, b.raw) != compact(t, o.raw) {
			n++
		}
	}
	return n
}

// checkChanges: a sync with nothing changed adds nothing; after each hour,
// an observed kind gains one record per object whose state changed and a
// kind kept as its latest state holds one record per object, its latest.
func checkChanges(t *testing.T, spec *kinds.Spec, c *changes) {
	if len(c.before) == 0 {
		t.Fatalf("no %s: the check proves nothing", spec.Plural)
	}
	if c.resynced != c.synced || c.addedResync != 0 {
		t.Errorf("a second sync with nothing changed went from %d to %d records (added %d)", c.synced, c.resynced, c.addedResync)
	}
	for i, hr := range c.hours {
		if len(hr.after) == 0 {
			t.Fatalf("hour %d: no %s", i+1, spec.Plural)
		}
		got := recordsByIdentity(spec, hr.recs)
		now := byIdentity(t, spec, hr.after)
		if !spec.Observed() {
			for id, o := range now {
				rs := got[id]
				if len(rs) != 1 {
					t.Errorf("hour %d: %s: %d records, want 1", i+1, id, len(rs))
					continue
				}
				if string(rs[0].Data) != compact(t, o.raw) {
					t.Errorf("hour %d: %s: the record holds\n %.300s\nnot the latest state\n %.300s", i+1, id, rs[0].Data, compact(t, o.raw))
				}
			}
			if len(hr.recs) != len(now) {
				t.Errorf("hour %d: %d records of %d objects", i+1, len(hr.recs), len(now))
			}
			continue
		}
		want := changedStates(t, spec, hr.before, hr.after)
		if hr.added != want {
			t.Errorf("hour %d: the sync added %d records, want %d: the objects whose state changed", i+1, hr.added, want)
		}
		t.Logf("hour %d: %d of %d objects changed, %d in state", i+1, changedBytes(t, spec, hr.before, hr.after), len(hr.after), want)
		for id, o := range now {
			rs := got[id]
			if len(rs) == 0 {
				t.Errorf("hour %d: %s: no record", i+1, id)
				continue
			}
			// The latest record is the last captured: records of one
			// object may share their time (a TimeMember that stays).
			last := slices.MaxFunc(rs, func(a, b archive.Record) int { return a.CapturedAt.Compare(*b.CapturedAt) })
			if state(t, spec, last.Data) != state(t, spec, o.raw) {
				t.Errorf("hour %d: %s: the latest record's state\n %.300s\nis not the object's\n %.300s", i+1, id, last.Data, o.raw)
			}
		}
	}
}

// checkDeleted: an interrupted sync marks nothing; a clean one marks the
// object deleted upstream, and no other of its kind.
func checkDeleted(t *testing.T, spec *kinds.Spec) {
	if spec.Sweep == kinds.NoSweep {
		t.Skipf("%s are never marked deleted upstream", spec.Plural)
	}
	f := fixtures[spec.Kind]
	emu := archivetest.Emulator(t, deleteHist)
	dir := archivetest.Dir(t)
	o := syncOptions(dir, emu, emu.Now, archsync.Source(spec.Source))
	o.PageSize, o.NoIndex = 2, true
	runSync(t, o)
	if len(objectsOf(t, spec, emu)) < 2 {
		t.Fatalf("the history has fewer than two %s: the check proves nothing", spec.Plural)
	}
	if m := markings(t, dir); len(m) != 0 {
		t.Fatalf("the first sync marked %v", m)
	}
	id := f.remove(t, emu)
	if id == "" {
		t.Fatal("the fixture deleted an object without an ID")
	}
	emu.Advance(time.Hour)
	emu.SetFaults(f.fault)
	var st archsync.Stats
	if err := archsync.Run(context.Background(), o, &st); err == nil {
		t.Fatal("the interrupted sync succeeded: the fault does not interrupt the listing")
	}
	if m := markings(t, dir); len(m) != 0 {
		t.Errorf("the interrupted sync marked %v", m)
	}
	emu.SetFaults(emulator.Faults{})
	runSync(t, o)
	var got []string
	for _, m := range markings(t, dir) {
		if strings.HasPrefix(m, string(spec.Kind)+" ") {
			got = append(got, m)
		}
	}
	if want := []string{string(spec.Kind) + " " + id}; !slices.Equal(got, want) {
		t.Errorf("marked %v, want %v", got, want)
	}
	// The object's records stay: a marking says it is gone upstream.
	if !slices.ContainsFunc(readRecords(t, dir)[spec.Kind], func(rec archive.Record) bool { return rec.ID == id }) {
		t.Errorf("%s: the records of the object deleted upstream are gone", id)
	}
}

// checkImport: the kind's objects saved as AWS CLI output give, imported
// into a fresh archive, the records the sync gave, and a sync after adds
// none; imported into the synced archive they add nothing, nor does a sync
// after.
func checkImport(t *testing.T, spec *kinds.Spec, h *history, objs []object, recs []archive.Record, c *changes) {
	t.Run("fresh archive", func(t *testing.T) {
		dir := archivetest.Dir(t)
		io := archsync.ImportOptions{ArchiveDir: dir, CapturedAt: h.seen, NoIndex: true}
		// The region and account, where the objects do not say them: a
		// fresh archive knows no job whose log items would.
		if spec.NeedsWhere() || spec.Parent == kinds.ParentJob {
			io.Region, io.Account = h.emu.Region(), h.emu.Account()
		}
		res, err := archsync.Import(context.Background(), io, writeCLIFiles(t, spec, objs))
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		if res.Added != len(objs) || res.Updated != 0 || res.Unchanged != 0 {
			t.Errorf("import into a fresh archive: %+v, want %d added", res, len(objs))
		}
		imported := readRecords(t, dir)
		for k, rs := range imported {
			if k != spec.Kind && len(rs) > 0 {
				t.Errorf("the import made %d records of %s", len(rs), k)
			}
		}
		want := recordsByIdentity(spec, recs)
		got := recordsByIdentity(spec, imported[spec.Kind])
		for id, ws := range want {
			gs := got[id]
			if len(gs) != 1 || len(ws) != 1 {
				t.Errorf("%s: %d records imported, %d synced", id, len(gs), len(ws))
				continue
			}
			g, w := gs[0], ws[0]
			if g.ID != w.ID || g.Region != w.Region || g.Account != w.Account || g.JobID != w.JobID || g.ClusterID != w.ClusterID ||
				!reflect.DeepEqual(g.Pos, w.Pos) || !g.Time.Equal(w.Time) {
				t.Errorf("%s: imported %s %s/%s job %q cluster %q at %s, synced %s %s/%s job %q cluster %q at %s", id,
					g.ID, g.Region, g.Account, g.JobID, g.ClusterID, g.Time, w.ID, w.Region, w.Account, w.JobID, w.ClusterID, w.Time)
			}
			if !reflect.DeepEqual(covered(t, g.Data), covered(t, w.Data)) {
				t.Errorf("%s: imported\n %.300s\nsynced\n %.300s", id, g.Data, w.Data)
			}
		}
		for id := range got {
			if _, ok := want[id]; !ok {
				t.Errorf("%s: imported, but the sync archived no such object", id)
			}
		}
		o := syncOptions(dir, h.emu, func() time.Time { return h.seen }, archsync.Source(spec.Source))
		o.NoIndex = true
		if st := runSync(t, o); st.Added(spec.Kind) != 0 {
			t.Errorf("the sync after the import added %d records", st.Added(spec.Kind))
		}
		if n := len(readRecords(t, dir)[spec.Kind]); n != len(objs) {
			t.Errorf("the sync after the import went from %d to %d records", len(objs), n)
		}
	})
	t.Run("synced archive", func(t *testing.T) {
		if c.importErr != nil {
			t.Fatalf("import: %v", c.importErr)
		}
		if c.imports.Added != 0 || c.imports.Updated != 0 || c.imports.Unchanged != len(c.before) {
			t.Errorf("import into the synced archive: %+v, want all %d unchanged", c.imports, len(c.before))
		}
		if c.imported != c.resynced {
			t.Errorf("the import went from %d to %d records", c.resynced, c.imported)
		}
		if c.reimported != c.imported || c.addedAfterImport != 0 {
			t.Errorf("the sync after the import went from %d to %d records (added %d)", c.imported, c.reimported, c.addedAfterImport)
		}
	})
}

// checkDocuments: every record makes an index document, whose ID names
// the record, and which holds the record's ID as the kind's index rule
// says.
func checkDocuments(t *testing.T, spec *kinds.Spec, recs []archive.Record) {
	if len(recs) == 0 {
		t.Fatalf("no %s archived", spec.Plural)
	}
	for _, rec := range recs {
		doc, err := index.NewDocument(rec)
		if err != nil {
			t.Errorf("%s: %v", recordIdentity(spec, rec), err)
			continue
		}
		kind, key, err := index.ParseDocID(index.DocID(rec.Kind, rec.Key))
		if err != nil || kind != rec.Kind || key != rec.Key {
			t.Errorf("%s: document ID gives back %s %x (%v)", recordIdentity(spec, rec), kind, key, err)
		}
		if spec.Index.IDIsServer && !slices.Contains(doc.ServerIDs, rec.ID) {
			t.Errorf("%s: the document's server IDs %v lack its own", rec.ID, doc.ServerIDs)
		}
		if spec.Index.IDIsText && !strings.Contains(doc.Text, rec.ID) {
			t.Errorf("%s: the document's text lacks its ID: %.200s", rec.ID, doc.Text)
		}
	}
}

// sample returns the first, middle and last record.
func sample(recs []archive.Record) []archive.Record {
	var out []archive.Record
	for _, i := range []int{0, len(recs) / 2, len(recs) - 1} {
		if !slices.ContainsFunc(out, func(r archive.Record) bool { return r.Key == recs[i].Key }) {
			out = append(out, recs[i])
		}
	}
	return out
}

// checkQuery: a query by the record's time finds it; so do its own ID,
// its job's and its parent's, where the kind declares their forms.
func checkQuery(t *testing.T, spec *kinds.Spec, st *archive.Store, x *index.Index, recs []archive.Record) {
	if len(recs) == 0 {
		t.Fatalf("no %s archived", spec.Plural)
	}
	finds := func(rec archive.Record, what string, f query.Filters) {
		t.Helper()
		found := false
		err := st.View(func(r *archive.Reader) error {
			_, err := query.Run(context.Background(), query.Source{Archive: r, Search: search.Using(x)}, query.Request{Filters: f}, func(got archive.Record, _ []string) error {
				found = found || got.Kind == rec.Kind && got.Key == rec.Key
				return nil
			})
			return err
		})
		if err != nil {
			t.Fatalf("query by %s: %v", what, err)
		}
		if !found {
			t.Errorf("%s: a query by %s does not find it", recordIdentity(spec, rec), what)
		}
	}
	for _, rec := range sample(recs) {
		finds(rec, "time", query.Filters{Range: query.Range{From: rec.Time.Add(-time.Second), To: rec.Time.Add(time.Second)}})
		if spec.IDForm != nil {
			if !spec.IDForm.Matches(rec.ID) {
				t.Errorf("%s is not a %s", rec.ID, spec.IDForm.Name)
			}
			finds(rec, "ID", query.Filters{IDs: []string{rec.ID}})
			if spec.JobForm {
				finds(rec, "job ID", query.Filters{JobIDs: []string{rec.ID}})
			}
		}
		parent := spec.ParentIn(rec.JobID, rec.ClusterID)
		if spec.ParentForm != nil {
			if !spec.ParentForm.Matches(parent) {
				t.Errorf("%q is not a %s", parent, spec.ParentForm.Name)
			}
			finds(rec, "parent ID", query.Filters{IDs: []string{parent}})
		}
		if spec.Parent == kinds.ParentJob {
			finds(rec, "its job's ID", query.Filters{JobIDs: []string{parent}})
		}
	}
}

// checkRows: a record's row carries its kind; its table line holds its ID
// (a log item's job) whole at 80 columns, and its CSV line its kind and ID.
func checkRows(t *testing.T, spec *kinds.Spec, recs []archive.Record) {
	if len(recs) == 0 {
		t.Fatalf("no %s archived", spec.Plural)
	}
	write := func(f query.Format, o query.WriterOptions, rec archive.Record) string {
		var b bytes.Buffer
		o.Notes = &bytes.Buffer{}
		w := query.NewWriter(&b, f, o)
		if err := w.Write(rec, nil); err != nil {
			t.Fatalf("write %s: %v", f, err)
		}
		if err := w.Close(""); err != nil {
			t.Fatalf("close %s: %v", f, err)
		}
		return b.String()
	}
	for _, rec := range recs {
		name := recordIdentity(spec, rec)
		if row := query.RowOf(rec); row.Kind != spec.Kind {
			t.Errorf("%s: row of kind %s", name, row.Kind)
		}
		id := rec.ID
		if id == "" {
			id = rec.JobID
		}
		if id == "" {
			t.Errorf("%s: a record with neither ID nor job", name)
			continue
		}
		table := write(query.FormatTable, query.WriterOptions{Width: 80}, rec)
		lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
		if len(lines) < 2 || !slices.ContainsFunc(lines[1:], func(l string) bool { return slices.Contains(strings.Fields(l), id) }) {
			t.Errorf("%s: the table line lacks %s whole:\n%s", name, id, table)
		}
		rows, err := csv.NewReader(strings.NewReader(write(query.FormatCSV, query.WriterOptions{}, rec))).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Errorf("%s: CSV of %d lines (%v)", name, len(rows), err)
			continue
		}
		cell := func(col string) string {
			i := slices.Index(rows[0], col)
			if i < 0 {
				t.Fatalf("the CSV has no %s column: %v", col, rows[0])
			}
			return rows[1][i]
		}
		if cell("kind") != string(spec.Kind) || cell("id") != rec.ID || rec.JobID != "" && cell("job") != rec.JobID {
			t.Errorf("%s: CSV line %v", name, rows[1])
		}
	}
}

// checkDDL: Athena and Trino DDL each have a table for the kind that reads
// its directory of a partitioned export.
func checkDDL(t *testing.T, spec *kinds.Spec, members map[string]bool) {
	const location = "s3://bucket/prefix"
	// Every member the kind's exported lines carry is a column of its
	// table (region is the partition's).
	if len(members) == 0 {
		t.Fatalf("no exported line of %s: the check proves nothing", spec.Plural)
	}
	for m := range members {
		if m != "region" && !slices.Contains(spec.Columns(), m) {
			t.Errorf("the exported lines carry %q, which is no column of the kind's table", m)
		}
	}
	for _, dialect := range []string{ddl.Athena, ddl.Trino} {
		stmts, err := ddl.Statements(ddl.Options{Dialect: dialect, Location: location, Layout: ddl.Layout{Regions: []string{"us-east-1"}}})
		if err != nil {
			t.Fatalf("%s: %v", dialect, err)
		}
		name, dir := ddl.TableName(spec.Kind), "'"+location+"/kind="+string(spec.Kind)+"/'"
		found := false
		for _, s := range strings.Split(stmts, "CREATE ")[1:] {
			if fields := strings.Fields(s); slices.Index(fields, name) >= 0 && slices.Index(fields, name) <= 5 {
				found = true
				if !strings.Contains(s, dir) {
					t.Errorf("%s: table %s does not read %s:\n%s", dialect, name, dir, s)
				}
				for _, c := range spec.Columns() {
					if !strings.Contains(strings.ToLower(s), "\n  "+strings.ToLower(c)+" ") {
						t.Errorf("%s: table %s has no column %s", dialect, name, c)
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: no table %s", dialect, name)
		}
	}
}
