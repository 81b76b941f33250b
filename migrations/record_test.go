package migrations_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/migrations"
)

// TestReleasedSteps compares the registered steps with testdata/released.txt,
// the steps main has released: a released step keeps its number and name,
// and a step not yet released is numbered above every released one.
func TestReleasedSteps(t *testing.T) {
	f, err := os.Open("testdata/released.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	released := map[int]string{}
	highest := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		num, name, ok := strings.Cut(line, " ")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || name == "" {
			t.Fatalf("released.txt: line %q is not a number and a name", line)
		}
		if _, dup := released[n]; dup {
			t.Fatalf("released.txt: step %d listed twice", n)
		}
		released[n] = name
		highest = max(highest, n)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(released) == 0 {
		t.Fatal("released.txt lists no steps")
	}
	registered := map[int]string{}
	for _, s := range migrations.Steps() {
		registered[s.Version] = s.Name
		name, ok := released[s.Version]
		switch {
		case ok && name != s.Name:
			t.Errorf("step %d is named %q; it was released as %q: a released step is never renamed or renumbered", s.Version, s.Name, name)
		case !ok && s.Version <= highest:
			t.Errorf("step %d (%s) is not released but numbered at or below the highest released step %d: number it %d or above", s.Version, s.Name, highest, highest+1)
		}
	}
	for n, name := range released {
		if registered[n] != name {
			t.Errorf("released step %d (%s) is not registered as such: released steps are never removed or renumbered", n, name)
		}
	}
}

// gapFile makes a file as archivers that had step 8 before step 7 left it:
// steps 1 to 6 and 8 applied (and 9, for version 9: what an archiver with
// steps 1 to 9 did to such a file), no record of applied steps.
func gapFile(t *testing.T, version int) *bolt.DB {
	t.Helper()
	db := openDB(t)
	err := db.Update(func(tx *bolt.Tx) error {
		for _, s := range migrations.Steps() {
			if s.Version > version || s.Version == 7 {
				continue
			}
			if err := s.Apply(tx); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte(migrations.MetaBucket)).Put([]byte(migrations.VersionKey), []byte{0, 0, 0, byte(version)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func names(steps []migrations.Step) string {
	var s []string
	for _, st := range steps {
		s = append(s, fmt.Sprintf("%d %s", st.Version, st.Name))
	}
	return strings.Join(s, ", ")
}

func stepsFrom(t *testing.T, nums ...int) string {
	t.Helper()
	var out []migrations.Step
	for _, n := range nums {
		for _, s := range migrations.Steps() {
			if s.Version == n {
				out = append(out, s)
			}
		}
	}
	return names(out)
}

func record(t *testing.T, db *bolt.DB) string {
	t.Helper()
	var v string
	db.View(func(tx *bolt.Tx) error {
		v = string(tx.Bucket([]byte(migrations.MetaBucket)).Get([]byte(migrations.StepsKey)))
		return nil
	})
	return v
}

// TestGapFile: a schema-8 file without step 7 needs steps 7, 9 and 10 (a
// schema-9 one, 7 and 10), and every step released after them, gets the
// recovery buckets, and records every step; applying again does nothing.
func TestGapFile(t *testing.T) {
	// later are the steps after 10, which every such file needs too.
	var later []int
	var laterRecord string
	for _, s := range migrations.Steps() {
		if s.Version > 10 {
			later = append(later, s.Version)
			laterRecord += fmt.Sprintf("%d %s\n", s.Version, s.Name)
		}
	}
	for _, tc := range []struct {
		version int
		pending []int
		record  string
	}{
		{8, []int{7, 9, 10}, "1 initial-buckets\n2 change-log\n3 binary-record-headers\n4 job-log-lists\n5 staging-accounts-and-provenance\n6 hash-chain\n8 deleted-upstream\n" +
			"7 drs-recovery-snapshots-and-instances\n9 compact-imported-data\n10 drs-recovery-buckets-where-missing\n"},
		{9, []int{7, 10}, "1 initial-buckets\n2 change-log\n3 binary-record-headers\n4 job-log-lists\n5 staging-accounts-and-provenance\n6 hash-chain\n8 deleted-upstream\n9 compact-imported-data\n" +
			"7 drs-recovery-snapshots-and-instances\n10 drs-recovery-buckets-where-missing\n"},
	} {
		t.Run(fmt.Sprint("schema ", tc.version), func(t *testing.T) {
			db := gapFile(t, tc.version)
			var pending []migrations.Step
			db.View(func(tx *bolt.Tx) error {
				var err error
				pending, err = migrations.PendingIn(tx)
				if err != nil {
					t.Fatal(err)
				}
				return nil
			})
			tc.pending = append(tc.pending, later...)
			tc.record += laterRecord
			if got, want := names(pending), stepsFrom(t, tc.pending...); got != want {
				t.Fatalf("pending on a gap file: %s; want %s", got, want)
			}
			err := db.Update(func(tx *bolt.Tx) error {
				done, err := migrations.Apply(tx)
				if got, want := names(done), names(pending); got != want {
					t.Errorf("applied %s; want %s", got, want)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			db.View(func(tx *bolt.Tx) error {
				for _, b := range []string{"drs.recoverySnapshot", "drs.recoveryInstance", "deleted"} {
					if tx.Bucket([]byte(b)) == nil {
						t.Errorf("bucket %s missing after the upgrade", b)
					}
				}
				if v, _ := migrations.Version(tx); v != migrations.Latest() {
					t.Errorf("version %d after the upgrade, want %d", v, migrations.Latest())
				}
				return nil
			})
			if got := record(t, db); got != tc.record {
				t.Errorf("record of applied steps:\n%s\nwant:\n%s", got, tc.record)
			}
			db.Update(func(tx *bolt.Tx) error {
				done, err := migrations.Apply(tx)
				if err != nil || len(done) != 0 {
					t.Errorf("second Apply: %s, %v", names(done), err)
				}
				return nil
			})
		})
	}
}

// TestRecordedFileMissingStep: a file whose version is the latest but whose
// record lacks a step gets that step, and keeps its version.
func TestRecordedFileMissingStep(t *testing.T) {
	db := openDB(t)
	if err := db.Update(func(tx *bolt.Tx) error { _, err := migrations.Apply(tx); return err }); err != nil {
		t.Fatal(err)
	}
	full := record(t, db)
	if strings.Count(full, "\n") != len(migrations.Steps()) {
		t.Fatalf("record of a new file:\n%s\nwant one line per step", full)
	}
	line := "8 deleted-upstream\n"
	if !strings.Contains(full, line) {
		t.Fatalf("record %q lacks %q", full, line)
	}
	db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte("deleted")); err != nil {
			return err
		}
		return tx.Bucket([]byte(migrations.MetaBucket)).Put([]byte(migrations.StepsKey), []byte(strings.Replace(full, line, "", 1)))
	})
	db.Update(func(tx *bolt.Tx) error {
		done, err := migrations.Apply(tx)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := names(done), stepsFrom(t, 8); got != want {
			t.Errorf("applied %s; want %s", got, want)
		}
		if tx.Bucket([]byte("deleted")) == nil {
			t.Error("bucket deleted missing after step 8 ran again")
		}
		if v, _ := migrations.Version(tx); v != migrations.Latest() {
			t.Errorf("version %d, want %d kept", v, migrations.Latest())
		}
		return nil
	})
}

// TestRecordRefused: a record naming a step this binary does not know is a
// newer archiver's; a record that does not parse is refused.
func TestRecordRefused(t *testing.T) {
	for _, tc := range []struct {
		name, record string
		tooNew       bool
	}{
		{"unknown step", "1 initial-buckets\n11 some-later-step\n", true},
		{"no name", "1\n", false},
		{"no number", "initial-buckets\n", false},
		{"blank line", "1 initial-buckets\n\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t)
			db.Update(func(tx *bolt.Tx) error {
				if _, err := migrations.Apply(tx); err != nil {
					return err
				}
				return tx.Bucket([]byte(migrations.MetaBucket)).Put([]byte(migrations.StepsKey), []byte(tc.record))
			})
			err := db.Update(func(tx *bolt.Tx) error { _, err := migrations.Apply(tx); return err })
			if err == nil {
				t.Fatal("Apply accepted the record")
			}
			if errors.Is(err, migrations.ErrTooNew) != tc.tooNew {
				t.Errorf("Apply: %v; ErrTooNew %v", err, tc.tooNew)
			}
		})
	}
}
