//go:build !linux

package archive

// ReleaseMapped does nothing here; on Linux it drops the archive file's
// mapped pages from the process's resident set.
func (r *Reader) ReleaseMapped() {}
