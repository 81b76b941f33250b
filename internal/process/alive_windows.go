//go:build windows

package process

import (
	"errors"
	"math"

	"golang.org/x/sys/windows"
)

// stillActive is the exit code GetExitCodeProcess reports for a process
// that runs (STILL_ACTIVE).
const stillActive = 259

// Alive reports whether the process with id pid exists. Access denied means
// the process exists under another user. A process keeps its id while a
// handle to it is open, so its exit code tells whether it has ended.
func Alive(pid int) bool {
	if pid <= 0 || uint64(pid) > math.MaxUint32 {
		return false
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return errors.Is(err, windows.ERROR_ACCESS_DENIED)
	}
	defer windows.CloseHandle(h)
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		// It exists; only its state cannot be read.
		return true
	}
	return code == stillActive
}
