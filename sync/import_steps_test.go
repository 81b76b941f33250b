package sync

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/archivetest"
)

// dirState is what a test compares an archive directory by: the names in
// it and the archive file's bytes.
func dirState(t *testing.T, dir string) (names []string, db []byte) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	db, err = os.ReadFile(filepath.Join(dir, archive.FileName))
	if err != nil {
		t.Fatal(err)
	}
	return names, db
}

// stepImports makes every import of the test write to a copy of the
// archive in steps of a few KiB: one per batch of log items.
func stepImports(t *testing.T) {
	t.Helper()
	oldFrom, oldStep := stepImportBytes, importStepBytes
	stepImportBytes, importStepBytes = 0, 4<<10
	t.Cleanup(func() { stepImportBytes, importStepBytes = oldFrom, oldStep })
}

// TestImportInStepsAllOrNothing: an import written to a copy of the archive
// in several transactions goes in whole, as one in a single transaction
// does, and leaves the hash chain intact; one that fails after some of its
// steps committed leaves the archive file byte for byte as it was, and no
// copy behind.
func TestImportInStepsAllOrNothing(t *testing.T) {
	stepImports(t)
	ctx := context.Background()
	dir, src := archivetest.Dir(t), t.TempDir()
	const other = "drsjob-0123456789abcdefN" // not in the archive
	jobs := filepath.Join(src, "jobs.json")
	err := os.WriteFile(jobs, []byte(`{"items": [{"jobID": "`+memJob+`", "arn": "arn:aws:drs:`+memRegion+`:`+memAccount+`:job/`+memJob+`", "status": "COMPLETED"}]}`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	logA := filepath.Join(src, "log-"+memJob+".json")
	want := writeLogFile(t, logA, 1<<20)
	if want <= 2*importBatch {
		t.Fatalf("%d items: too few for several steps", want)
	}
	logB := filepath.Join(src, "log-"+other+".json")
	writeLogFile(t, logB, 4<<10)
	o := ImportOptions{ArchiveDir: dir, CapturedAt: time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC), NoIndex: true}
	if _, err := Import(ctx, o, []string{jobs}); err != nil {
		t.Fatal(err)
	}

	// The log of the job the archive holds goes in, in steps, before the
	// log of the job it does not hold fails the import.
	names, before := dirState(t, dir)
	_, err = Import(ctx, o, []string{logA, logB})
	if err == nil || !strings.Contains(err.Error(), other+" is not in the archive") {
		t.Fatalf("import of a log of a job not archived: %v, want that error", err)
	}
	gotNames, after := dirState(t, dir)
	if !slices.Equal(gotNames, names) {
		t.Errorf("archive directory holds %v after the failed import, want %v", gotNames, names)
	}
	if !bytes.Equal(after, before) {
		t.Errorf("the failed import changed the archive file")
	}

	st := archivetest.Open(t, dir)
	var pos uint64
	_ = st.View(func(r *archive.Reader) error { pos, _ = r.Position(); return nil })
	st.Close()
	o.NoIndex = false
	res, err := Import(ctx, o, []string{logA})
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != want {
		t.Errorf("import added %d items, want %d", res.Added, want)
	}
	if gotNames, _ := dirState(t, dir); !slices.Equal(gotNames, withIndex(names, gotNames)) {
		t.Errorf("archive directory holds %v after the import, want %v and the index", gotNames, names)
	}
	st = archivetest.Open(t, dir)
	defer st.Close()
	err = st.View(func(r *archive.Reader) error {
		now, err := r.Position()
		if err != nil {
			return err
		}
		if now < pos+2 {
			t.Errorf("the import wrote %d change-log entries, want one per step, several", now-pos)
		}
		got := 0
		if err := r.JobLog(archive.JobRef{JobID: memJob, Region: memRegion, Account: memAccount}, func(archive.Record) error { got++; return nil }); err != nil {
			return err
		}
		if got != want {
			t.Errorf("archive holds %d log items, want %d", got, want)
		}
		var problems []error
		if _, err := r.VerifyChain(func(err error) { problems = append(problems, err) }); err != nil {
			return err
		}
		for _, p := range problems {
			t.Errorf("verify: %v", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// withIndex returns names and whatever of got the index added.
func withIndex(names, got []string) []string {
	out := slices.Clone(names)
	for _, g := range got {
		if !slices.Contains(names, g) && !strings.HasPrefix(g, "archiver-scratch-") && g != archive.FileName {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out
}

// TestOpenRemovesCopiesOfKilledImports: the copy of the archive a killed
// import left behind is removed by the next writer, and a live one's
// stays.
func TestOpenRemovesCopiesOfKilledImports(t *testing.T) {
	dir := archivetest.Dir(t)
	archivetest.Open(t, dir).Close()
	dead := exec.Command(os.Args[0], "-test.run=^$")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	left := filepath.Join(dir, "archiver-scratch-"+strconv.Itoa(dead.Process.Pid)+"-0123456789ab")
	live := filepath.Join(dir, "archiver-scratch-"+strconv.Itoa(os.Getppid())+"-0123456789ab")
	for _, p := range []string{left, live} {
		if err := os.WriteFile(p, []byte("copy"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	archivetest.Open(t, dir).Close()
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Errorf("the copy of a dead import is still there: %v", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the scratch file of a live process was removed: %v", err)
	}
}
