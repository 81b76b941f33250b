//go:build !unix

package sync_test

import (
	"errors"
	"testing"
)

// needFileSizeLimit skips the test: a file size limit (RLIMIT_FSIZE) is
// unix only.
func needFileSizeLimit(t *testing.T) {
	t.Helper()
	t.Skip("a file size limit (RLIMIT_FSIZE) is unix only")
}

// limitFileSize fails here: a file size limit is unix only.
func limitFileSize(uint64) error { return errors.ErrUnsupported }
