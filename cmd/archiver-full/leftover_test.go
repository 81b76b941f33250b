package main

import (
	"os"
	"testing"

	"github.com/archiver-dev/archiver/internal/outfile"
)

// noTemps fails if dir holds a temporary or scratch file of a writer.
func noTemps(t *testing.T, dir string) {
	t.Helper()
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		if _, ok := outfile.Leftover(e.Name()); ok {
			t.Errorf("%s left in %s", e.Name(), dir)
		}
	}
}
