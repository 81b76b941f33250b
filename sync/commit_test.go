package sync_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

// TestMain lets the test binary stand in for a sync process with a file
// size limit (see TestCommitFileSizeLimit).
func TestMain(m *testing.M) {
	if os.Getenv(fsizeLimitEnv) != "" {
		os.Exit(fileSizeLimitedSync())
	}
	os.Exit(m.Run())
}

// The environment of a sync process with a file size limit: the limit in
// bytes, the archive directory and the emulator's URL.
const (
	fsizeLimitEnv    = "ARCHIVER_TEST_FSIZE_LIMIT"
	fsizeArchiveEnv  = "ARCHIVER_TEST_FSIZE_ARCHIVE"
	fsizeEndpointEnv = "ARCHIVER_TEST_FSIZE_ENDPOINT"
)

// fileSizeLimitedSync syncs SMS under RLIMIT_FSIZE, with SIGXFSZ ignored so
// that a write past the limit fails with EFBIG instead of killing the
// process. It prints the sync's error and exits 0 on success, 3 on a
// DiskFullError of EFBIG and 1 on any other error.
func fileSizeLimitedSync() int {
	limit, err := strconv.ParseUint(os.Getenv(fsizeLimitEnv), 10, 64)
	if err == nil {
		err = limitFileSize(limit)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "set the file size limit:", err)
		return 2
	}
	o := archsync.Options{
		ArchiveDir: os.Getenv(fsizeArchiveEnv), EndpointURL: os.Getenv(fsizeEndpointEnv),
		Regions: []string{"us-east-1"}, Sources: []archsync.Source{archsync.SourceSMS},
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		MaxBackoff:  5 * time.Millisecond, PageSize: 100, NoIndex: true,
	}
	err = archsync.Run(context.Background(), o, &archsync.Stats{})
	if err == nil {
		return 0
	}
	fmt.Fprintln(os.Stderr, err)
	var full *archsync.DiskFullError
	if errors.As(err, &full) && full.Errno == syscall.EFBIG {
		return 3
	}
	return 1
}

// highWaterMark returns the bytes of the archive file that bbolt uses; the
// file is larger, grown ahead in steps.
func highWaterMark(t *testing.T, dir string) int64 {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var size int64
	db.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil })
	return size
}

// TestCommitFileSizeLimit: a commit whose writes fail for real (past
// RLIMIT_FSIZE, in a separate process) is rolled back by bbolt: the sync
// fails with one line saying so, the archive is exactly as it was and
// consistent, and the next sync writes everything.
func TestCommitFileSizeLimit(t *testing.T) {
	needFileSizeLimit(t)
	small := archivetest.Emulator(t, emulator.Options{Seed: 2, Jobs: -1, SnowballClusters: -1, SMSJobs: 2})
	large := archivetest.Emulator(t, emulator.Options{Seed: 3, Jobs: -1, SnowballClusters: -1, SMSJobs: 100})
	dir := archivetest.Dir(t)
	o := options(dir, small)
	o.Sources = []archsync.Source{archsync.SourceSMS}
	runSync(t, o)
	before := archivetest.ContentHash(t, dir)
	hwm := highWaterMark(t, dir)

	// Every byte bbolt uses may be rewritten; none past them may be
	// written, and the first page of the large history needs more.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fsizeLimitEnv+"="+strconv.FormatInt(hwm, 10), fsizeArchiveEnv+"="+dir, fsizeEndpointEnv+"="+large.URL())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("limited sync: %v, want exit status 3 (a DiskFullError of EFBIG): %s", err, stderr.String())
	}
	matches(t, stderr.String(), `^commit GetReplicationJobs page 1( and \d+ more pages?)?: file too large \(the file size limit was reached\); the transaction was rolled back, nothing of it was written\n$`)
	if after := archivetest.ContentHash(t, dir); after != before {
		t.Error("the archive changed")
	}
	archivetest.Check(t, dir)

	o.EndpointURL = large.URL()
	runSync(t, o)
	if n := countKinds(t, dir, kinds.SMSJob); n != 2+100 {
		t.Errorf("%d SMS jobs archived after the limit was lifted, want 102", n)
	}
}

// TestCommitDiskFull: a commit that fails for want of space is rolled back
// whole and ends the sync with one line saying so; nothing is committed
// after it, the archive is consistent, and the next sync completes it.
func TestCommitDiskFull(t *testing.T) {
	noSpace := func(dir string) error {
		return &os.PathError{Op: "write", Path: filepath.Join(dir, archive.FileName), Err: syscall.ENOSPC}
	}
	const want = `^commit [A-Za-z]+( drsjob-[0-9a-z]{17}| s-[0-9a-f]{17})?( page \d+)?( and \d+ more pages?)?: no space left on device; the transaction was rolled back, nothing of it was written$`

	t.Run("first commit", func(t *testing.T) {
		emu := archivetest.Emulator(t, emulator.Options{Seed: 23})
		dir := archivetest.Dir(t)
		o := options(dir, emu)
		runSync(t, o)
		before := archivetest.ContentHash(t, dir)
		emu.Advance(24 * time.Hour)

		archsync.FailCommits(t, 1, noSpace(dir))
		var st archsync.Stats
		err := archsync.Run(context.Background(), o, &st)
		var full *archsync.DiskFullError
		if !errors.As(err, &full) || full.Errno != syscall.ENOSPC {
			t.Fatalf("sync: %v, want a DiskFullError of ENOSPC", err)
		}
		matches(t, err.Error(), want)
		if n := st.Commits.Load(); n != 0 {
			t.Errorf("%d commits after the failed one", n)
		}
		if after := archivetest.ContentHash(t, dir); after != before {
			t.Error("the archive changed")
		}
		archivetest.Check(t, dir)

		archsync.FailCommits(t, 1<<30, nil)
		runSync(t, o)
		sameContent(t, readContent(t, dir), wantContent(t, emu))
	})

	t.Run("later commit", func(t *testing.T) {
		emu := archivetest.Emulator(t, emulator.Options{Seed: 23})
		// Slow answers spread the sync over several commits.
		emu.SetFaults(emulator.Faults{Latency: time.Millisecond})
		dir := archivetest.Dir(t)
		o := options(dir, emu)
		archsync.FailCommits(t, 2, noSpace(dir))
		var st archsync.Stats
		err := archsync.Run(context.Background(), o, &st)
		if err == nil {
			t.Fatal("the sync committed everything in one transaction; the test proves nothing")
		}
		matches(t, err.Error(), want)
		if n := st.Commits.Load(); n != 1 {
			t.Errorf("%d commits, want only the one before the failure", n)
		}
		archivetest.Check(t, dir)

		archsync.FailCommits(t, 1<<30, nil)
		emu.SetFaults(emulator.Faults{})
		runSync(t, o)
		sameContent(t, readContent(t, dir), wantContent(t, emu))
	})
}
