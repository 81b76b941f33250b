package cliapp

import (
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestTwoDashes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"flag provided but not defined: -archive", "flag provided but not defined: --archive"},
		{`invalid value "x" for flag -max-items: parse error`, `invalid value "x" for flag --max-items: parse error`},
		{"flag provided but not defined: -o", "flag provided but not defined: -o"},
		{"--already two", "--already two"},
		{"region us-east-1 and -5s", "region us-east-1 and -5s"},
	}
	for _, tt := range tests {
		if got := TwoDashes(tt.in); got != tt.want {
			t.Errorf("TwoDashes(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestCommandAt finds the command word past global flags and their values.
func TestCommandAt(t *testing.T) {
	app := New(Options{Stdout: io.Discard, Stderr: io.Discard, Commands: []*cli.Command{QueryCommand(nil)}})
	tests := []struct {
		args string
		want int
	}{
		{"archiver query", 1},
		{"archiver --archive D query --job-id j", 3},
		{"archiver --archive=D --debug query", 3},
		{"archiver --config F", -1},
		{"archiver --archive", -1},
		{"archiver", -1},
		{"archiver --version nosuch", 2},
	}
	for _, tt := range tests {
		if got := CommandAt(app, strings.Fields(tt.args)); got != tt.want {
			t.Errorf("CommandAt(%q) = %d, want %d", tt.args, got, tt.want)
		}
	}
}

func TestHasFlag(t *testing.T) {
	tests := []struct {
		args string
		want bool
	}{
		{"archiver query --help", true},
		{"archiver -h", true},
		{"archiver query -help", true},
		{"archiver --help=true query", true},
		{"archiver query -- --help", false},
		{"archiver help", false},
		{"archiver query --helpful", false},
		{"--help", false}, // args[0] is the program
	}
	for _, tt := range tests {
		if got := HasFlag(strings.Fields(tt.args), "help", "h"); got != tt.want {
			t.Errorf("HasFlag(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}

// TestConfigKeysRoundTrip: the table reads back as written, and the
// embedded one holds the global flags and the query command's.
func TestConfigKeysRoundTrip(t *testing.T) {
	k := &ConfigKeys{Globals: []string{"archive", "debug"}, Commands: []CommandKeys{{"sync", []string{"region", "quiet"}}, {"query", []string{"kind"}}}}
	if got := ParseConfigKeys(FormatConfigKeys(k)); !reflect.DeepEqual(got, k) {
		t.Errorf("round trip: %+v, want %+v", got, k)
	}
	all := AllConfigKeys()
	query, ok := all.flags("query")
	if !ok || len(all.Globals) == 0 || len(query) < 10 {
		t.Errorf("embedded table: %+v", all)
	}
}
