package buildinfo_test

import (
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/internal/buildinfo"
)

// TestWrite prints a build as 'archiver version' does: the version line,
// then one aligned line per field and the schema last.
func TestWrite(t *testing.T) {
	in := buildinfo.Info{Version: "v1.2.3"}
	var b strings.Builder
	if err := buildinfo.Write(&b, in, 7); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if want := 1 + len(in.Fields()) + 1; len(lines) != want {
		t.Fatalf("%d lines, want %d: %q", len(lines), want, b.String())
	}
	if lines[0] != "archiver "+in.String() {
		t.Errorf("first line %q", lines[0])
	}
	if last := lines[len(lines)-1]; last != "archive schema: 7" {
		t.Errorf("last line %q, want the schema", last)
	}
}
