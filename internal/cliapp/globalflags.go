package cliapp

import (
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"
)

// flagSpec says how a flag is spelled and whether it takes a value.
type flagSpec struct {
	takesValue bool
}

// flagSpecs maps every name and alias of flags to their spec.
func flagSpecs(flags []cli.Flag) map[string]flagSpec {
	out := map[string]flagSpec{}
	for _, f := range flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			out[n] = flagSpec{takesValue: !isBool}
		}
	}
	return out
}

// flagName returns the name of a flag token ("--name", "-name",
// "--name=value") and whether it has its value attached; ok is false for a
// token that is no flag ("-" alone, "--", a word).
func flagName(tok string) (name string, attached bool, ok bool) {
	if len(tok) < 2 || tok[0] != '-' || tok == "--" {
		return "", false, false
	}
	name = strings.TrimPrefix(strings.TrimPrefix(tok, "-"), "-")
	if i := strings.IndexByte(name, '='); i >= 0 {
		return name[:i], true, name != ""
	}
	return name, false, name != ""
}

// HoistGlobalFlags moves the global flags given after the command name to
// before it, so that 'archiver query --archive DIR' means what
// 'archiver --archive DIR query' does, as in the aws CLI and restic. A
// flag the command defines itself under the same name stays the
// command's; the values of the command's own flags are never taken for
// flags, and nothing after "--" moves.
func HoistGlobalFlags(app *cli.App, args []string) []string {
	i := CommandAt(app, args)
	if i < 0 {
		return args
	}
	cmd := app.Command(args[i])
	if cmd == nil {
		return args
	}
	globals := flagSpecs(app.Flags)
	own := flagSpecs(cmd.Flags)
	head := append([]string(nil), args[:i]...)
	rest := []string{args[i]}
	for j := i + 1; j < len(args); j++ {
		tok := args[j]
		if tok == "--" {
			rest = append(rest, args[j:]...)
			break
		}
		name, attached, ok := flagName(tok)
		if !ok {
			rest = append(rest, tok)
			continue
		}
		if spec, mine := own[name]; mine {
			rest = append(rest, tok)
			if spec.takesValue && !attached && j+1 < len(args) {
				j++
				rest = append(rest, args[j])
			}
			continue
		}
		spec, global := globals[name]
		if !global || name == "version" || name == "help" || name == "h" {
			// --version after a command would be ignored and the command
			// run: it stays where it is, for the command to refuse; --help
			// after a command asks for the command's help.
			rest = append(rest, tok)
			continue
		}
		head = append(head, tok)
		if spec.takesValue && !attached && j+1 < len(args) {
			j++
			head = append(head, args[j])
		}
	}
	return append(head, rest...)
}

// CommandAt returns the index in args of the command's name: the first
// word after args[0] that is no global flag or its value; -1 when there is
// none.
func CommandAt(app *cli.App, args []string) int {
	globals := flagSpecs(app.Flags)
	i := 1
	for i < len(args) {
		name, attached, ok := flagName(args[i])
		if !ok {
			return i
		}
		i++
		if spec, known := globals[name]; known && spec.takesValue && !attached {
			i++
		}
	}
	return -1
}

// HasFlag reports whether args (after args[0]) give a flag of one of the
// names, with one dash or two, anywhere before "--" (a flag's value that
// looks like one counts too).
func HasFlag(args []string, names ...string) bool {
	for _, a := range args[min(1, len(args)):] {
		if a == "--" {
			return false
		}
		if name, _, ok := flagName(a); ok && slices.Contains(names, name) {
			return true
		}
	}
	return false
}

// oneDashFlag finds a long flag spelled with one dash in the messages of
// Go's flag parsing ("flag provided but not defined: -archive", "invalid
// value ... for flag -max-items").
var oneDashFlag = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(^|[\s:])-([A-Za-z][A-Za-z0-9-]+)\b`)
})

// TwoDashes spells every long flag in a parsing message with two dashes,
// as the help and every other message do; one-letter flags keep one.
func TwoDashes(msg string) string {
	return oneDashFlag().ReplaceAllString(msg, "$1--$2")
}
