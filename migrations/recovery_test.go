package migrations_test

import (
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/migrations"
)

// TestStep7RecoveryBuckets: the first step a file at schema 6 needs is step
// 7, which creates the buckets of DRS recovery snapshots and recovery
// instances and nothing else; running it twice changes nothing.
func TestStep7RecoveryBuckets(t *testing.T) {
	pending, err := migrations.Pending(6)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) == 0 || pending[0].Version != 7 {
		t.Fatalf("a schema 6 file needs %d steps, want step 7 first", len(pending))
	}
	step := pending[0]
	db := openDB(t)
	for _, run := range []string{"first", "again"} {
		t.Run(run, func(t *testing.T) {
			if err := db.Update(step.Apply); err != nil {
				t.Fatalf("step 7: %v", err)
			}
			db.View(func(tx *bolt.Tx) error {
				var names []string
				tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
					names = append(names, string(name))
					return nil
				})
				want := []string{"drs.recoveryInstance", "drs.recoverySnapshot"}
				if len(names) != len(want) {
					t.Fatalf("buckets %v, want %v", names, want)
				}
				for i := range want {
					if names[i] != want[i] {
						t.Errorf("buckets %v, want %v", names, want)
					}
				}
				return nil
			})
		})
	}
}
