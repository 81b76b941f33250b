//go:build !unix

package main

import (
	"errors"
	"os"
)

// dirWritable checks that files can be created in the directory dir. With
// no access(2) here (Windows judges by access control lists), it creates
// and removes an empty file there.
func dirWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".archiver-probe-*")
	if err != nil {
		if u := errors.Unwrap(err); u != nil {
			return u
		}
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
