package migrations

import (
	"strings"
	"testing"
)

// FuzzParseRecord: the record of applied steps read from a file either
// parses into steps with a positive number and a name without blanks that
// render back to the same text, or is refused; it never panics.
func FuzzParseRecord(f *testing.F) {
	f.Add([]byte("1 initial-buckets\n2 change-log\n"))
	f.Add([]byte("8 deleted-upstream\n7 drs-recovery-snapshots-and-instances\n"))
	f.Add([]byte(""))
	f.Add([]byte("1\n"))
	f.Add([]byte("-3 x\n"))
	f.Add([]byte("1 a b\n"))
	f.Fuzz(func(t *testing.T, v []byte) {
		steps, err := parseRecord(v)
		if err != nil {
			return
		}
		lines := strings.Split(strings.TrimSuffix(string(v), "\n"), "\n")
		if len(steps) != len(lines) {
			t.Fatalf("%q: %d steps from %d lines", v, len(steps), len(lines))
		}
		for i, s := range steps {
			if s.version <= 0 || s.name == "" || strings.ContainsAny(s.name, " \t\r\n") {
				t.Fatalf("parsed %q into step %d %q", v, s.version, s.name)
			}
			if _, name, _ := strings.Cut(lines[i], " "); name != s.name {
				t.Fatalf("line %q gave the name %q", lines[i], s.name)
			}
		}
	})
}
