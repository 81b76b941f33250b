//go:build unix

package main

import "syscall"

// Modes of access(2).
const (
	accessWrite  = 0x2 // W_OK
	accessSearch = 0x1 // X_OK
)

// dirWritable checks that files can be created in the directory dir, by
// the permissions access(2) judges for this process.
func dirWritable(dir string) error {
	return syscall.Access(dir, accessWrite|accessSearch)
}
