package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/internal/enginetest"
	"github.com/archiver-dev/archiver/query/ddl"
	"github.com/archiver-dev/archiver/query/export/s3dest"
)

// enginePlace is one account and region of the engines' history.
type enginePlace struct {
	account, region, key string
	emu                  *emulator.Server
}

// engineHistory is a history of two accounts in two regions each
// (ap-southeast-6 among them, a region newer than any fixed list), synced
// into one archive, with a job of two places deleted upstream and seen
// deleted by a later sync. It returns the archive's directory, the places,
// and the answers to the README's questions computed from the emulators.
type engineAnswers struct {
	failed  []string // account region jobID logDateTime sourceServerID rawError
	drills  []string // account region sourceServerID month count
	deleted []string // account region jobID
}

func engineHistory(t *testing.T) (string, []enginePlace, engineAnswers) {
	t.Helper()
	mux := emulator.NewMux()
	var places []enginePlace
	seed := int64(40)
	for _, acct := range []struct{ account, key string }{{"111122223333", "AKIDENGINESA"}, {"444455556666", "AKIDENGINESB"}} {
		for _, region := range []string{"us-east-1", "ap-southeast-6"} {
			seed++
			emu := emulator.New(emulator.Options{Seed: seed, Region: region, Account: acct.account, Jobs: 30, Servers: 6})
			mux.Add(region, acct.key, emu)
			places = append(places, enginePlace{account: acct.account, region: region, key: acct.key, emu: emu})
		}
	}
	if err := mux.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mux.Close)
	dir := archivetest.Dir(t)
	syncAll := func() {
		for _, key := range []string{"AKIDENGINESA", "AKIDENGINESB"} {
			t.Setenv("AWS_ACCESS_KEY_ID", key)
			code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", mux.URL(), "--region", "us-east-1", "--region", "ap-southeast-6")
			if code != 0 {
				t.Fatalf("sync as %s: exit %d: %s", key, code, stderr)
			}
		}
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	}
	syncAll()
	for _, p := range places {
		p.emu.Advance(time.Hour)
	}
	syncAll()

	var a engineAnswers
	drills := map[string]int{}
	for i, p := range places {
		for _, raw := range p.emu.Jobs() {
			var job struct {
				JobID, InitiatedBy, CreationDateTime string
				ParticipatingServers                 []struct{ SourceServerID string }
			}
			if err := json.Unmarshal(raw, &job); err != nil {
				t.Fatal(err)
			}
			if job.InitiatedBy == "START_DRILL" {
				for _, s := range job.ParticipatingServers {
					drills[strings.Join([]string{p.account, p.region, s.SourceServerID, job.CreationDateTime[:7]}, " ")]++
				}
			}
			for _, item := range p.emu.JobLog(job.JobID) {
				var li struct {
					Event, LogDateTime string
					EventData          struct{ SourceServerID, RawError string }
				}
				if err := json.Unmarshal(item, &li); err != nil {
					t.Fatal(err)
				}
				if li.Event == "LAUNCH_FAILED" {
					a.failed = append(a.failed, strings.Join([]string{p.account, p.region, job.JobID, li.LogDateTime, li.EventData.SourceServerID, li.EventData.RawError}, " "))
				}
			}
		}
		if i%2 == 0 {
			// The newest job of this place goes away upstream.
			var job struct{ JobID string }
			ids := p.emu.JobIDs()
			job.JobID = ids[len(ids)-1]
			if err := p.emu.DeleteJob(job.JobID); err != nil {
				t.Fatal(err)
			}
			a.deleted = append(a.deleted, strings.Join([]string{p.account, p.region, job.JobID}, " "))
		}
	}
	for k, n := range drills {
		a.drills = append(a.drills, fmt.Sprintf("%s %d", k, n))
	}
	for _, s := range [][]string{a.failed, a.drills, a.deleted} {
		slices.Sort(s)
	}
	if len(a.failed) == 0 || len(a.drills) == 0 || len(a.deleted) != 2 {
		t.Fatalf("the history has %d failed launches, %d drill months, %d deleted jobs; the test needs some of each", len(a.failed), len(a.drills), len(a.deleted))
	}
	syncAll()
	return dir, places, a
}

// readmeSQL returns the SQL of the README block marked
// <!-- sql: NAME --> on the line before it.
func readmeSQL(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)<!-- sql: " + regexp.QuoteMeta(name) + " -->\n```sql\n(.*?)```")
	m := re.FindSubmatch(b)
	if m == nil {
		t.Fatalf("README.md has no SQL block marked <!-- sql: %s -->", name)
	}
	return string(m[1])
}

// answer renders rows as sorted lines of space-separated values, NULL as
// the empty string.
func answer(rows enginetest.Rows) []string {
	out := make([]string, len(rows))
	for i, row := range rows {
		vals := make([]string, len(row))
		for j, v := range row {
			if v != nil {
				vals[j] = *v
			}
		}
		out[i] = strings.Join(vals, " ")
	}
	slices.Sort(out)
	return out
}

func diffAnswers(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	t.Errorf("%s: %d rows, want %d", what, len(got), len(want))
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("%s: unexpected row %q", what, g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s: missing row %q", what, w)
		}
	}
}

// TestEnginesReadTheExport exports a history of two accounts and two
// regions to moto's S3 and to a directory, prints each engine's DDL over
// it, and asks ClickHouse (from S3) and DuckDB (from the directory) the
// README's questions: the answers must be those the emulators' histories
// give. Where an engine is not installed, its half skips and says so.
func TestEnginesReadTheExport(t *testing.T) {
	url := archivetest.Moto(t)
	s3Env(t, url)
	c := archivetest.S3Client(url)
	archivetest.LockedBucket(t, c, "engines")
	dir, _, want := engineHistory(t)
	out := t.TempDir()
	for _, format := range []string{"jsonl", "parquet"} {
		for _, args := range [][]string{{"--out", "s3://engines/" + format}, {"--out-dir", filepath.Join(out, format)}} {
			code, _, stderr := runCLI(t, append([]string{"--archive", dir, "export", "--format", format}, args...)...)
			if code != 0 {
				t.Fatalf("export %v: exit %d: %s", args, code, stderr)
			}
		}
	}
	ms := manifests(t, c, "engines", "jsonl")
	if len(ms) != 1 || ms[0].Partition != s3dest.PartitionMonth {
		t.Fatalf("%d manifests (%+v); want one, by month", len(ms), ms)
	}
	if pm := manifests(t, c, "engines", "parquet"); len(pm) != 1 || pm[0].Records != ms[0].Records || pm[0].PartFormat != s3dest.FormatParquet {
		t.Fatalf("parquet manifests %+v; want one of %d records", pm, ms[0].Records)
	}
	ddlOf := func(dialect string, where ...string) string {
		t.Helper()
		code, stdout, stderr := runCLI(t, append([]string{"--archive", dir, "export", "--ddl", dialect}, where...)...)
		if code != 0 {
			t.Fatalf("--ddl %s: exit %d: %s", dialect, code, stderr)
		}
		return stdout
	}
	questions := []string{"failed-launches", "drills-per-server-month", "deleted-jobs"}
	wants := [][]string{want.failed, want.drills, want.deleted}

	for _, format := range []string{"jsonl", "parquet"} {
		t.Run("clickhouse "+format, func(t *testing.T) {
			enginetest.Need(t, enginetest.ClickHouse)
			setup := ddlOf("clickhouse", "--format", format, "--out", "s3://engines/"+format, "--endpoint-url", url)
			var qs []string
			for _, q := range questions {
				qs = append(qs, readmeSQL(t, q+" clickhouse"))
			}
			got := enginetest.Query(t, enginetest.ClickHouse, setup, qs...)
			for i, q := range questions {
				diffAnswers(t, "clickhouse "+format+" "+q, answer(got[i]), wants[i])
			}
		})
		t.Run("duckdb "+format, func(t *testing.T) {
			enginetest.Need(t, enginetest.DuckDB)
			setup := ddlOf("duckdb", "--format", format, "--out-dir", filepath.Join(out, format))
			var qs []string
			for _, q := range questions {
				qs = append(qs, readmeSQL(t, q+" duckdb"))
			}
			got := enginetest.Query(t, enginetest.DuckDB, setup, qs...)
			for i, q := range questions {
				diffAnswers(t, "duckdb "+format+" "+q, answer(got[i]), wants[i])
			}
		})
	}
	t.Run("athena and trino parse", func(t *testing.T) {
		enginetest.Need(t, enginetest.Hive)
		var athena, trino string
		for _, format := range []string{"jsonl", "parquet"} {
			athena += ddlOf("athena", "--format", format, "--out", "s3://engines/"+format)
			trino += ddlOf("trino", "--format", format, "--out", "s3://engines/"+format)
		}
		if errs := enginetest.Parse(t, enginetest.Hive, athena); len(errs) > 0 {
			t.Errorf("the Athena DDL does not parse as Hive: %+v\n%s", errs, athena)
		}
		if errs := enginetest.Parse(t, enginetest.Trino, trino); len(errs) > 0 {
			t.Errorf("the Trino DDL does not parse as Trino: %+v\n%s", errs, trino)
		}
		for _, q := range []string{"failed-launches athena", "failed-launches trino"} {
			if errs := enginetest.Parse(t, enginetest.Trino, readmeSQL(t, q)); len(errs) > 0 {
				t.Errorf("the README's %s query does not parse as Trino SQL: %+v", q, errs)
			}
		}
	})
	t.Run("athena projection", func(t *testing.T) {
		checkProjection(t, ddlOf("athena", "--out", "s3://engines/jsonl"), "s3://engines/", ms[0], time.Now())
		pm := manifests(t, c, "engines", "parquet")
		checkProjection(t, ddlOf("athena", "--format", "parquet", "--out", "s3://engines/parquet"), "s3://engines/", pm[0], time.Now())
		// And by day.
		if code, _, stderr := runCLI(t, "--archive", dir, "export", "--partition", "day", "--out", "s3://engines/day"); code != 0 {
			t.Fatalf("export --partition day: exit %d: %s", code, stderr)
		}
		dm := manifests(t, c, "engines", "day")
		if len(dm) != 1 || dm[0].Partition != s3dest.PartitionDay || len(dm[0].Objects) <= len(ms[0].Objects) {
			t.Fatalf("day manifests %+v; want one, with more parts than by month", dm)
		}
		checkProjection(t, ddlOf("athena", "--partition", "day", "--out", "s3://engines/day"), "s3://engines/", dm[0], time.Now())
	})
}

// checkProjection checks that Athena's partition projection, as the DDL
// declares it, reaches every object of the export: its kind has a table
// over its directory, its region is among the projected values and its dt
// is in the projected range, in the projected format.
func checkProjection(t *testing.T, text, root string, m s3dest.Manifest, now time.Time) {
	t.Helper()
	type table struct {
		regions      []string
		format, from string
	}
	tables := map[string]table{}
	stmt := regexp.MustCompile(`(?s)CREATE EXTERNAL TABLE IF NOT EXISTS (\w+) .*?LOCATION '([^']*)'.*?'projection.region.values' = '([^']*)'.*?'projection.dt.format' = '([^']*)'.*?'projection.dt.range' = '([^,]*),NOW'.*?;`)
	for _, s := range stmt.FindAllStringSubmatch(text, -1) {
		tables[s[2]] = table{regions: strings.Split(s[3], ","), format: s[4], from: s[5]}
	}
	if len(tables) == 0 || len(m.Objects) == 0 {
		t.Fatalf("%d tables, %d objects: nothing to check", len(tables), len(m.Objects))
	}
	seen := map[string]bool{}
	part := regexp.MustCompile(`^(.*/kind=[^/]+/)region=([^/]+)/dt=([^/]+)/[^/]+$`)
	for _, o := range m.Objects {
		p := part.FindStringSubmatch(root + o.Key)
		if p == nil {
			t.Errorf("%s is not in a kind=/region=/dt= partition", o.Key)
			continue
		}
		tb, ok := tables[p[1]]
		if !ok {
			t.Errorf("%s: no table over %s", o.Key, p[1])
			continue
		}
		seen[p[2]] = true
		if !slices.Contains(tb.regions, p[2]) {
			t.Errorf("%s: region %s is not projected (%v)", o.Key, p[2], tb.regions)
		}
		layout := map[string]string{"yyyy-MM-dd": time.DateOnly, "yyyy-MM": "2006-01"}[tb.format]
		dt, err := time.Parse(layout, p[3])
		from, err2 := time.Parse(layout, tb.from)
		if layout == "" || err != nil || err2 != nil {
			t.Errorf("%s: dt %s in projected format %s (from %s): %v %v", o.Key, p[3], tb.format, tb.from, err, err2)
		} else if dt.Before(from) || dt.After(now) {
			t.Errorf("%s: dt %s outside the projected range %s..NOW", o.Key, p[3], tb.from)
		}
	}
	if !seen["ap-southeast-6"] {
		t.Errorf("the export holds no ap-southeast-6 records; the test needs a region no fixed list had")
	}
	for _, k := range kinds.Names() {
		if m.Counts[k] > 0 && !strings.Contains(text, ddl.TableName(k)+" (") {
			t.Errorf("kind %s is exported but has no table", k)
		}
	}
}
