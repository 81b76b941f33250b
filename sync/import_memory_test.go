package sync

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/archivetest"
)

// The memory an import takes is measured in a child process (this test
// binary run again for TestImportMemoryChild), as the peak resident set
// size the kernel reports: a measurement, not a timing.
const (
	memChildMode = "ARCHIVER_TEST_IMPORT_CHILD" // check, import or index
	memChildFile = "ARCHIVER_TEST_IMPORT_FILE"  // files to import, a path list
	memChildDir  = "ARCHIVER_TEST_IMPORT_DIR"
	// memBigMB, set to a number of MiB (500, say), runs TestImportLargeFile
	// on a file of that size.
	memBigMB = "ARCHIVER_TEST_IMPORT_MB"
	// memModes, set to a comma-separated list of check, import, index and
	// update, runs only those parts of TestImportLargeFile.
	memModes = "ARCHIVER_TEST_IMPORT_MODES"
)

const (
	memJob     = "drsjob-0123456789abcdefM"
	memRegion  = "eu-west-1"
	memAccount = "111122223333"
)

// writeLogFile writes, on one line, the output of describe-job-log-items
// for a job whose log holds at least size bytes of items, and returns the
// number of items.
func writeLogFile(t *testing.T, path string, size int64) int {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	pad := strings.Repeat("x", 160)
	start := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	w.WriteString(`{"items": [`)
	var written int64
	n := 0
	for ; written < size; n++ {
		if n > 0 {
			w.WriteByte(',')
		}
		// A log is in time order, an item a second after the one before.
		at := start.Add(time.Duration(n) * time.Second).Format(time.RFC3339)
		k, _ := fmt.Fprintf(w, `{"logDateTime": "%s", "event": "JOB_START", "eventData": {"sourceServerID": "s-%017d", "rawError": "item %d %s"}}`,
			at, n, n, pad)
		written += int64(k)
	}
	w.WriteString(`], "nextToken": null}`)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return n
}

// importPeak runs the child in mode on file and archive dir, and returns
// its peak resident set size in bytes and the number of items it read.
func importPeak(t *testing.T, mode, file, dir string) (peak int64, items int) {
	peak, items, _ = importPeaks(t, mode, file, dir)
	return peak, items
}

// importPeaks is importPeak that also returns the largest sample of the
// child's anonymous resident memory (see sampleAnon).
func importPeaks(t *testing.T, mode, file, dir string) (peak int64, items int, anon int64) {
	t.Helper()
	needPeakRSS(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestImportMemoryChild$", "-test.v")
	cmd.Env = append(os.Environ(), memChildMode+"="+mode, memChildFile+"="+file, memChildDir+"="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("child %s: %v\n%s", mode, err, out.String())
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "peak "); ok {
			f := strings.Fields(rest)
			peak, _ = strconv.ParseInt(f[0], 10, 64)
			items, _ = strconv.Atoi(f[2])
			if len(f) > 4 {
				anon, _ = strconv.ParseInt(f[4], 10, 64)
			}
			return peak, items, anon
		}
	}
	t.Fatalf("child %s said no peak:\n%s", mode, out.String())
	return 0, 0, 0
}

// TestImportMemoryChild is the child of importPeak: it imports, or only
// checks, one file and prints its peak resident set size.
func TestImportMemoryChild(t *testing.T) {
	mode := os.Getenv(memChildMode)
	if mode == "" {
		t.Skip("run by TestImportStreams and TestImportLargeFile")
	}
	o := ImportOptions{ArchiveDir: os.Getenv(memChildDir), JobID: memJob, Region: memRegion, Account: memAccount,
		CapturedAt: time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC), NoIndex: mode != "index"}
	file := os.Getenv(memChildFile)
	anon := sampleAnon()
	var items int
	switch mode {
	case "check":
		f, err := readImportFile(file, o)
		if err != nil {
			t.Fatal(err)
		}
		items = f.n
	default:
		res, err := Import(context.Background(), o, filepath.SplitList(file))
		if err != nil {
			t.Fatal(err)
		}
		items = res.Added + res.Unchanged
	}
	fmt.Printf("peak %d items %d anon %d\n", peakRSS(t), items, anon())
}

// sampleAnon samples the anonymous part of this process's resident set
// size (RssAnon: the heap, not the archive file's mapped pages, which the
// kernel can drop at will) every 50ms, and returns a function that returns
// the largest sample, in bytes.
func sampleAnon() func() int64 {
	var max atomic.Int64
	read := func() {
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			return
		}
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "RssAnon:"); ok {
				kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				if kib<<10 > max.Load() {
					max.Store(kib << 10)
				}
			}
		}
	}
	done := make(chan struct{})
	go func() {
		for {
			read()
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return func() int64 {
		close(done)
		read()
		return max.Load()
	}
}

// TestImportStreams: the first pass of an import, which checks every item
// of a file before anything is written, holds one item at a time: its peak
// memory on a file of 64 MiB on one line is that on a file of 1 MiB, give
// or take buffers. The import then archives every item the file holds.
func TestImportStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 64 MiB file")
	}
	const size, small = 64 << 20, 1 << 20
	smallFile := filepath.Join(t.TempDir(), "small-"+memJob+".json")
	writeLogFile(t, smallFile, small)
	base, _ := importPeak(t, "check", smallFile, "")
	file := filepath.Join(t.TempDir(), "log-"+memJob+".json")
	want := writeLogFile(t, file, size)
	if want == 0 {
		t.Fatal("no items written: the test proves nothing")
	}
	peak, n := importPeak(t, "check", file, "")
	t.Logf("check pass: peak RSS %d MiB on %d MiB (%d items), %d MiB on %d MiB", peak>>20, size>>20, want, base>>20, small>>20)
	if n != want {
		t.Errorf("check pass read %d items, want %d", n, want)
	}
	// A pass that held the file would peak at least its size above the
	// small file's; half of it leaves room for the collector falling
	// behind on a busy machine.
	if peak-base > size/2 {
		t.Errorf("check pass of a %d MiB file peaked at %d MiB, %d MiB more than on a %d MiB file: it does not stream",
			size>>20, peak>>20, (peak-base)>>20, small>>20)
	}

	dir := archivetest.Dir(t)
	peak, n = importPeak(t, "import", file, dir)
	t.Logf("import of %d MiB without index: peak RSS %d MiB", size>>20, peak>>20)
	if n != want {
		t.Errorf("import added %d items, want %d", n, want)
	}
	// Again: every item is compared with the archived one, and none is
	// written.
	peak, n = importPeak(t, "import", file, dir)
	t.Logf("the same import again: peak RSS %d MiB", peak>>20)
	if n != want {
		t.Errorf("import again read %d items, want %d", n, want)
	}
	st := archivetest.Open(t, dir)
	defer st.Close()
	got := 0
	_ = st.View(func(r *archive.Reader) error {
		return r.JobLog(archive.JobRef{JobID: memJob, Region: memRegion, Account: memAccount}, func(archive.Record) error { got++; return nil })
	})
	if got != want {
		t.Errorf("archive holds %d log items, want %d", got, want)
	}
}

// TestImportLargeFile measures the peak memory of an import of a file of
// $ARCHIVER_TEST_IMPORT_MB MiB: checked only, imported without the index,
// imported and indexed into a new archive (the index is built from every
// record), and imported into an archive with an index (the index follows
// the change log). It only runs when that is set: a 500 MiB file takes minutes.
func TestImportLargeFile(t *testing.T) {
	mb, _ := strconv.Atoi(os.Getenv(memBigMB))
	if mb <= 0 {
		t.Skip("set " + memBigMB + " to a size in MiB to run")
	}
	file := filepath.Join(t.TempDir(), "log-"+memJob+".json")
	want := writeLogFile(t, file, int64(mb)<<20)
	modes := []string{"check", "import", "index", "update"}
	if only := os.Getenv(memModes); only != "" {
		modes = strings.Split(only, ",")
	}
	for _, mode := range modes {
		dir := archivetest.Dir(t)
		if mode == "update" {
			// The archive and its index already hold the first MiB of the
			// log: the import indexes what it adds from the change log.
			small := filepath.Join(t.TempDir(), "start-"+memJob+".json")
			writeLogFile(t, small, 1<<20)
			importPeak(t, "index", small, dir)
		}
		start := time.Now()
		child := mode
		if mode == "update" {
			child = "index"
		}
		peak, n, anon := importPeaks(t, child, file, dir)
		t.Logf("%s, %d MiB file of %d items: peak RSS %d MiB, of it anonymous at most %d MiB (%s)", mode, mb, want, peak>>20, anon>>20, time.Since(start).Round(time.Second))
		if n != want {
			t.Errorf("%s read %d items, want %d", mode, n, want)
		}
	}
}
