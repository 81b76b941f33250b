//go:build !unix

package main

import "testing"

// noUmask skips the test: file modes are unix permissions, which this
// system does not keep.
func noUmask(t *testing.T) {
	t.Helper()
	t.Skip("file modes are unix permissions, which this system does not keep")
}
