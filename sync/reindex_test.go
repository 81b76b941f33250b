package sync_test

import (
	"context"
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

// TestReindex: reindex, as the command runs it, indexes every record of an
// archive synced without its index, and leaves no lag.
func TestReindex(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 37})
	dir := archivetest.Dir(t)
	o := options(dir, emu)
	o.NoIndex = true
	runSync(t, o)
	want := len(emu.Jobs()) + emu.TotalLogItems()
	if len(emu.Jobs()) == 0 {
		t.Fatal("the emulator serves no jobs; the test proves nothing")
	}
	n, err := archsync.Reindex(context.Background(), archsync.Options{ArchiveDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	st := archivetest.Open(t, dir)
	x, err := index.Open(dir, index.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	err = st.View(func(r *archive.Reader) error {
		total := 0
		for _, k := range kinds.Names() {
			c, err := r.Count(k)
			if err != nil {
				return err
			}
			total += c
		}
		jobs, _ := r.Count(kinds.DRSJob)
		items, _ := r.Count(kinds.DRSJobLogItem)
		if jobs+items != want || n != total {
			t.Errorf("indexed %d of %d records; %d jobs and log items, the emulator serves %d", n, total, jobs+items, want)
		}
		lag, err := x.Lag(r)
		if err != nil {
			return err
		}
		if lag.Changes() != 0 || len(lag.Records) != 0 {
			t.Errorf("lag after reindex: %+v", lag)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
