package index_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// step takes one index.Step over the archive in dir.
func step(t *testing.T, dir string, max int) (int, bool, error) {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	var caughtUp bool
	err = st.View(func(r *archive.Reader) error {
		var err error
		n, caughtUp, err = index.Step(context.Background(), dir, r, index.StepOptions{Max: max})
		return err
	})
	return n, caughtUp, err
}

// TestStepsCatchUp: bounded steps, each ending at a change-log entry, bring
// an index that is behind to the archive, and the index then answers as
// one built whole.
func TestStepsCatchUp(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  int
		// steps is whether it takes more than one step.
		steps bool
	}{
		{"one entry a step", 1, true},
		{"all at once", 1 << 30, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu := archivetest.Emulator(t, emulator.Options{Seed: 23, InProgress: 3})
			dir := archivetest.Dir(t)
			syncOnce(t, dir, emu)
			if n := update(t, dir); n == 0 {
				t.Fatal("first update indexed nothing")
			}
			for range 3 {
				emu.Advance(24 * time.Hour)
				syncOnce(t, dir, emu)
			}
			if _, pending := diff(t, dir); pending == 0 {
				t.Fatal("the syncs changed nothing; the test proves nothing")
			}
			steps, total := 0, 0
			for caughtUp := false; !caughtUp; {
				n, done, err := step(t, dir, tc.max)
				if err != nil {
					t.Fatalf("step %d: %v", steps+1, err)
				}
				if steps++; steps > 1000 {
					t.Fatal("steps never catch up")
				}
				total, caughtUp = total+n, done
			}
			if total == 0 || (steps > 1) != tc.steps {
				t.Errorf("%d steps wrote %d documents; want more than one step: %v", steps, total, tc.steps)
			}
			if d, pending := diff(t, dir); len(d) != 0 || pending != 0 {
				t.Errorf("after the steps, index and archive differ: %v (%d pending)", d, pending)
			}
			items := []archive.Kind{kinds.DRSJobLogItem}
			same(t, "event:LAUNCH_FAILED", search(t, dir, "event:LAUNCH_FAILED"),
				expect(t, dir, items, func(r archive.Record) bool { return field(r, "event") == "LAUNCH_FAILED" }))
			if n, caughtUp, err := step(t, dir, tc.max); n != 0 || !caughtUp || err != nil {
				t.Errorf("a step with nothing new: %d documents, caught up %v, %v", n, caughtUp, err)
			}
		})
	}
}

// TestStepLeavesLargeFills: a step does not fill a new index from an
// archive of many records (that is the final update's work), and fills one
// from a few.
func TestStepLeavesLargeFills(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 31})
	dir := archivetest.Dir(t)
	syncOnce(t, dir, emu)
	records := len(expect(t, dir, kinds.Names(), func(archive.Record) bool { return true }))
	if records < 10 {
		t.Fatalf("the history has %d records; the test proves nothing", records)
	}
	if _, _, err := step(t, dir, records/4); !errors.Is(err, index.ErrStepSkipped) {
		t.Fatalf("a step over %d records with a step of %d: %v, want %v", records, records/4, err, index.ErrStepSkipped)
	}
	n, caughtUp, err := step(t, dir, records)
	if err != nil || !caughtUp || n != records {
		t.Fatalf("a step of %d over %d records: %d documents, caught up %v, %v", records, records, n, caughtUp, err)
	}
	if d, pending := diff(t, dir); len(d) != 0 || pending != 0 {
		t.Errorf("index and archive differ: %s (%d pending)", strings.Join(d, ", "), pending)
	}
}
