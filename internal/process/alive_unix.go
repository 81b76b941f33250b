//go:build unix

package process

import (
	"errors"

	"golang.org/x/sys/unix"
)

// Alive reports whether the process with id pid exists. Signal 0 checks
// without sending anything; EPERM means the process exists under another
// user. A pid that is not positive names no single process.
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}
