package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/archiver-dev/archiver/internal/cliapp"
)

var update = flag.Bool("update", false, "rewrite the table of configuration keys")

// TestConfigKeysTable keeps the table of configuration keys archiver reads
// (cliapp.AllConfigKeys) equal to the flags of this executable's commands:
// both executables then take the same configuration files.
func TestConfigKeysTable(t *testing.T) {
	want := cliapp.FormatConfigKeys(cliapp.KeysOf(newApp(io.Discard, io.Discard)))
	path := filepath.Join("..", "..", "internal", "cliapp", "configkeys.txt")
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return // the table is embedded: the next build reads it
	}
	got := cliapp.FormatConfigKeys(cliapp.AllConfigKeys())
	if got != want {
		t.Errorf("the table of configuration keys differs from the commands' flags: run go test ./cmd/archiver-full -run ConfigKeysTable -update\ngot:\n%s\nwant:\n%s", got, want)
	}
	if len(cliapp.AllConfigKeys().Commands) < 10 {
		t.Errorf("%d commands in the table", len(cliapp.AllConfigKeys().Commands))
	}
}
