// Package synclock is the sync lock of an archive directory: the lock file
// one running sync holds, and that every other writer of the archive (an
// import, a prune, a reindex) takes or waits for, so that they never
// interleave. It is separate from the archive file's own lock, which a sync
// takes only for the moment of each commit.
package synclock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/filelock"
	"github.com/archiver-dev/archiver/internal/process"
)

// FileName is the file in the archive directory that one running sync
// holds, so that two syncs (an overlapping cron run, say) never interleave.
const FileName = "sync.lock"

// ErrRunning is returned when another sync holds the archive's sync lock.
var ErrRunning = errors.New("another sync is running on this archive")

// Lock is the sync lock, held.
type Lock struct{ f *os.File }

// Take takes the sync lock of the archive in dir at once, writing this
// process's ID and now into the lock file, or fails with ErrRunning
// naming the holder.
func Take(dir string, now time.Time) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create archive directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open sync lock: %w", err)
	}
	if err := filelock.TryLock(f); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, filelock.ErrLocked) {
			h := strings.TrimSpace(string(holder))
			if h == "" {
				h = "unknown process"
			}
			return nil, fmt.Errorf("%w (%s)", ErrRunning, h)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	_ = f.Truncate(0)
	_, _ = fmt.Fprintf(f, "pid %d, since %s\n", os.Getpid(), now.UTC().Format(time.RFC3339))
	return &Lock{f: f}, nil
}

// syncPoll is how often Wait tries the sync lock again, and waitNotice
// how long it waits before saying so.
const (
	syncPoll   = 50 * time.Millisecond
	waitNotice = 500 * time.Millisecond
)

// Wait takes the sync lock of the archive in dir like Take, but
// waits up to timeout for a running sync to end, telling waiting once. Import
// and reindex wait; sync itself refuses at once, so that an overlapping cron
// run ends rather than queues. On timeout the error is an archive.BusyError
// naming the sync.
func Wait(ctx context.Context, dir string, now func() time.Time, timeout time.Duration, waiting func(string)) (*Lock, error) {
	start := time.Now()
	deadline := start.Add(timeout)
	told := false
	for {
		l, err := Take(dir, now())
		if !errors.Is(err, ErrRunning) {
			return l, err
		}
		if time.Now().After(deadline) {
			busy := &archive.BusyError{Dir: dir, Waited: timeout}
			if h, ok := Running(dir); ok {
				busy.Holder = h.String()
			}
			return nil, busy
		}
		// A sync often ends soon; say what is happening only when the wait
		// is longer than a moment.
		if !told && waiting != nil && time.Since(start) > waitNotice {
			waiting("waiting for a running sync to finish")
			told = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(syncPoll):
		}
	}
}

// Holder is the running sync that holds an archive's sync lock, as its
// lock file tells.
type Holder struct {
	// PID is the process ID of the sync.
	PID int
	// Since is when the sync started.
	Since time.Time
}

// String describes the holder as lock messages show it: "sync running since
// 2026-03-04T02:17:00Z (pid 4242)".
func (h Holder) String() string {
	return fmt.Sprintf("sync running since %s (pid %d)", h.Since.UTC().Format(time.RFC3339), h.PID)
}

// Running reads the sync lock file of the archive in dir and returns
// the sync that holds it, if one does. A sync empties the file when it ends;
// one that was killed leaves its line behind, so the process must also
// still exist. It only reads: it never takes the lock, which would make a
// sync starting at that moment fail.
func Running(dir string) (Holder, bool) {
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		return Holder{}, false
	}
	h, ok := parseHolder(string(b))
	if !ok {
		return Holder{}, false
	}
	if !process.Alive(h.PID) {
		return Holder{}, false
	}
	return h, true
}

// parseHolder reads the line Take writes: "pid N, since T".
func parseHolder(s string) (Holder, bool) {
	var h Holder
	pidPart, sincePart, ok := strings.Cut(strings.TrimSpace(s), ", since ")
	if !ok {
		return h, false
	}
	pid, err := strconv.Atoi(strings.TrimPrefix(pidPart, "pid "))
	if err != nil || pid <= 0 || !strings.HasPrefix(pidPart, "pid ") {
		return h, false
	}
	since, err := time.Parse(time.RFC3339, sincePart)
	if err != nil {
		return h, false
	}
	h.PID, h.Since = pid, since
	return h, true
}

// Unlock releases the lock, emptying the lock file first.
func (l *Lock) Unlock() {
	_ = l.f.Truncate(0)
	_ = filelock.Unlock(l.f)
	_ = l.f.Close()
}
