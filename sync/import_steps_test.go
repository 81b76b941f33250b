package sync

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
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
		if e.Name() == archive.CheckedFile {
			continue // a note of a page check, written when the file settles
		}
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
		if _, err := r.VerifyChain(context.Background(), func(err error) { problems = append(problems, err) }); err != nil {
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

// TestImportKilledInSteps: an import killed while it writes to its copy of
// the archive, after some steps committed there, leaves the archive file
// byte for byte as it was; the next writer removes the copy, and the
// archive passes its checks.
func TestImportKilledInSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 17 MiB file")
	}
	ctx := context.Background()
	dir, src := archivetest.Dir(t), t.TempDir()
	big := filepath.Join(src, "log-"+memJob+".json")
	writeLogFile(t, big, stepImportBytes+1<<20) // written in steps
	start := filepath.Join(src, "start-"+memJob+".json")
	writeLogFile(t, start, 64<<10)
	o := ImportOptions{ArchiveDir: dir, JobID: memJob, Region: memRegion, Account: memAccount,
		CapturedAt: time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC), NoIndex: true}
	if _, err := Import(ctx, o, []string{start}); err != nil {
		t.Fatal(err)
	}
	names, before := dirState(t, dir)

	// The second file is a FIFO: the child blocks opening it for its
	// second pass, once the first file is in the copy, and is killed there.
	fifo := filepath.Join(src, "more-"+memJob+".json")
	if err := mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	content, err := os.ReadFile(start)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestImportMemoryChild$")
	cmd.Env = append(os.Environ(), memChildMode+"=import", memChildFile+"="+big+string(os.PathListSeparator)+fifo, memChildDir+"="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// First pass: the child reads the FIFO once.
	writeFIFO(t, fifo, content, exited, &out)
	// The copy appears once the first pass is over and the FIFO closed.
	for !hasCopy(t, dir) {
		select {
		case err := <-exited:
			t.Fatalf("the import ended before it made its copy: %v\n%s", err, out.String())
		case <-time.After(time.Millisecond):
		}
	}
	// Second pass: opening the FIFO again returns when the child opens it
	// to merge it, after the first file went into the copy.
	w, err := openFIFO(fifo, exited)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	w.Close()

	gotNames, after := dirState(t, dir)
	if !bytes.Equal(after, before) {
		t.Error("the killed import changed the archive file")
	}
	var copies []string
	for _, n := range gotNames {
		if strings.HasPrefix(n, "archiver-scratch-") {
			copies = append(copies, n)
		}
	}
	if len(copies) != 1 {
		t.Fatalf("archive directory holds %v after the kill, want the killed import's copy", gotNames)
	}
	st := archivetest.Open(t, dir)
	err = st.View(func(r *archive.Reader) error {
		var problems []error
		if _, err := r.VerifyChain(context.Background(), func(err error) { problems = append(problems, err) }); err != nil {
			return err
		}
		for _, p := range problems {
			t.Errorf("verify: %v", p)
		}
		return nil
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if gotNames, _ := dirState(t, dir); !slices.Equal(gotNames, names) {
		t.Errorf("archive directory holds %v after the next open, want %v", gotNames, names)
	}
}

// hasCopy reports whether an import's copy of the archive is in dir.
func hasCopy(t *testing.T, dir string) bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "archiver-scratch-") {
			return true
		}
	}
	return false
}

// openFIFO opens a FIFO for writing, which returns once a reader opens it,
// or fails if the child exits first.
func openFIFO(path string, exited chan error) (*os.File, error) {
	opened := make(chan *os.File, 1)
	failed := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			failed <- err
			return
		}
		opened <- f
	}()
	select {
	case f := <-opened:
		return f, nil
	case err := <-failed:
		return nil, err
	case err := <-exited:
		exited <- err
		// Unblock the open above.
		if r, rerr := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); rerr == nil {
			r.Close()
		}
		return nil, errors.New("the import ended before it read the FIFO")
	}
}

// writeFIFO writes content to a FIFO once its reader opens it.
func writeFIFO(t *testing.T, path string, content []byte, exited chan error, out *bytes.Buffer) {
	t.Helper()
	w, err := openFIFO(path, exited)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	defer w.Close()
	if _, err := w.Write(content); err != nil {
		t.Fatal(err)
	}
}
