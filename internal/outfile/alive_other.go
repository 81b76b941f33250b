//go:build !unix

package outfile

// alive cannot tell here, so no leftover is ever taken for a dead one.
func alive(int) bool { return true }
