package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/internal/recfmt"
	"github.com/archiver-dev/archiver/internal/reczip"
	"github.com/archiver-dev/archiver/migrations"
)

// schemaFixtures are archives as every schema version main has written
// laid them out (see migrations/testdata/gen and gen/schemas), with the
// schema-8 file of the main that had step 8 before step 7, and
// schema14-compressed.db: schema13.db as the archiver of schema 14 left it
// after 'migrate' and compressing its records, one by one, with
// dictionaries trained from them.
var schemaFixtures = []string{
	"schema1.db", "schema2.db", "schema3.db", "schema4.db", "schema5.db", "schema6.db",
	"schema7.db", "schema8-before-step7.db", "schema8.db", "schema9.db", "schema10.db", "schema11.db", "schema12.db", "schema13.db",
	"schema14.db", "schema14-compressed.db",
}

// TestEverySchemaHasAFixture: every schema version below the one this
// archiver writes, which main has released, has its fixture.
func TestEverySchemaHasAFixture(t *testing.T) {
	for v := 1; v < migrations.Latest(); v++ {
		name := fmt.Sprintf("schema%d.db", v)
		if !slices.Contains(schemaFixtures, name) {
			t.Errorf("no fixture %s: add its layout to migrations/testdata/gen/schemas", name)
		}
	}
}

// rawFixture is what a fixture holds, read with bbolt alone.
type rawFixture struct {
	version int
	buckets map[string]bool
	records []string // kind, ID, job and compacted data of every record, sorted
}

// recordLine names a record by what an export must give back of it; data
// is compacted (step 9 compacts imported data) and quoted.
func recordLine(t *testing.T, kind, id, jobID string, data []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		t.Fatalf("%s %s%s: data is not JSON: %v", kind, id, jobID, err)
	}
	return fmt.Sprintf("%s id=%s job=%s data=%q", kind, id, jobID, b.String())
}

// readRawFixture reads a fixture's version, buckets and records: all-JSON
// records (schemas 1 and 2) by their members, binary ones by their header.
func readRawFixture(t *testing.T, path string) rawFixture {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f := rawFixture{buckets: map[string]bool{}}
	err = db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte(migrations.MetaBucket)).Get([]byte(migrations.VersionKey)); len(v) == 4 {
			f.version = int(binary.BigEndian.Uint32(v))
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			f.buckets[string(name)] = true
			if kinds.Of(kinds.Kind(name)) == nil {
				return nil
			}
			zt := reczip.For(tx)
			return b.ForEach(func(k, v []byte) error {
				if reczip.IsCompressed(v) {
					// From schema 14: compressed with a dictionary of the
					// archive's own (package reczip).
					lv, err := zt.Logical(v)
					if err != nil {
						return fmt.Errorf("%s record %x: %w", name, k, err)
					}
					v = lv
				}
				if v[0] == '{' {
					var r struct {
						Kind, ID, JobID string
						Data            json.RawMessage
					}
					if err := json.Unmarshal(v, &r); err != nil {
						return fmt.Errorf("%s record %x: %w", name, k, err)
					}
					f.records = append(f.records, recordLine(t, r.Kind, r.ID, r.JobID, r.Data))
					return nil
				}
				h, data, err := recfmt.Decode(v)
				if err != nil {
					return fmt.Errorf("%s record %x: %w", name, k, err)
				}
				f.records = append(f.records, recordLine(t, h.Kind, h.ID, h.JobID, data))
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(f.records)
	return f
}

// exportedRecords runs export and lists its records as recordLine does.
func exportedRecords(t *testing.T, dir string) []string {
	t.Helper()
	records := exportObjects(t, dir)
	var list []string
	for _, r := range records {
		list = append(list, recordLine(t, r.Kind, r.ID, r.JobID, r.Data))
	}
	slices.Sort(list)
	return list
}

// TestEverySchemaUpgrades opens the archive of every schema version main
// has written with today's archiver: readers ask for the upgrade,
// 'migrate --dry-run' lists every step the file lacks (step 7 too where
// its buckets are missing) and changes nothing, 'migrate' applies them,
// verify is clean, export gives back every record of the fixture, and a
// sync against the emulator adds to it and leaves it clean.
func TestEverySchemaUpgrades(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 21, Jobs: 3, LogItemsPerJob: 3, Servers: 2})
	for _, name := range schemaFixtures {
		t.Run(strings.TrimSuffix(name, ".db"), func(t *testing.T) {
			dir := archivetest.Copy(t, filepath.Join("..", "..", "migrations", "testdata", name))
			path := filepath.Join(dir, archive.FileName)
			raw := readRawFixture(t, path)
			if raw.version == 0 || len(raw.records) < 10 {
				t.Fatalf("fixture at schema %d with %d records: the test proves nothing", raw.version, len(raw.records))
			}
			// The steps the file lacks: every step above its version, and
			// step 7 where its buckets are missing.
			lacksStep7 := !raw.buckets["drs.recoverySnapshot"] || !raw.buckets["drs.recoveryInstance"]
			var want []string
			for _, s := range migrations.Steps() {
				if s.Version > raw.version || (s.Version == 7 && lacksStep7) {
					want = append(want, fmt.Sprintf("%3d  %s", s.Version, s.Name))
				}
			}
			if len(want) == 0 {
				t.Fatal("no step pending: the test proves nothing")
			}
			sum := archiveSHA(t, dir)
			if code, _, stderr := runCLI(t, "--archive", dir, "verify"); code != 1 || !strings.Contains(stderr, "run 'archiver migrate'") {
				t.Errorf("verify before the upgrade: exit %d: %s", code, stderr)
			}
			code, stdout, stderr := runCLI(t, "--archive", dir, "migrate", "--dry-run")
			if code != 0 {
				t.Fatalf("migrate --dry-run: exit %d: %s", code, stderr)
			}
			var listed []string
			for _, line := range strings.Split(stdout, "\n") {
				if strings.HasPrefix(line, "   ") {
					listed = append(listed, strings.TrimPrefix(line[:len("   ")+5+len(strings.Fields(line)[1])], "   "))
				}
			}
			if strings.Join(listed, "\n") != strings.Join(want, "\n") {
				t.Errorf("migrate --dry-run lists\n%s\nwant\n%s", strings.Join(listed, "\n"), strings.Join(want, "\n"))
			}
			if archiveSHA(t, dir) != sum {
				t.Error("migrate --dry-run changed the file")
			}
			if code, stdout, stderr := runCLI(t, "--archive", dir, "migrate"); code != 0 || !strings.Contains(stdout, fmt.Sprintf("applied %d step", len(want))) {
				t.Fatalf("migrate: exit %d: %s%s", code, stdout, stderr)
			}
			if code, stdout, stderr := runCLI(t, "--archive", dir, "migrate", "--dry-run"); code != 0 || !strings.Contains(stdout, "up to date") {
				t.Errorf("migrate --dry-run after the upgrade: exit %d: %s%s", code, stdout, stderr)
			}
			code, stdout, stderr = runCLI(t, "--archive", dir, "verify")
			if code != 0 || !strings.Contains(stdout, fmt.Sprintf(" %d records", len(raw.records))) {
				t.Fatalf("verify after the upgrade: exit %d: %s%s", code, stdout, stderr)
			}
			if got := exportedRecords(t, dir); strings.Join(got, "\n") != strings.Join(raw.records, "\n") {
				t.Errorf("export after the upgrade:\n%s\nthe fixture holds:\n%s", strings.Join(got, "\n"), strings.Join(raw.records, "\n"))
			}
			for _, cmd := range [][]string{{"status"}, {"query"}} {
				if code, _, stderr := runCLI(t, append([]string{"--archive", dir}, cmd...)...); code != 0 {
					t.Errorf("%s after the upgrade: exit %d: %s", cmd[0], code, stderr)
				}
			}
			if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL()); code != 0 {
				t.Fatalf("sync after the upgrade: exit %d: %s", code, stderr)
			}
			if code, stdout, stderr := runCLI(t, "--archive", dir, "verify"); code != 0 || !strings.Contains(stdout, "full-text index matches") {
				t.Fatalf("verify after the sync: exit %d: %s%s", code, stdout, stderr)
			}
			got := exportedRecords(t, dir)
			for _, r := range raw.records {
				if !slices.Contains(got, r) {
					t.Errorf("after the sync the export lacks %.200s", r)
				}
			}
			if len(got) <= len(raw.records) {
				t.Errorf("the sync added nothing: %d records, the fixture has %d", len(got), len(raw.records))
			}
		})
	}
}
