package migrations_test

import (
	"errors"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/migrations"
)

func openDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "m.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStepsAreNumberedInOrder(t *testing.T) {
	steps := migrations.Steps()
	if len(steps) == 0 {
		t.Fatal("no migration steps")
	}
	prev := 0
	for i, s := range steps {
		if s.Version != prev+1 {
			t.Errorf("step %d has version %d; versions must run 1, 2, 3...", i, s.Version)
		}
		prev = s.Version
		if s.Name == "" || s.Desc == "" || s.Apply == nil {
			t.Errorf("step %d is missing a name, description or function", s.Version)
		}
	}
	if migrations.Latest() != steps[len(steps)-1].Version {
		t.Errorf("Latest() = %d, last step %d", migrations.Latest(), steps[len(steps)-1].Version)
	}
}

func TestApply(t *testing.T) {
	db := openDB(t)
	// A new file is at version 0 and gets every step.
	err := db.Update(func(tx *bolt.Tx) error {
		v, err := migrations.Version(tx)
		if err != nil || v != 0 {
			t.Errorf("new file: version %d, %v", v, err)
		}
		done, err := migrations.Apply(tx)
		if err != nil {
			return err
		}
		if len(done) != len(migrations.Steps()) {
			t.Errorf("applied %d steps to a new file, want %d", len(done), len(migrations.Steps()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *bolt.Tx) error {
		v, err := migrations.Version(tx)
		if err != nil || v != migrations.Latest() {
			t.Errorf("after Apply: version %d, %v; want %d", v, err, migrations.Latest())
		}
		for _, b := range []string{"meta", "drs.job", "drs.jobLogItem", "drs.sourceServer", "snowball.clusterJob", "sms.replicationJob", "ids", "joblog", "jobstate",
			"drs.stagingAccount", "drs.recoverySnapshot", "drs.recoveryInstance"} {
			if tx.Bucket([]byte(b)) == nil {
				t.Errorf("bucket %s missing after Apply", b)
			}
		}
		return nil
	})
	// Applying again does nothing.
	db.Update(func(tx *bolt.Tx) error {
		done, err := migrations.Apply(tx)
		if err != nil || len(done) != 0 {
			t.Errorf("second Apply: %d steps, %v", len(done), err)
		}
		return nil
	})
}

func TestTooNew(t *testing.T) {
	if _, err := migrations.Pending(migrations.Latest() + 1); !errors.Is(err, migrations.ErrTooNew) {
		t.Errorf("Pending(latest+1) = %v, want ErrTooNew", err)
	}
	db := openDB(t)
	err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte(migrations.MetaBucket))
		if err != nil {
			return err
		}
		return b.Put([]byte(migrations.VersionKey), []byte{0, 0, 0, byte(migrations.Latest() + 1)})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := migrations.Apply(tx)
		return err
	})
	if !errors.Is(err, migrations.ErrTooNew) {
		t.Errorf("Apply on a newer file = %v, want ErrTooNew", err)
	}
}

func TestBadVersionValue(t *testing.T) {
	db := openDB(t)
	db.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucket([]byte(migrations.MetaBucket))
		return b.Put([]byte(migrations.VersionKey), []byte("x"))
	})
	db.View(func(tx *bolt.Tx) error {
		if _, err := migrations.Version(tx); err == nil {
			t.Error("a 1-byte version was read without complaint")
		}
		return nil
	})
}
