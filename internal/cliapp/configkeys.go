package cliapp

import (
	_ "embed"
	"strings"

	"github.com/urfave/cli/v2"
)

// ConfigKeys are the keys a configuration file may hold: the global
// flags, and per command the command's flags, by their long names.
type ConfigKeys struct {
	Globals  []string
	Commands []CommandKeys
}

// CommandKeys are the flags of one command a file may set.
type CommandKeys struct {
	Name  string
	Flags []string
}

// flags returns the keys of the table of command name; ok is false for a
// name that is no command with flags.
func (k *ConfigKeys) flags(name string) (flags []string, ok bool) {
	for _, c := range k.Commands {
		if c.Name == name {
			return c.Flags, true
		}
	}
	return nil, false
}

// KeysOf lists the keys of the flags of app's commands: every command
// with flags a file can set, in the app's order.
func KeysOf(app *cli.App) *ConfigKeys {
	k := &ConfigKeys{Globals: flagNamesOf(app.Flags)}
	for _, cmd := range app.Commands {
		if names := flagNamesOf(cmd.Flags); len(names) > 0 {
			k.Commands = append(k.Commands, CommandKeys{Name: cmd.Name, Flags: names})
		}
	}
	return k
}

// allKeys is the table of every command's keys, archiver-full's: an
// executable with fewer commands checks a file against it, so that it
// takes the same files. Its first line holds the global flags; each other
// line a command and its flags. A test of archiver-full keeps it equal to
// that executable's commands.
//
//go:embed configkeys.txt
var allKeys string

// AllConfigKeys are the keys a configuration file may hold for any command
// of archiver.
func AllConfigKeys() *ConfigKeys { return ParseConfigKeys(allKeys) }

// ParseConfigKeys reads a table in the form FormatConfigKeys writes: on
// each line a command and its flags, "*" for the global flags; lines
// starting with "#" are comments.
func ParseConfigKeys(s string) *ConfigKeys {
	k := &ConfigKeys{}
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0 || strings.HasPrefix(f[0], "#"):
		case f[0] == "*":
			k.Globals = append(k.Globals, f[1:]...)
		default:
			k.Commands = append(k.Commands, CommandKeys{Name: f[0], Flags: f[1:]})
		}
	}
	return k
}

// FormatConfigKeys writes k as the table AllConfigKeys reads.
func FormatConfigKeys(k *ConfigKeys) string {
	var b strings.Builder
	b.WriteString("# The flags of every command of archiver-full a configuration file may set;\n# the first line holds the global flags. Written by archiver-full's tests\n# (go test ./cmd/archiver-full -run ConfigKeys -update).\n")
	b.WriteString("* " + strings.Join(k.Globals, " ") + "\n")
	for _, c := range k.Commands {
		b.WriteString(c.Name + " " + strings.Join(c.Flags, " ") + "\n")
	}
	return b.String()
}
