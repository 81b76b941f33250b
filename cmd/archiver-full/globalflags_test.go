package main

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/internal/cliapp"
)

func TestHoistGlobalFlags(t *testing.T) {
	app := newApp(io.Discard, io.Discard)
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"before the command stays", "archiver --archive D query --job-id j", "archiver --archive D query --job-id j"},
		{"after the command moves", "archiver query --archive D --job-id j", "archiver --archive D query --job-id j"},
		{"attached value", "archiver query --job-id j --archive=D", "archiver --archive=D query --job-id j"},
		{"one dash", "archiver status -archive D", "archiver -archive D status"},
		{"a command flag's value is not a flag", "archiver query --text --archive --job-id j", "archiver query --text --archive --job-id j"},
		{"after -- nothing moves", "archiver query -- --archive D", "archiver query -- --archive D"},
		{"--version stays for the command to refuse", "archiver sync --version", "archiver sync --version"},
		{"unknown command: untouched", "archiver nosuch --archive D", "archiver nosuch --archive D"},
		{"no command", "archiver --archive D", "archiver --archive D"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(cliapp.HoistGlobalFlags(app, strings.Fields(tt.in)), " ")
			if got != tt.want {
				t.Errorf("cliapp.HoistGlobalFlags(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestGlobalFlagsAfterTheCommand runs a command with --archive after it:
// it reads the archive named, as with the flag before the command.
func TestGlobalFlagsAfterTheCommand(t *testing.T) {
	dir := t.TempDir() + "/missing"
	for _, args := range [][]string{
		{"archiver", "--archive", dir, "status"},
		{"archiver", "status", "--archive", dir},
	} {
		var out, errb strings.Builder
		code := run(t.Context(), args, &out, &errb)
		if code != cliapp.ExitUsage || !strings.Contains(errb.String(), dir) {
			t.Errorf("%v: exit %d, stderr %q; want the archive named refused (exit %d)", args, code, errb.String(), cliapp.ExitUsage)
		}
	}
	var out, errb strings.Builder
	code := run(t.Context(), []string{"archiver", "status", "--no-such-flag"}, &out, &errb)
	if code != cliapp.ExitUsage || !strings.Contains(errb.String(), "--no-such-flag") || slices.Contains(strings.Fields(errb.String()), "-no-such-flag") {
		t.Errorf("exit %d, stderr %q; want a usage error spelling --no-such-flag", code, errb.String())
	}
}

// TestShortFlagsMeanOneThing checks that every one-letter flag stands for
// the same long flag in every command that has it.
func TestShortFlagsMeanOneThing(t *testing.T) {
	app := newApp(io.Discard, io.Discard)
	meaning := map[string]string{}
	where := map[string]string{}
	for _, cmd := range app.Commands {
		for _, f := range cmd.Flags {
			names := f.Names()
			for _, n := range names[1:] {
				if len(n) != 1 {
					continue
				}
				if m, ok := meaning[n]; ok && m != names[0] {
					t.Errorf("-%s is --%s in %s but --%s in %s", n, m, where[n], names[0], cmd.Name)
				}
				meaning[n], where[n] = names[0], cmd.Name
			}
		}
	}
	if len(meaning) == 0 {
		t.Fatal("no command has a one-letter flag; the test proves nothing")
	}
}
