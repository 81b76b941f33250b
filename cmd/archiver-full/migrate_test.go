package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/migrations"
)

// schema1Fixture is an archive as schema 1 wrote it (see
// migrations/testdata/gen). Tests work on copies of it.
var schema1Fixture = filepath.Join("..", "..", "migrations", "testdata", "schema1.db")

func archiveSHA(t *testing.T, dir string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, archive.FileName))
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// exportObject is one record object of an export, as read back.
type exportObject struct {
	Kind       string          `json:"kind"`
	ID         string          `json:"id"`
	JobID      string          `json:"jobID"`
	Region     string          `json:"region"`
	Account    string          `json:"account"`
	CapturedAt *time.Time      `json:"capturedAt"`
	FirstSeen  time.Time       `json:"firstSeen"`
	LastSeen   time.Time       `json:"lastSeen"`
	Data       json.RawMessage `json:"data"`
}

// String names the record and everything the export says of it; data is
// quoted so that any change to its bytes shows.
func (o exportObject) String() string {
	c := "-"
	if o.CapturedAt != nil {
		c = o.CapturedAt.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%s id=%s job=%s %s/%s captured=%s seen=%s..%s data=%q", o.Kind, o.ID, o.JobID, o.Region, o.Account, c,
		o.FirstSeen.UTC().Format(time.RFC3339Nano), o.LastSeen.UTC().Format(time.RFC3339Nano), o.Data)
}

// schema1Export reads a schema-1 archive file raw, with bbolt alone, and
// lists its records as an export presents them: each job in key order
// followed by its log in position order, then each source-server snapshot
// in key order.
func schema1Export(t *testing.T, path string) []string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	decode := func(v []byte) exportObject {
		var o exportObject
		if err := json.Unmarshal(v, &o); err != nil {
			t.Fatalf("schema-1 record: %v", err)
		}
		return o
	}
	db.View(func(tx *bolt.Tx) error {
		items, joblog := tx.Bucket([]byte("drs.jobLogItem")), tx.Bucket([]byte("joblog"))
		tx.Bucket([]byte("drs.job")).ForEach(func(_, v []byte) error {
			job := decode(v)
			out = append(out, job.String())
			prefix := []byte(job.ID + "\x00" + job.Region + "\x00" + job.Account + "\x00")
			c := joblog.Cursor()
			for k, key := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+4; k, key = c.Next() {
				out = append(out, "  "+decode(items.Get(key)).String())
			}
			return nil
		})
		return tx.Bucket([]byte("drs.sourceServer")).ForEach(func(_, v []byte) error {
			out = append(out, decode(v).String())
			return nil
		})
	})
	return out
}

// exportList exports the archive in dir and lists its records as
// schema1Export does.
func exportList(t *testing.T, dir string) []string {
	t.Helper()
	records := exportObjects(t, dir)
	var list []string
	lastJob := ""
	for _, r := range records {
		switch {
		case r.Kind == "drs.job":
			lastJob = r.ID + " " + r.Region + " " + r.Account
		case r.Kind == "drs.jobLogItem" && r.JobID+" "+r.Region+" "+r.Account == lastJob:
			list = append(list, "  "+r.String()) // a log item follows its job
			continue
		default:
			lastJob = ""
		}
		list = append(list, r.String())
	}
	return list
}

// TestMigrateSchema1 upgrades a copy of the schema-1 fixture the way a user
// would: readers ask for the upgrade, 'migrate --dry-run' lists it and
// changes nothing, 'migrate' applies it, then verify passes and export
// gives back every record of the fixture, its data byte for byte.
func TestMigrateSchema1(t *testing.T) {
	dir := archivetest.Copy(t, schema1Fixture)
	want := schema1Export(t, filepath.Join(dir, archive.FileName))
	if len(want) != 40 {
		t.Fatalf("the fixture lists %d records, want 40", len(want))
	}
	var pending []string
	for _, s := range migrations.Steps()[1:] {
		pending = append(pending, fmt.Sprintf("%d  %s", s.Version, s.Name))
	}
	latest := migrations.Latest()
	sum := archiveSHA(t, dir)

	steps := []struct {
		name    string
		args    []string
		code    int
		stdout  []string // each must appear in stdout (stderr if the exit status is not 0)
		changes bool     // whether the file may change
	}{
		{"verify asks for the upgrade", []string{"verify"}, 1, []string{"schema 1, this archiver writes " + fmt.Sprint(latest), "run 'archiver migrate'"}, false},
		{"query asks for the upgrade", []string{"query"}, 1, []string{"run 'archiver migrate'"}, false},
		{"dry run lists the steps", []string{"migrate", "--dry-run"}, 0,
			append([]string{fmt.Sprintf("schema 1; this archiver writes schema %d; %d steps pending", latest, latest-1), "dry run, nothing changed"}, pending...), false},
		{"migrate applies them", []string{"migrate"}, 0,
			append([]string{fmt.Sprintf("applied %d steps in one transaction", latest-1), fmt.Sprintf("schema 1 -> %d", latest)}, pending...), true},
		{"migrate again has nothing to do", []string{"migrate"}, 0, []string{fmt.Sprintf("schema %d, up to date; nothing to do", latest)}, false},
		{"dry run again has nothing to do", []string{"migrate", "-n"}, 0, []string{fmt.Sprintf("schema %d, up to date; nothing to do", latest)}, false},
		{"verify passes", []string{"verify"}, 0, []string{"ok:", fmt.Sprintf("schema %d", latest), "40 records"}, false},
	}
	for _, s := range steps {
		code, stdout, stderr := runCLI(t, append([]string{"--archive", dir}, s.args...)...)
		out := stdout
		if code != 0 {
			out = stderr
			if strings.Count(stderr, "\n") != 1 {
				t.Errorf("%s: stderr is not one line: %q", s.name, stderr)
			}
		}
		if code != s.code {
			t.Fatalf("%s: exit %d, want %d: %s%s", s.name, code, s.code, stdout, stderr)
		}
		for _, w := range s.stdout {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output does not say %q:\n%s", s.name, w, out)
			}
		}
		now := archiveSHA(t, dir)
		if !s.changes && now != sum {
			t.Errorf("%s: the archive file changed", s.name)
		}
		if s.changes && now == sum {
			t.Errorf("%s: the archive file did not change", s.name)
		}
		sum = now
	}

	got := exportList(t, dir)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("export after the upgrade:\n%s\nthe fixture holds:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSyncUpgradesSchema1: a sync upgrades a schema-1 archive on its own
// and adds to it; the fixture's records are still there, unchanged.
func TestSyncUpgradesSchema1(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 13, Jobs: 5})
	dir := archivetest.Copy(t, schema1Fixture)
	want := schema1Export(t, filepath.Join(dir, archive.FileName))
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL()); code != 0 {
		t.Fatalf("sync on a schema-1 archive: exit %d: %s", code, stderr)
	}
	if code, stdout, stderr := runCLI(t, "--archive", dir, "verify"); code != 0 || !strings.Contains(stdout, "full-text index matches") {
		t.Fatalf("verify: exit %d: %s%s", code, stdout, stderr)
	}
	got := map[string]bool{}
	for _, r := range exportList(t, dir) {
		got[strings.TrimSpace(r)] = true
	}
	for _, r := range want {
		if !got[strings.TrimSpace(r)] {
			t.Errorf("after the sync the export lacks %.200s", r)
		}
	}
	if len(got) <= len(want) {
		t.Errorf("the sync added nothing: %d records, the fixture has %d", len(got), len(want))
	}
}

// TestNewerSchemaRefusedByCommands: an archive written by a newer archiver
// is refused by every command that opens it, with exit status 1 and one
// line saying to upgrade archiver, and is left as it was.
func TestNewerSchemaRefusedByCommands(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 17})
	dir := archivetest.Copy(t, schema1Fixture)
	if code, _, stderr := runCLI(t, "--archive", dir, "migrate"); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}
	newer := migrations.Latest() + 1
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		var v [4]byte
		binary.BigEndian.PutUint32(v[:], uint32(newer))
		return tx.Bucket([]byte(migrations.MetaBucket)).Put([]byte(migrations.VersionKey), v[:])
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	sum := archiveSHA(t, dir)
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"verify", []string{"verify"}},
		{"query", []string{"query", "--kind", "drs.job"}},
		{"export", []string{"export", "--out", filepath.Join(t.TempDir(), "e.json")}},
		{"migrate", []string{"migrate"}},
		{"migrate dry run", []string{"migrate", "--dry-run"}},
		{"sync", []string{"sync", "--endpoint-url", emu.URL(), "--no-index"}},
		{"import", []string{"import", "--region", "us-east-1", "--account", "123456789012", writeFile(t, "jobs.json", `{"items": []}`)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"--archive", dir}, tt.args...)...)
			if code != 1 {
				t.Errorf("exit %d, want 1 (stderr %q)", code, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "upgrade archiver") ||
				!strings.Contains(stderr, fmt.Sprintf("schema version %d", newer)) {
				t.Errorf("stderr is not one line saying to upgrade archiver: %q", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout not empty: %q", stdout)
			}
			if archiveSHA(t, dir) != sum {
				t.Error("the archive file changed")
			}
		})
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMigrateUsage: migrate's mistakes exit 2 with one line, and its help
// teaches by example.
func TestMigrateUsage(t *testing.T) {
	dir := archivetest.Copy(t, schema1Fixture)
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"stray argument", []string{"--archive", dir, "migrate", "now"}, `unexpected argument "now"`},
		{"unknown flag", []string{"--archive", dir, "migrate", "--force"}, "flag provided but not defined"},
		{"lock timeout", []string{"--archive", dir, "migrate", "--lock-timeout", "0s"}, "--lock-timeout must be positive"},
		{"no archive", []string{"--archive", t.TempDir(), "migrate"}, "no archive here"},
		{"no archive, dry run", []string{"--archive", t.TempDir(), "migrate", "--dry-run"}, "no archive here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.msg) {
				t.Errorf("stderr %q: want one line saying %q", stderr, tt.msg)
			}
			if stdout != "" {
				t.Errorf("stdout not empty: %q", stdout)
			}
		})
	}
	code, stdout, _ := runCLI(t, "migrate", "--help")
	if code != 0 {
		t.Errorf("migrate --help: exit %d", code)
	}
	for _, want := range []string{"EXAMPLES:", "archiver help exit-codes", "archiver migrate --dry-run", "--dry-run", "one transaction"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("migrate --help lacks %q", want)
		}
	}
	if v, _ := archiveVersion(t, dir); v != 1 {
		t.Errorf("usage errors changed the archive: schema %d", v)
	}
}

// archiveVersion reads the schema version of the archive in dir raw.
func archiveVersion(t *testing.T, dir string) (int, error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var v int
	err = db.View(func(tx *bolt.Tx) error {
		v, err = migrations.Version(tx)
		return err
	})
	return v, err
}

// exportObjects runs export on the archive in dir, checks the export's
// records hash and returns its records.
func exportObjects(t *testing.T, dir string) []exportObject {
	t.Helper()
	out := filepath.Join(t.TempDir(), "export.json")
	if code, _, stderr := runCLI(t, "--archive", dir, "export", "--out", out); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	readExport(t, out) // checks the records hash
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Records []exportObject `json:"records"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Records
}
