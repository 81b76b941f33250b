package sync

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// LockFileName is the file in the archive directory that one running sync
// holds, so that two syncs (an overlapping cron run, say) never interleave.
// It is separate from the archive file's own lock, which sync takes only for
// the moment of each commit.
const LockFileName = "sync.lock"

// ErrSyncRunning is returned when another sync holds the archive's sync lock.
var ErrSyncRunning = errors.New("another sync is running on this archive")

type syncLock struct{ f *os.File }

func lockSync(dir string, now time.Time) (*syncLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create archive directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open sync lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			h := strings.TrimSpace(string(holder))
			if h == "" {
				h = "unknown process"
			}
			return nil, fmt.Errorf("%w (%s)", ErrSyncRunning, h)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	_ = f.Truncate(0)
	_, _ = fmt.Fprintf(f, "pid %d, since %s\n", os.Getpid(), now.UTC().Format(time.RFC3339))
	return &syncLock{f: f}, nil
}

func (l *syncLock) unlock() {
	_ = l.f.Truncate(0)
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
}
