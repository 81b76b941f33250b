//go:build !unix && !windows

package filelock

import (
	"errors"
	"fmt"
	"os"
)

// TryLock fails here: this system has no file lock archiver knows.
func TryLock(*os.File) error {
	return fmt.Errorf("file lock: %w", errors.ErrUnsupported)
}

// Unlock does nothing here, as TryLock never succeeds.
func Unlock(*os.File) error { return nil }
