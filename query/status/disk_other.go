//go:build !unix

package status

import "os"

// diskBytes is what a file takes on disk; where the system does not say,
// its apparent size.
func diskBytes(fi os.FileInfo) int64 { return fi.Size() }
