package index_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// currentDir returns the path of the index directory index.current names.
func currentDir(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, index.CurrentFile))
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, strings.TrimSpace(string(b)))
}

// indexDirs returns the index-* directories in dir.
func indexDirs(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "index-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// syncIndex runs index.SyncWith over the archive in dir and returns what
// it said about rebuilding.
func syncIndex(t *testing.T, dir string) []string {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var said []string
	err = st.View(func(r *archive.Reader) error {
		_, err := index.SyncWith(context.Background(), dir, r, index.SyncOptions{Rebuilt: func(msg string) { said = append(said, msg) }})
		return err
	})
	if err != nil {
		t.Fatalf("index sync: %v", err)
	}
	return said
}

// TestDamagedIndexHeals: an index whose files are damaged (a segment cut
// short, garbage in index_meta.json, index.current naming a directory that
// is gone) is rebuilt from the archive by the next update, which says so;
// the rebuilt index finds every job of the history, and only it is left.
func TestDamagedIndexHeals(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, ix string)
	}{
		{"segment cut short", func(t *testing.T, ix string) {
			segs, _ := filepath.Glob(filepath.Join(ix, "store", "*.zap"))
			if len(segs) == 0 {
				t.Fatal("no segment files: the test proves nothing")
			}
			for _, s := range segs {
				fi, err := os.Stat(s)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.Truncate(s, fi.Size()/2); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"garbage in index_meta.json", func(t *testing.T, ix string) {
			if err := os.WriteFile(filepath.Join(ix, "index_meta.json"), []byte("{\x00garbage"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"directory gone", func(t *testing.T, ix string) {
			if err := os.RemoveAll(ix); err != nil {
				t.Fatal(err)
			}
		}},
	}
	emu := archivetest.Emulator(t, emulator.Options{Seed: 67})
	var jobIDs []string
	for _, j := range emu.Jobs() {
		var h struct{ JobID string }
		if err := json.Unmarshal(j, &h); err != nil {
			t.Fatal(err)
		}
		jobIDs = append(jobIDs, h.JobID)
	}
	if len(jobIDs) == 0 {
		t.Fatal("the emulator has no jobs: the test proves nothing")
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := archivetest.Dir(t)
			syncOnce(t, dir, emu)
			if said := syncIndex(t, dir); len(said) != 0 {
				t.Fatalf("a new index is no rebuild, yet: %q", said)
			}
			old := currentDir(t, dir)
			tc.damage(t, old)
			said := syncIndex(t, dir)
			if len(said) != 1 || !strings.Contains(said[0], "rebuilding") || strings.Contains(said[0], "\n") {
				t.Errorf("the update said %q; want one line saying it rebuilds the index", said)
			}
			if got := indexDirs(t, dir); len(got) != 1 || got[0] == old {
				t.Errorf("index directories after the rebuild: %v; want one new one", got)
			}
			for _, id := range jobIDs {
				if ids := search(t, dir, "jobID:"+index.KeywordValue(id)); len(ids) == 0 {
					t.Errorf("the rebuilt index does not find job %s", id)
				}
			}
			if said := syncIndex(t, dir); len(said) != 0 {
				t.Errorf("the next update rebuilt again: %q", said)
			}
		})
	}
}

// TestLeftoverIndexes: RemoveLeftovers removes the index directories a
// killed rebuild left (those index.current does not name) and keeps the
// current one.
func TestLeftoverIndexes(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 71})
	dir := archivetest.Dir(t)
	syncOnce(t, dir, emu)
	syncIndex(t, dir)
	cur := currentDir(t, dir)
	left := []string{filepath.Join(dir, "index-0123456789ab.bleve"), filepath.Join(dir, "index-ba9876543210.bleve")}
	for _, l := range left {
		if err := os.MkdirAll(filepath.Join(l, "store"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := index.RemoveLeftovers(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != len(left) {
		t.Errorf("removed %v; want %d directories", removed, len(left))
	}
	if got := indexDirs(t, dir); len(got) != 1 || got[0] != cur {
		t.Errorf("index directories left: %v; want only %s", got, cur)
	}
}

// TestFailedCreationLeavesNothing: an index creation that fails (a rebuild
// cancelled half way, a first index whose switch fails) leaves no index
// directory behind, and the index in use, if any, as it was.
func TestFailedCreationLeavesNothing(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 83})

	t.Run("rebuild cancelled", func(t *testing.T) {
		dir := archivetest.Dir(t)
		syncOnce(t, dir, emu)
		syncIndex(t, dir)
		cur := currentDir(t, dir)
		st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err = st.View(func(r *archive.Reader) error {
			_, err := index.Rebuild(ctx, dir, r)
			return err
		})
		if err == nil {
			t.Fatal("a cancelled rebuild succeeded: the test proves nothing")
		}
		if got := indexDirs(t, dir); len(got) != 1 || got[0] != cur {
			t.Errorf("index directories after the failed rebuild: %v; want only %s", got, cur)
		}
	})

	t.Run("first index cannot be made current", func(t *testing.T) {
		dir := archivetest.Dir(t)
		syncOnce(t, dir, emu)
		// index.current.tmp is a directory with something in it: writing
		// the switch file fails.
		if err := os.MkdirAll(filepath.Join(dir, index.CurrentFile+".tmp", "x"), 0o700); err != nil {
			t.Fatal(err)
		}
		if x, err := index.Open(dir, index.Options{}); err == nil {
			x.Close()
			t.Fatal("the index was made current: the test proves nothing")
		}
		if got := indexDirs(t, dir); len(got) != 0 {
			t.Errorf("index directories after the failed creation: %v; want none", got)
		}
	})
}
