package archive

import "syscall"

// ReleaseMapped tells the kernel that the pages of the archive file this
// process has read through its memory map are not needed now: they stay in
// the page cache, leave the process's resident set, and are read back at
// the next access. A read of every record (building the index) calls it
// between batches, so that the process's resident set does not grow to the
// size of the archive file. It does nothing in a write transaction, whose
// newest pages are not mapped yet.
func (r *Reader) ReleaseMapped() {
	if r.tx.Writable() {
		return
	}
	// A read transaction's pages all lie in the map, which begins at Data
	// and covers the whole file as it was when the transaction began.
	start, size := r.tx.DB().Info().Data, r.tx.Size()
	if start == 0 || size <= 0 {
		return
	}
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, start, uintptr(size), syscall.MADV_DONTNEED)
}
