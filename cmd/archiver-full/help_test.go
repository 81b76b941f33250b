package main

import (
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/urfave/cli/v2"
)

// helpOf runs 'archiver [COMMAND] --help' and returns what it printed.
func helpOf(t *testing.T, command string) string {
	t.Helper()
	args := []string{"archiver", "--help"}
	if command != "" {
		args = []string{"archiver", command, "--help"}
	}
	var out, errb strings.Builder
	if code := run(t.Context(), args, &out, &errb); code != cliapp.ExitOK {
		t.Fatalf("%v: exit %d: %s", args, code, errb.String())
	}
	return out.String()
}

// examplesOf returns the commands of a help's EXAMPLES section, each with
// its continuation lines joined, comments and blank lines left out.
func examplesOf(help string) []string {
	var out []string
	in := false
	cur := ""
	for _, l := range strings.Split(help, "\n") {
		if sectionHeader.MatchString(l) {
			in = strings.TrimSpace(l) == "EXAMPLES:"
			continue
		}
		if !in {
			continue
		}
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\")
			continue
		}
		out = append(out, cur+l)
		cur = ""
	}
	return out
}

// unquote removes a shell word's quoting.
func unquote(w string) string {
	var b strings.Builder
	var quote byte
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '\'' || c == '"'):
			quote = c
		case quote == 0 && c == '\\' && i+1 < len(w):
			i++
			b.WriteByte(w[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// archiverCalls returns the argument lists of the archiver commands a
// shell line runs: pipelines and && lists are split, environment
// assignments, cron fields and redirections left out.
func archiverCalls(line string) [][]string {
	var calls [][]string
	var cur []string
	started := false
	flush := func() {
		if started {
			calls = append(calls, cur)
		}
		cur, started = nil, false
	}
	words := shellWords(line)
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "|" || w == "&&" || w == ";":
			flush()
		case w == ">" || w == "<" || w == ">>":
			i++ // the redirection's file
		case started:
			cur = append(cur, unquote(w))
		case w == "archiver":
			started, cur = true, []string{"archiver"}
		}
	}
	flush()
	return calls
}

// parseOnlyApp is the command tree with every command's checks and work
// taken out: running it only parses the arguments.
func parseOnlyApp() *cli.App {
	app := newApp(io.Discard, io.Discard)
	for _, cmd := range app.Commands {
		cmd.Before, cmd.After = nil, nil
		cmd.Action = func(*cli.Context) error { return nil }
	}
	app.Action = func(*cli.Context) error { return nil }
	app.Before = nil // an example's configuration file is not on this machine
	return app
}

var valuePlaceholder = regexp.MustCompile(`--[a-z-]+ value\b`)

// TestHelpFitsAndTeaches checks the help of the program and of every
// command: no line wider than 80 columns, every value named by a
// placeholder, and every example parses as the command tree reads it.
func TestHelpFitsAndTeaches(t *testing.T) {
	commands := []string{""}
	for _, c := range newApp(io.Discard, io.Discard).VisibleCommands() {
		commands = append(commands, c.Name)
	}
	examples := 0
	for _, name := range commands {
		t.Run("help of "+name, func(t *testing.T) {
			help := helpOf(t, name)
			for i, l := range strings.Split(help, "\n") {
				if len([]rune(l)) > helpWidth {
					t.Errorf("line %d is %d columns: %q", i+1, len([]rune(l)), l)
				}
			}
			if m := valuePlaceholder.FindString(help); m != "" {
				t.Errorf("a flag without a placeholder name: %q", m)
			}
			if name != "" && name != "help" && !strings.Contains(help, "'archiver help "+exitCodesTopic+"'") {
				t.Error("the help does not point at the exit statuses")
			}
			if strings.Contains(help, "EXAMPLES:") && strings.Index(help, "EXAMPLES:") > strings.Index(help, "DESCRIPTION:") && strings.Contains(help, "DESCRIPTION:") {
				t.Error("the examples come after the description")
			}
			for _, ex := range examplesOf(help) {
				for _, args := range archiverCalls(ex) {
					examples++
					app := parseOnlyApp()
					if err := app.Run(cliapp.HoistGlobalFlags(app, args)); err != nil {
						t.Errorf("example %q does not parse: %v", ex, err)
					}
				}
			}
		})
	}
	if examples < len(commands) {
		t.Fatalf("%d examples for %d commands; the test proves little", examples, len(commands))
	}
}

func TestHelpExitCodes(t *testing.T) {
	var out, errb strings.Builder
	if code := run(t.Context(), []string{"archiver", "help", exitCodesTopic}, &out, &errb); code != cliapp.ExitOK || out.String() != exitStatusHelp+"\n" {
		t.Errorf("exit %d, printed %q", code, out.String())
	}
	if code := run(t.Context(), []string{"archiver", "help", "no-such-topic"}, &out, &errb); code != cliapp.ExitUsage {
		t.Errorf("an unknown topic: exit %d, want %d", code, cliapp.ExitUsage)
	}
	out.Reset()
	if code := run(t.Context(), []string{"archiver", "help", "sync"}, &out, &errb); code != cliapp.ExitOK || !strings.Contains(out.String(), "archiver sync - ") {
		t.Errorf("help sync: exit %d, printed %q", code, out.String())
	}
}
