package archive_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/archivetest"
)

// editedProblems copies the archive in clean, applies edit to the copy's
// file directly (as an insider with the file would) and returns what the
// chain's verification finds in it.
func editedProblems(t *testing.T, clean string, edit func(tx *bolt.Tx) error) []error {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "archive")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(clean, archive.FileName), filepath.Join(dir, archive.FileName))
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(edit); err != nil {
		db.Close()
		t.Fatal(err)
	}
	db.Close()
	return chainProblems(t, dir)
}

var stateJobs = []archive.JobRef{
	{JobID: "drsjob-00000000000000001", Region: "us-east-1", Account: "123456789012"},
	{JobID: "drsjob-00000000000000002", Region: "us-east-1", Account: "123456789012"},
	{JobID: "drsjob-00000000000000003", Region: "eu-west-1", Account: "123456789012"},
}

// TestJobStatesAreLinked sets job states and checks that each change is a
// link of the chain, that the same state again is not, and that verify
// finds every direct edit of the jobstate bucket.
func TestJobStatesAreLinked(t *testing.T) {
	clean := archivetest.Dir(t)
	st := archivetest.Open(t, clean)
	position := func() uint64 {
		t.Helper()
		var pos uint64
		if err := st.View(func(r *archive.Reader) (err error) { pos, err = r.Position(); return }); err != nil {
			t.Fatal(err)
		}
		return pos
	}
	set := func(j archive.JobRef, s archive.JobState) {
		t.Helper()
		if err := st.Update(func(w *archive.Writer) error { return w.SetJobState(j, s) }); err != nil {
			t.Fatal(err)
		}
	}
	for i, j := range stateJobs {
		set(j, archive.JobState{LogItems: 10 + i})
	}
	set(stateJobs[0], archive.JobState{LogItems: 12, LogComplete: true})
	before := position()
	set(stateJobs[0], archive.JobState{LogItems: 12, LogComplete: true})
	if after := position(); after != before {
		t.Errorf("setting the same state again wrote to the change log (position %d -> %d)", before, after)
	}
	st.Close()
	if p := chainProblems(t, clean); len(p) != 0 {
		t.Fatalf("the untouched archive has problems: %v", p)
	}

	key := func(j archive.JobRef) []byte {
		return []byte(j.JobID + "\x00" + j.Region + "\x00" + j.Account + "\x00")
	}
	edits := []struct {
		name string
		edit func(b *bolt.Bucket) error
	}{
		{"mark a log complete", func(b *bolt.Bucket) error {
			return b.Put(key(stateJobs[1]), []byte(`{"logComplete":true,"logItems":11}`))
		}},
		{"change the count of items", func(b *bolt.Bucket) error {
			return b.Put(key(stateJobs[0]), []byte(`{"logComplete":true,"logItems":11}`))
		}},
		{"remove a state", func(b *bolt.Bucket) error { return b.Delete(key(stateJobs[2])) }},
		{"add a state", func(b *bolt.Bucket) error {
			return b.Put([]byte("drsjob-00000000000000009\x00us-east-1\x00123456789012\x00"), []byte(`{"logComplete":true,"logItems":0}`))
		}},
		{"swap two jobs' states", func(b *bolt.Bucket) error {
			a, c := append([]byte(nil), b.Get(key(stateJobs[0]))...), append([]byte(nil), b.Get(key(stateJobs[1]))...)
			if err := b.Put(key(stateJobs[0]), c); err != nil {
				return err
			}
			return b.Put(key(stateJobs[1]), a)
		}},
	}
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			p := editedProblems(t, clean, func(tx *bolt.Tx) error { return e.edit(tx.Bucket([]byte("jobstate"))) })
			if len(p) == 0 {
				t.Fatalf("%s went unnoticed", e.name)
			}
			if !strings.Contains(p[0].Error(), "log state of") {
				t.Errorf("problem %q does not name a job's log state", p[0])
			}
		})
	}
}

// TestPruneLinksRemovedStates prunes jobs with states: the removal is
// linked, so the pruned archive verifies clean.
func TestPruneLinksRemovedStates(t *testing.T) {
	dir := archivetest.Dir(t)
	deletedFixture(t, dir)
	st := archivetest.Open(t, dir)
	err := st.Update(func(w *archive.Writer) error {
		for _, j := range stateJobs[:2] {
			if err := w.SetJobState(j, archive.JobState{LogComplete: true}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	prune(t, st, t0.Add(time.Minute))
	err = st.View(func(r *archive.Reader) error {
		for _, j := range stateJobs[:2] {
			s, err := r.JobState(j)
			if err != nil {
				return err
			}
			if s != (archive.JobState{}) {
				t.Errorf("state of %s survived the prune: %+v", j.JobID, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if p := chainProblems(t, dir); len(p) != 0 {
		t.Fatalf("the pruned archive has problems: %v", p)
	}
}

func prune(t *testing.T, st *archive.Store, before time.Time) {
	t.Helper()
	err := st.Update(func(w *archive.Writer) error {
		plan, err := w.PlanPrune(before)
		if err != nil {
			return err
		}
		if plan.Records() == 0 {
			t.Fatal("the prune plan removes nothing")
		}
		return w.Prune(plan, []byte(`{"before":"test"}`))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestChainCatchesMovedMarkingOfPrunedRecord moves the marking of an
// object whose records were pruned to another object: nothing names the
// record any more, so only the mark link's sum, which covers the identity
// the marking is filed under, can tell.
func TestChainCatchesMovedMarkingOfPrunedRecord(t *testing.T) {
	clean := archivetest.Dir(t)
	deletedFixture(t, clean)
	st := archivetest.Open(t, clean)
	prune(t, st, t0.Add(time.Minute))
	var markings int
	if err := st.View(func(r *archive.Reader) error {
		return r.EachDeleted(func(archive.Marking) error { markings++; return nil })
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if markings == 0 {
		t.Fatal("the prune removed the markings: nothing to move")
	}
	if p := chainProblems(t, clean); len(p) != 0 {
		t.Fatalf("the pruned archive has problems: %v", p)
	}
	p := editedProblems(t, clean, func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("deleted"))
		k, v := b.Cursor().First()
		k, v = append([]byte(nil), k...), append([]byte(nil), v...)
		var m map[string]any
		if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		if err := b.Delete(k); err != nil {
			return err
		}
		return b.Put([]byte(strings.Replace(string(k), "drsjob-0000000000000000", "drsjob-9999999999999999", 1)), v)
	})
	if len(p) == 0 {
		t.Fatal("a marking moved to another object went unnoticed")
	}
}
