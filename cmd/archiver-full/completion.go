package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/cliapp"
)

// completionCommand prints a shell's completion script, drawn from the
// command tree: commands, each command's flags, and the values of flags
// that name files, directories, kinds or sources.
func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		UsageText: "archiver completion bash|zsh|fish",
		Description: `Prints a script that completes archiver's commands, flags, record kinds,
sources, and the files and directories flags name. Load it in the shell's
start-up file.

EXAMPLES:
   # bash (~/.bashrc)
   source <(archiver completion bash)

   # zsh (~/.zshrc)
   source <(archiver completion zsh)

   # fish
   archiver completion fish > ~/.config/fish/completions/archiver.fish`,
		Action: func(c *cli.Context) error {
			if c.Args().Len() != 1 {
				return cliapp.UsageError{Err: fmt.Errorf("name one shell: bash, zsh or fish"), Command: "completion"}
			}
			switch shell := c.Args().First(); shell {
			case "bash":
				return writeBashCompletion(c.App.Writer, c.App, false)
			case "zsh":
				return writeBashCompletion(c.App.Writer, c.App, true)
			case "fish":
				s, err := fishCompletion(c.App)
				if err != nil {
					return err
				}
				_, err = io.WriteString(c.App.Writer, s)
				return err
			default:
				return cliapp.UsageError{Err: fmt.Errorf("no completion for shell %q: bash, zsh or fish", shell), Command: "completion"}
			}
		},
	}
}

// valueWords returns what completes the value of a flag: "" for a flag
// without a value; "-f" for a file, "-d" for a directory (compgen
// options); else a word list.
func valueWords(f cli.Flag) (takes bool, compgen string, words []string) {
	df, ok := f.(cli.DocGenerationFlag)
	if !ok || !df.TakesValue() {
		return false, "", nil
	}
	ph, _ := placeholder(df)
	switch {
	case ph == "FILE" || strings.HasSuffix(ph, "|FILE"):
		return true, "-f", nil
	case ph == "DIR":
		return true, "-d", nil
	case ph == "KIND":
		for _, k := range kinds.Names() {
			words = append(words, string(k))
		}
		return true, "", words
	case ph == "SOURCES" || ph == "SOURCE":
		return true, "", kinds.Sources()
	}
	return true, "", nil
}

// flagWords spells a flag's names as typed.
func flagWords(f cli.Flag) []string {
	var out []string
	for _, n := range f.Names() {
		if len(n) == 1 {
			out = append(out, "-"+n)
		} else {
			out = append(out, "--"+n)
		}
	}
	return out
}

// writeBashCompletion writes the bash script; for zsh, it is loaded
// through zsh's bash completion layer (bashcompinit).
func writeBashCompletion(w io.Writer, app *cli.App, zsh bool) error {
	var b strings.Builder
	if zsh {
		b.WriteString("# zsh completion for archiver: source <(archiver completion zsh)\n")
		b.WriteString("autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n\n")
	} else {
		b.WriteString("# bash completion for archiver: source <(archiver completion bash)\n\n")
	}
	// Flags taking a value, and how their value completes: every command's.
	valueCase := map[string]string{}
	var globalValued []string
	addValued := func(f cli.Flag) {
		takes, opt, words := valueWords(f)
		if !takes {
			return
		}
		reply := `COMPREPLY=()`
		switch {
		case opt != "":
			reply = fmt.Sprintf(`COMPREPLY=($(compgen %s -- "$cur"))`, opt)
		case len(words) > 0:
			reply = fmt.Sprintf(`COMPREPLY=($(compgen -W %q -- "${cur##*,}"))`, strings.Join(words, " "))
		}
		for _, n := range flagWords(f) {
			if prev, ok := valueCase[n]; ok && prev != reply {
				reply = `COMPREPLY=()` // the same name means two things: complete nothing
			}
			valueCase[n] = reply
		}
	}
	var commandNames []string
	for _, f := range app.VisibleFlags() {
		addValued(f)
		if takes, _, _ := valueWords(f); takes {
			globalValued = append(globalValued, flagWords(f)...)
		}
	}
	for _, cmd := range app.VisibleCommands() {
		commandNames = append(commandNames, cmd.Name)
		for _, f := range cmd.VisibleFlags() {
			addValued(f)
		}
	}
	// Before the command every global flag; after it those that move
	// there (see hoistGlobalFlags) and --help.
	var globalWords, afterWords []string
	for _, f := range app.VisibleFlags() {
		globalWords = append(globalWords, flagWords(f)...)
		if n := f.Names()[0]; n != "version" && n != "help" {
			afterWords = append(afterWords, flagWords(f)...)
		}
	}
	afterWords = append(afterWords, flagWords(cli.HelpFlag)...)

	b.WriteString("_archiver() {\n")
	b.WriteString("    local cur prev cmd i\n")
	b.WriteString("    cur=\"${COMP_WORDS[COMP_CWORD]}\"\n")
	b.WriteString("    prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n")
	b.WriteString("    cmd=\"\"\n")
	b.WriteString("    for ((i = 1; i < COMP_CWORD; i++)); do\n")
	b.WriteString("        case \"${COMP_WORDS[i]}\" in\n")
	if len(globalValued) > 0 {
		fmt.Fprintf(&b, "            %s) ((i++)) ;;\n", strings.Join(globalValued, "|"))
	}
	b.WriteString("            -*) ;;\n")
	b.WriteString("            *) cmd=\"${COMP_WORDS[i]}\"; break ;;\n")
	b.WriteString("        esac\n")
	b.WriteString("    done\n")
	b.WriteString("    case \"$prev\" in\n")
	names := make([]string, 0, len(valueCase))
	for n := range valueCase {
		names = append(names, n)
	}
	sort.Strings(names)
	// Group the flags that complete alike.
	byReply := map[string][]string{}
	var replies []string
	for _, n := range names {
		r := valueCase[n]
		if _, ok := byReply[r]; !ok {
			replies = append(replies, r)
		}
		byReply[r] = append(byReply[r], n)
	}
	for _, r := range replies {
		fmt.Fprintf(&b, "        %s) %s; return ;;\n", strings.Join(byReply[r], "|"), r)
	}
	b.WriteString("    esac\n")
	b.WriteString("    case \"$cmd\" in\n")
	fmt.Fprintf(&b, "        \"\") COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", strings.Join(append(commandNames, globalWords...), " "))
	for _, cmd := range app.VisibleCommands() {
		var words []string
		for _, f := range cmd.VisibleFlags() {
			if f.Names()[0] != "help" {
				words = append(words, flagWords(f)...)
			}
		}
		words = append(words, afterWords...)
		if cmd.Name == "help" || cmd.Name == "completion" {
			extra := commandNames
			if cmd.Name == "help" {
				extra = append(append([]string(nil), commandNames...), exitCodesTopic)
			} else {
				extra = []string{"bash", "zsh", "fish"}
			}
			words = append(extra, words...)
		}
		fmt.Fprintf(&b, "        %s) COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", cmd.Name, strings.Join(words, " "))
	}
	b.WriteString("    esac\n")
	b.WriteString("}\n")
	b.WriteString("complete -o default -F _archiver archiver\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// fishCompletion is the fish script urfave/cli draws from the command
// tree.
func fishCompletion(app *cli.App) (string, error) {
	s, err := app.ToFishCompletion()
	if err != nil {
		return "", fmt.Errorf("fish completion: %w", err)
	}
	return s, nil
}

// manCommand prints the manual page, drawn from the same command tree as
// the help.
func manCommand() *cli.Command {
	return &cli.Command{
		Name:      "man",
		Usage:     "print archiver's manual page (roff), for man(1)",
		UsageText: "archiver man",
		Description: `Prints the manual page of archiver and every command, drawn from the same
command tree as --help.

EXAMPLES:
   archiver man | man -l -
   archiver man > /usr/local/share/man/man1/archiver.1`,
		Action: func(c *cli.Context) error {
			if err := cliapp.NoArgs(c); err != nil {
				return err
			}
			s, err := c.App.ToManWithSection(1)
			if err != nil {
				return fmt.Errorf("man page: %w", err)
			}
			_, err = io.WriteString(c.App.Writer, s)
			return err
		},
	}
}
