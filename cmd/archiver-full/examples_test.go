package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/awstime"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

// The placeholder IDs of the documented examples. The test puts IDs of the
// emulated history in their place; everything else of an example runs as
// written.
const (
	exampleJob     = "drsjob-0123456789abcdef0"
	exampleServer  = "s-0123456789abcdef0"
	exampleSnowJob = "JID123e4567-e89b-12d3-a456-426655440000"
	exampleCluster = "CID123e4567-e89b-12d3-a456-426655440000"
)

// exRecord is one record an archive of an emulated history must hold,
// computed from the emulator's answers at each sync.
type exRecord struct {
	kind  archive.Kind
	ident string // what names the record in query output: kind, ID, or job and data
	at    time.Time
	seen  int // the sync that first saw this state
	data  map[string]any
	// cluster is a Snowball job's cluster, which ListClusterJobs names
	// in its request, not in the job.
	cluster string
}

// exFixture is an archive synced twice from an emulated history, and the
// records its history says the archive holds.
type exFixture struct {
	dir     string
	syncs   []time.Time
	records []exRecord
	// deleted names the objects deleted upstream between the two syncs, by
	// the ident of their latest record.
	deleted map[string]bool
}

// exampleFixture syncs emu at its present, lets the history move on by
// step (after deleting a DRS job, a Snowball job and an SMS job when del is
// set), and syncs again.
func exampleFixture(t *testing.T, emu *emulator.Server, step time.Duration, del bool) *exFixture {
	t.Helper()
	fx := &exFixture{dir: archivetest.Dir(t), deleted: map[string]bool{}}
	var snaps []exSnapshot
	for k := 0; k < 2; k++ {
		if k == 1 {
			if del {
				fx.deleteSome(t, emu, snaps[0])
			}
			emu.Advance(step)
		}
		now := emu.Now()
		err := archsync.Run(context.Background(), archsync.Options{
			ArchiveDir: fx.dir, Regions: []string{emu.Region()}, EndpointURL: emu.URL(),
			Sources:     []archsync.Source{archsync.SourceDRS, archsync.SourceSnowball, archsync.SourceSMS},
			Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
			Now:         func() time.Time { return now },
		}, &archsync.Stats{})
		if err != nil {
			t.Fatalf("sync %d: %v", k, err)
		}
		fx.syncs = append(fx.syncs, now)
		snaps = append(snaps, snapshotOf(t, emu))
	}
	fx.records = recordsOf(t, snaps, fx.syncs)
	return fx
}

// deleteSome deletes, upstream, the first completed DRS job, Snowball job
// and SMS job of snap, and notes which records will be marked.
func (fx *exFixture) deleteSome(t *testing.T, emu *emulator.Server, snap exSnapshot) {
	t.Helper()
	var job string
	for _, raw := range snap.jobs {
		if m := object(t, raw); m["status"] == "COMPLETED" {
			job = m["jobID"].(string)
			break
		}
	}
	snow := object(t, snap.snowball[0])["JobId"].(string)
	sms := object(t, snap.sms[0])["replicationJobId"].(string)
	for _, err := range []error{emu.DeleteJob(job), emu.DeleteSnowballJob(snow), emu.DeleteReplicationJob(sms)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	fx.deleted["drs.job "+job] = true
	fx.deleted["snowball.clusterJob "+snow] = true
	fx.deleted["sms.replicationJob "+sms] = true
}

// exSnapshot is what the emulator served at one sync.
type exSnapshot struct {
	jobs, servers, recoverySnapshots, recoveryInstances, snowball, sms []json.RawMessage
	logs                                                               map[string][]json.RawMessage
	clusterOf                                                          map[string]string
}

func snapshotOf(t *testing.T, emu *emulator.Server) exSnapshot {
	t.Helper()
	s := exSnapshot{jobs: emu.Jobs(), servers: emu.SourceServers(), recoveryInstances: emu.RecoveryInstances(),
		sms: emu.ReplicationJobs(), logs: map[string][]json.RawMessage{}, clusterOf: map[string]string{}}
	for _, id := range emu.JobIDs() {
		s.logs[id] = emu.JobLog(id)
	}
	for _, raw := range s.servers {
		s.recoverySnapshots = append(s.recoverySnapshots, emu.RecoverySnapshots(object(t, raw)["sourceServerID"].(string))...)
	}
	for _, c := range emu.ClusterIDs() {
		for _, raw := range emu.ClusterJobs(c) {
			s.snowball = append(s.snowball, raw)
			s.clusterOf[object(t, raw)["JobId"].(string)] = c
		}
	}
	return s
}

func object(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// recordsOf lists the records an archive of snaps holds: each job in its
// latest state, each log item, recovery snapshot once, and a record per
// state of every observed object (the state being all but the members
// that move on every call).
func recordsOf(t *testing.T, snaps []exSnapshot, syncs []time.Time) []exRecord {
	t.Helper()
	var out []exRecord
	byIdent := map[string]int{}
	once := func(r exRecord) {
		if i, ok := byIdent[r.ident]; ok {
			out[i].data = r.data // the latest state of a job
			return
		}
		byIdent[r.ident] = len(out)
		out = append(out, r)
	}
	parse := func(s any) time.Time {
		at, err := awstime.Parse(fmt.Sprint(s))
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	epoch := func(v any, or time.Time) time.Time {
		if v == nil {
			return or
		}
		at, err := awstime.ParseEpoch(fmt.Sprint(v))
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	last := map[string]string{} // the state each observed object was last seen in
	state := func(kind archive.Kind, id string, at time.Time, k int, m map[string]any, volatile ...string) *exRecord {
		key := string(kind) + " " + id
		cut := map[string]any{}
		for n, v := range m {
			if !slices.Contains(volatile, n) {
				cut[n] = v
			}
		}
		b, _ := json.Marshal(cut)
		if last[key] == string(b) {
			return nil
		}
		last[key] = string(b)
		out = append(out, exRecord{kind: kind, ident: key, at: at, seen: k, data: m})
		return &out[len(out)-1]
	}
	for k, s := range snaps {
		for _, raw := range s.jobs {
			m := object(t, raw)
			id := m["jobID"].(string)
			once(exRecord{kind: kinds.DRSJob, ident: "drs.job " + id, at: parse(m["creationDateTime"]), seen: k, data: m})
			for _, li := range s.logs[id] {
				var b bytes.Buffer
				json.Compact(&b, li)
				l := object(t, li)
				once(exRecord{kind: kinds.DRSJobLogItem, ident: "drs.jobLogItem " + id + " " + b.String(), at: parse(l["logDateTime"]), seen: k, data: l})
			}
		}
		for _, raw := range s.recoverySnapshots {
			m := object(t, raw)
			once(exRecord{kind: kinds.DRSRecoverySnapshot, ident: "drs.recoverySnapshot " + m["snapshotID"].(string), at: parse(m["timestamp"]), seen: k, data: m})
		}
		for _, raw := range s.servers {
			m := object(t, raw)
			state(kinds.DRSSourceServer, m["sourceServerID"].(string), syncs[k], k, m)
		}
		for _, raw := range s.recoveryInstances {
			m := object(t, raw)
			at := syncs[k]
			if p, ok := m["pointInTimeSnapshotDateTime"]; ok {
				at = parse(p)
			}
			state(kinds.DRSRecoveryInstance, m["recoveryInstanceID"].(string), at, k, m)
		}
		for _, raw := range s.snowball {
			m := object(t, raw)
			id := m["JobId"].(string)
			if r := state(kinds.SnowballJob, id, epoch(m["CreationDate"], syncs[k]), k, m); r != nil {
				r.cluster = s.clusterOf[id]
			}
		}
		for _, raw := range s.sms {
			m := object(t, raw)
			// The next scheduled run moves without the job changing state.
			state(kinds.SMSJob, m["replicationJobId"].(string), epoch(m["seedReplicationTime"], syncs[k]), k, m, "nextReplicationRunStartTime")
		}
	}
	return out
}

// exWordRE finds the words of the emulated history's texts as the index's
// tokenizer does: letters, digits and _, joined by a single . : or '.
var exWordRE = regexp.MustCompile(`[\pL\pN_]+(?:[.:'][\pL\pN_]+)*`)

// exTextMembers are the members whose strings --text searches.
var exTextMembers = map[string]bool{
	"rawerror": true, "error": true, "errormessage": true, "message": true,
	"statusmessage": true, "reason": true, "failurereason": true, "description": true,
	"event": true,
}

// walkStrings calls fn with every string in v and the member holding it.
func walkStrings(v any, key string, fn func(key, s string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, vv := range x {
			walkStrings(vv, k, fn)
		}
	case []any:
		for _, vv := range x {
			walkStrings(vv, key, fn)
		}
	case string:
		fn(key, x)
	}
}

// words returns the lower-case words of r's searchable text, members apart.
func (r exRecord) words() []string {
	var out []string
	walkStrings(r.data, "", func(key, s string) {
		if exTextMembers[strings.ToLower(key)] {
			out = append(out, exWordRE.FindAllString(strings.ToLower(s), -1)...)
			out = append(out, "\x00")
		}
	})
	return out
}

func (r exRecord) hasWords(ws ...string) bool {
	ts := r.words()
	for i := 0; i+len(ws) <= len(ts); i++ {
		if slices.Equal(ts[i:i+len(ws)], ws) {
			return true
		}
	}
	return false
}

func (r exRecord) event() string { s, _ := r.data["event"].(string); return s }

// mentions reports whether r names source server id, as --source-server
// finds it: in a member whose name ends in serverID.
func (r exRecord) mentions(id string) bool {
	found := false
	walkStrings(r.data, "", func(key, s string) {
		found = found || strings.HasSuffix(strings.ToLower(key), "serverid") && s == id
	})
	return found
}

func inSpan(at, from, to time.Time) bool { return !at.Before(from) && !at.After(to) }

func day(s string) time.Time { t, _ := time.Parse("2006-01-02", s); return t }

// example is the answer a documented example promises, in the history's
// terms.
type example struct {
	relative bool // ages (90d, 1w): asked of the history that ends now
	keep     func(fx *exFixture, r exRecord, now time.Time) bool
	// states: the answer holds a record per state of an object, which the
	// comparison counts; otherwise objects are compared as a set.
	states bool
}

// documentedExamples are the `archiver query` examples of README.md (but
// for its "Full-text queries" section, whose --text examples query's
// TestTextExamples runs) and of `archiver query --help`.
var documentedExamples = map[string]example{
	`archiver query --event LAUNCH_FAILED --from 90d`: {relative: true, keep: func(_ *exFixture, r exRecord, now time.Time) bool {
		return r.kind == kinds.DRSJobLogItem && r.event() == "LAUNCH_FAILED" && !r.at.Before(now.Add(-90*24*time.Hour))
	}},
	`archiver query --source-server s-0123456789abcdef0 --event LAUNCH_FAILED --from 2026-07-01 --to 2026-09-30`: {keep: func(fx *exFixture, r exRecord, _ time.Time) bool {
		return r.event() == "LAUNCH_FAILED" && r.mentions(fx.server()) && inSpan(r.at, day("2026-07-01"), day("2026-10-01").Add(-1))
	}},
	`archiver query --source-server s-0123456789abcdef0 --from 2026-07-01 --to 2026-09-30`: {keep: func(fx *exFixture, r exRecord, _ time.Time) bool {
		return (r.mentions(fx.server()) || r.ident == "drs.sourceServer "+fx.server()) && inSpan(r.at, day("2026-07-01"), day("2026-10-01").Add(-1))
	}},
	`archiver query --text InsufficientInstanceCapacity --kind drs.jobLogItem`: {keep: func(_ *exFixture, r exRecord, _ time.Time) bool {
		return r.kind == kinds.DRSJobLogItem && r.hasWords("insufficientinstancecapacity")
	}},
	`archiver query --job-id drsjob-0123456789abcdef0 --output jsonl`: {keep: func(fx *exFixture, r exRecord, _ time.Time) bool {
		return r.ident == "drs.job "+fx.job() || r.kind == kinds.DRSJobLogItem && strings.HasPrefix(r.ident, "drs.jobLogItem "+fx.job()+" ")
	}},
	`archiver query --text 'event:LAUNCH_FAILED AND capacity' --max-items 50`: {keep: func(_ *exFixture, r exRecord, _ time.Time) bool {
		return r.event() == "LAUNCH_FAILED" && r.hasWords("capacity")
	}},
	`archiver query --text '"RunInstances operation" AND NOT InsufficientInstanceCapacity'`: {keep: func(_ *exFixture, r exRecord, _ time.Time) bool {
		return r.hasWords("runinstances", "operation") && !r.hasWords("insufficientinstancecapacity")
	}},
	`archiver query --kind snowball.clusterJob --kind sms.replicationJob --captured-from 1w`: {relative: true, states: true, keep: func(fx *exFixture, r exRecord, now time.Time) bool {
		return (r.kind == kinds.SnowballJob || r.kind == kinds.SMSJob) && !fx.syncs[r.seen].Before(now.Add(-7*24*time.Hour))
	}},
	`archiver query --deleted-from 2026-10 --deleted-to 2026-10`:                    {keep: deletedInOctober(time.UTC)},
	`archiver query --deleted-from 2026-10 --deleted-to 2026-10 --tz Europe/Berlin`: {keep: deletedInOctober(berlin())},
	`archiver query --id JID123e4567-e89b-12d3-a456-426655440000`: {states: true, keep: func(fx *exFixture, r exRecord, _ time.Time) bool {
		return r.ident == "snowball.clusterJob "+fx.snowballJob()
	}},
	`archiver query --id CID123e4567-e89b-12d3-a456-426655440000 --output csv`: {states: true, keep: func(fx *exFixture, r exRecord, _ time.Time) bool {
		return r.kind == kinds.SnowballJob && r.cluster == fx.cluster()
	}},
	`archiver query --initiated-by start_drill --type launch --from 30d`: {relative: true, keep: func(_ *exFixture, r exRecord, now time.Time) bool {
		return r.kind == kinds.DRSJob && r.data["initiatedBy"] == "START_DRILL" && r.data["type"] == "LAUNCH" && !r.at.Before(now.Add(-30*24*time.Hour))
	}},
}

func berlin() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return loc
}

// deletedInOctober selects the latest records of the objects deleted
// upstream whose deletion a sync noticed in October 2026, in loc.
func deletedInOctober(loc *time.Location) func(*exFixture, exRecord, time.Time) bool {
	from, to := time.Date(2026, 10, 1, 0, 0, 0, 0, loc), time.Date(2026, 11, 1, 0, 0, 0, 0, loc).Add(-1)
	return func(fx *exFixture, r exRecord, _ time.Time) bool {
		return fx.deleted[r.ident] && inSpan(fx.syncs[1], from, to)
	}
}

// The IDs that stand in for the placeholders: a source server that failed
// to launch in the third quarter of 2026, the job of that failure, and a
// Snowball job that changed state between the syncs with its cluster.
func (fx *exFixture) failure() exRecord {
	for _, r := range fx.records {
		if r.event() == "LAUNCH_FAILED" && inSpan(r.at, day("2026-07-01"), day("2026-10-01").Add(-1)) {
			return r
		}
	}
	return exRecord{}
}

func (fx *exFixture) server() string {
	ed, _ := fx.failure().data["eventData"].(map[string]any)
	s, _ := ed["sourceServerID"].(string)
	return s
}

func (fx *exFixture) job() string {
	return strings.Fields(fx.failure().ident + " x x")[1]
}

func (fx *exFixture) snowballState() exRecord {
	n := map[string]int{}
	for _, r := range fx.records {
		if r.kind == kinds.SnowballJob {
			n[r.ident]++
		}
	}
	for _, r := range fx.records {
		if n[r.ident] > 1 {
			return r
		}
	}
	return exRecord{data: map[string]any{}}
}

func (fx *exFixture) snowballJob() string {
	s, _ := fx.snowballState().data["JobId"].(string)
	return s
}
func (fx *exFixture) cluster() string { return fx.snowballState().cluster }

// readmeQueryExamples returns the `archiver query` lines of README.md's
// shell blocks, but for those of its "Full-text queries" section.
func readmeQueryExamples(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	fullText, code := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```"):
			code = !code
		case !code && strings.HasPrefix(line, "#"):
			fullText = strings.TrimSpace(strings.TrimLeft(line, "#")) == "Full-text queries"
		case code && !fullText && strings.HasPrefix(line, "archiver query "):
			if i := strings.Index(line, " #"); i >= 0 {
				line = line[:i]
			}
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// helpQueryExamples returns the example lines of `archiver query --help`,
// continuation lines joined.
func helpQueryExamples(t *testing.T) []string {
	t.Helper()
	code, stdout, stderr := runCLI(t, "query", "--help")
	if code != 0 {
		t.Fatalf("query --help: exit %d: %s", code, stderr)
	}
	var out []string
	for _, line := range examplesOf(stdout) {
		if strings.HasPrefix(line, "archiver query ") {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		t.Fatal("query --help has no EXAMPLES")
	}
	return out
}

// argv splits an example command line as a shell does, quotes removed.
func argv(t *testing.T, line string) []string {
	t.Helper()
	words := shellWords(line)
	for i, w := range words {
		words[i] = unquote(w)
	}
	if strings.Count(line, "'")%2 != 0 {
		t.Fatalf("unclosed quote in %q", line)
	}
	return words
}

// answerIdents names each record of a query's output as exRecord.ident
// does.
func answerIdents(t *testing.T, stdout string, csvOut bool) []string {
	t.Helper()
	var out []string
	if csvOut {
		rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
		if err != nil || len(rows) == 0 {
			t.Fatalf("csv output: %v: %q", err, stdout)
		}
		col := map[string]int{}
		for i, name := range rows[0] {
			col[name] = i
		}
		for _, row := range rows[1:] {
			if row[col["kind"]] == string(kinds.DRSJobLogItem) {
				t.Fatal("the csv examples select no log items")
			}
			out = append(out, row[col["kind"]]+" "+row[col["id"]])
		}
		return out
	}
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		if line == "" {
			continue
		}
		var o struct {
			Kind  string          `json:"kind"`
			ID    string          `json:"id"`
			JobID string          `json:"jobID"`
			Data  json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatalf("output line is not a record object: %v: %q", err, line)
		}
		if o.Kind == string(kinds.DRSJobLogItem) {
			out = append(out, o.Kind+" "+o.JobID+" "+string(o.Data))
		} else {
			out = append(out, o.Kind+" "+o.ID)
		}
	}
	return out
}

// TestDocumentedQueryExamples runs every `archiver query` example of
// README.md and of `archiver query --help` through the CLI, as written but
// for placeholder IDs, against archives of emulated histories, and checks
// each answer against what the history says the example finds.
func TestDocumentedQueryExamples(t *testing.T) {
	hermeticEnv(t)
	t.Setenv("TZ", "")
	// A history of the third quarter of 2026, synced on 15 and 25 October,
	// with objects deleted upstream in between; and one that ends now, for
	// the examples that count back from now.
	fixed := exampleFixture(t, archivetest.Emulator(t, emulator.Options{Seed: 9, Jobs: 200, Servers: 24, Now: time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC)}), 10*24*time.Hour, true)
	start := time.Now().UTC().Add(-14 * 24 * time.Hour).Truncate(time.Second)
	recent := exampleFixture(t, archivetest.Emulator(t, emulator.Options{Seed: 9, Jobs: 200, Servers: 24, Now: start}), 14*24*time.Hour, false)
	if fixed.server() == "" || fixed.snowballJob() == "" {
		t.Fatal("the fixed history has no launch failure in the third quarter or no Snowball job that changed state; the test proves nothing")
	}
	placeholders := strings.NewReplacer(exampleJob, fixed.job(), exampleServer, fixed.server(),
		exampleSnowJob, fixed.snowballJob(), exampleCluster, fixed.cluster())

	lines := append(readmeQueryExamples(t), helpQueryExamples(t)...)
	if len(lines) < 10 {
		t.Fatalf("found %d examples in README.md and query --help; the test proves little", len(lines))
	}
	for _, line := range lines {
		t.Run(line, func(t *testing.T) {
			ex, ok := documentedExamples[line]
			if !ok {
				t.Fatalf("example %q has no expected answer here: add one to documentedExamples", line)
			}
			fx := fixed
			if ex.relative {
				fx = recent
			}
			words := argv(t, placeholders.Replace(line))
			now := time.Now()
			code, stdout, stderr := runCLI(t, append([]string{"--archive", fx.dir}, words[1:]...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var want []string
			for _, r := range fx.records {
				if ex.keep(fx, r, now) {
					want = append(want, r.ident)
				}
			}
			if len(want) == 0 {
				t.Fatal("the history holds nothing this example finds; the test proves nothing")
			}
			got := answerIdents(t, stdout, slices.Contains(words, "csv"))
			if i := slices.Index(words, "--max-items"); i >= 0 {
				var max int
				fmt.Sscan(words[i+1], &max)
				if more := len(want) > max; more != strings.Contains(stderr, "NextToken: ") {
					t.Errorf("%d records match, --max-items %d: NextToken printed %v", len(want), max, !more)
				}
				if len(got) != min(len(want), max) {
					t.Errorf("got %d records, want %d", len(got), min(len(want), max))
				}
				// Which come first is the engine's tests' to check; each
				// must be one the example finds.
				for _, g := range got {
					if !slices.Contains(want, g) {
						t.Errorf("%s is not a record the example finds", g)
					}
				}
				return
			}
			if !ex.states {
				got, want = compactSet(got), compactSet(want)
			}
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("answer differs from the history:\n got %d: %s\nwant %d: %s", len(got), clip(got), len(want), clip(want))
			}
		})
	}
	// Every answer here is an example somewhere.
	for line := range documentedExamples {
		if !slices.Contains(lines, line) {
			t.Errorf("%q is no longer a documented example", line)
		}
	}
}

func compactSet(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return slices.Compact(s)
}

func clip(s []string) string {
	if len(s) > 6 {
		return strings.Join(s[:6], "\n\t") + fmt.Sprintf("\n\t(and %d more)", len(s)-6)
	}
	return strings.Join(s, "\n\t")
}

// TestREADMEPolicyCoversEveryKind: the IAM policy the README gives allows
// the call that lists every kind archiver keeps.
func TestREADMEPolicyCoversEveryKind(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range kinds.All() {
		action := fmt.Sprintf("%q", spec.Source+":"+spec.Operation)
		if !strings.Contains(string(b), action) {
			t.Errorf("the README's policy lacks %s, which %s needs", action, spec.Kind)
		}
	}
}
