//go:build unix

package status

import (
	"os"
	"syscall"
)

// diskBytes is what a file takes on disk: its allocated blocks, which for
// a sparse or preallocated file (bbolt grows its file ahead of use) is not
// its apparent size.
func diskBytes(fi os.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blocks) * 512
	}
	return fi.Size()
}
