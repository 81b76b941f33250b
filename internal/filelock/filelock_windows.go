//go:build windows

package filelock

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// lockOffset is where the one locked byte lies: far past any content, since
// Windows locks are mandatory and a locked byte cannot be read through
// another handle. Locking past the end of a file is allowed.
const lockOffset = 1 << 30

// TryLock takes the exclusive lock of f without waiting. It returns
// ErrLocked when another open file holds it.
func TryLock(f *os.File) error {
	ol := &windows.Overlapped{Offset: lockOffset}
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return ErrLocked
	}
	if err != nil {
		return fmt.Errorf("LockFileEx: %w", err)
	}
	return nil
}

// Unlock releases the lock TryLock took on f. Closing f releases it too.
func Unlock(f *os.File) error {
	ol := &windows.Overlapped{Offset: lockOffset}
	if err := windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, ol); err != nil {
		return fmt.Errorf("UnlockFileEx: %w", err)
	}
	return nil
}
