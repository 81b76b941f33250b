package main

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/urfave/cli/v2"
)

// Help is drawn by printHelp, not urfave/cli's templates, so that it fits
// 80 columns, names every value's placeholder (--archive DIR, --from TIME),
// shows a command's examples first, and leaves the exit statuses to one
// place ('archiver help exit-codes' and the top-level help).

// helpWidth is the widest a help line gets.
const helpWidth = 80

// flagColumn is where a flag's description starts.
const flagColumn = 30

// exitCodesTopic is the help topic of the exit statuses.
const exitCodesTopic = "exit-codes"

// printHelp is cli.HelpPrinter: it draws the help of the app or of one
// command, whatever template urfave/cli passes.
func printHelp(w io.Writer, _ string, data any) {
	var b strings.Builder
	switch d := data.(type) {
	case *cli.App:
		appHelp(&b, d)
	case *cli.Command:
		commandHelp(&b, d)
	default:
		return
	}
	io.WriteString(w, b.String())
}

func appHelp(b *strings.Builder, app *cli.App) {
	examples, rest := splitExamples(app.Description)
	section(b, "NAME", app.Name+" - "+app.Usage)
	section(b, "USAGE", app.UsageText)
	if examples != "" {
		b.WriteString("EXAMPLES:\n")
		writeExamples(b, examples)
		b.WriteString("\n")
	}
	rest = strings.TrimSpace(strings.Replace(rest, exitStatusHelp, "", 1))
	if rest != "" {
		b.WriteString("DESCRIPTION:\n")
		writeWrapped(b, rest, 3)
		b.WriteString("\n")
	}
	b.WriteString("COMMANDS:\n")
	width := 0
	for _, c := range app.VisibleCommands() {
		width = max(width, len(c.Name))
	}
	for _, c := range app.VisibleCommands() {
		writeHanging(b, fmt.Sprintf("   %-*s  ", width, c.Name), c.Usage)
	}
	b.WriteString("\nGLOBAL OPTIONS (before or after the command):\n")
	writeFlags(b, app.VisibleFlags())
	b.WriteString("\n")
	writeWrapped(b, exitStatusHelp, 0)
}

func commandHelp(b *strings.Builder, cmd *cli.Command) {
	examples, rest := splitExamples(cmd.Description)
	section(b, "NAME", cmd.HelpName+" - "+cmd.Usage)
	usage := cmd.UsageText
	if usage == "" {
		usage = cmd.HelpName + " [options]"
		if cmd.ArgsUsage != "" {
			usage += " " + cmd.ArgsUsage
		}
	}
	section(b, "USAGE", usage)
	if examples != "" {
		b.WriteString("EXAMPLES:\n")
		writeExamples(b, examples)
		b.WriteString("\n")
	}
	if rest = strings.TrimSpace(rest); rest != "" {
		b.WriteString("DESCRIPTION:\n")
		writeWrapped(b, rest, 3)
		b.WriteString("\n")
	}
	if flags := cmd.VisibleFlags(); len(flags) > 0 {
		b.WriteString("OPTIONS:\n")
		writeFlags(b, flags)
		b.WriteString("\n")
	}
	b.WriteString("Global options (--archive DIR) go before or after the command; exit\n")
	b.WriteString("statuses: 'archiver help " + exitCodesTopic + "'.\n")
}

// section writes a header and its text, wrapped and indented.
func section(b *strings.Builder, name, text string) {
	b.WriteString(name + ":\n")
	writeHanging(b, "   ", text)
	b.WriteString("\n")
}

// sectionHeader matches the header lines of a description ("EXAMPLES:").
var sectionHeader = regexp.MustCompile(`^\s*[A-Z][A-Z ]+:\s*$`)

// splitExamples takes the EXAMPLES section out of a description: its
// lines (indentation removed), and the description without it.
func splitExamples(desc string) (examples, rest string) {
	lines := strings.Split(desc, "\n")
	var ex, other []string
	in := false
	for _, l := range lines {
		if sectionHeader.MatchString(l) {
			in = strings.TrimSpace(l) == "EXAMPLES:"
			if in {
				continue
			}
		}
		if in {
			ex = append(ex, l)
		} else {
			other = append(other, l)
		}
	}
	// The examples' common indentation goes.
	indent := -1
	for _, l := range ex {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " "))
		if indent < 0 || n < indent {
			indent = n
		}
	}
	for i, l := range ex {
		if len(l) >= indent && indent > 0 {
			ex[i] = l[indent:]
		}
	}
	return strings.TrimSpace(strings.Join(ex, "\n")), strings.Join(other, "\n")
}

// writeExamples writes example lines indented by 3; a command too long
// for the width is continued on the next line with a backslash, as a
// shell reads it.
func writeExamples(b *strings.Builder, examples string) {
	for _, l := range strings.Split(examples, "\n") {
		if strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "#") {
			writeHanging(b, "   ", l)
			continue
		}
		if len(l)+3 <= helpWidth {
			b.WriteString("   " + l + "\n")
			continue
		}
		indent := "   " + l[:len(l)-len(strings.TrimLeft(l, " "))]
		words := shellWords(l)
		line := indent + words[0]
		for _, w := range words[1:] {
			if len(line)+1+len(w)+2 > helpWidth {
				b.WriteString(line + " \\\n")
				line = indent + "    " + w
				continue
			}
			line += " " + w
		}
		b.WriteString(line + "\n")
	}
}

// shellWords splits a command line at the blanks a shell splits it at:
// not inside quotes or $(...), and not after a backslash. The words keep
// their quotes.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	var quote byte
	depth := 0
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\\' && i+1 < len(line):
			cur.WriteByte(c)
			i++
			c = line[i]
		case c == '\'' || c == '"':
			quote = c
		case c == '$' && i+1 < len(line) && line[i+1] == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case (c == ' ' || c == '\t') && depth == 0:
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteByte(c)
	}
	if cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words
}

// writeWrapped writes text with every line indented by indent, to the
// width: a paragraph (lines of one indentation) that does not fit is
// reflowed, keeping its indentation; a table row too long continues under
// its second column; a list item ("- ...") starts a paragraph of its own,
// continued under its text.
func writeWrapped(b *strings.Builder, text string, indent int) {
	pad := strings.Repeat(" ", indent)
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); {
		l := lines[i]
		if strings.TrimSpace(l) == "" {
			b.WriteString("\n")
			i++
			continue
		}
		own := l[:len(l)-len(strings.TrimLeft(l, " "))]
		if m := tableRow.FindStringIndex(l); m != nil {
			if len(pad)+len(l) <= helpWidth {
				b.WriteString(pad + l + "\n")
			} else {
				writeHanging(b, pad+l[:m[1]], l[m[1]:])
			}
			i++
			continue
		}
		// The paragraph: this line and the next of the same indentation
		// that are no table rows or list items.
		para := []string{strings.TrimSpace(l)}
		fits := len(pad)+len(l) <= helpWidth
		j := i + 1
		for ; j < len(lines); j++ {
			n := lines[j]
			if strings.TrimSpace(n) == "" || !strings.HasPrefix(n, own) || strings.HasPrefix(n[len(own):], " ") ||
				tableRow.MatchString(n) || isListItem(n) {
				break
			}
			para = append(para, strings.TrimSpace(n))
			fits = fits && len(pad)+len(n) <= helpWidth
		}
		if fits {
			for _, p := range lines[i:j] {
				b.WriteString(pad + p + "\n")
			}
		} else {
			cont := pad + own
			if isListItem(l) {
				cont += "  "
			}
			writeHangingCont(b, pad+own, cont, strings.Join(para, " "))
		}
		i = j
	}
}

// isListItem reports whether a line is an item of a list ("- ...").
func isListItem(l string) bool { return strings.HasPrefix(strings.TrimLeft(l, " "), "- ") }

// tableRow matches the first column of a table row and the gap after it.
var tableRow = regexp.MustCompile(`^\s*\S+(?: \S+)*\s{2,}`)

// writeHanging writes text after prefix, wrapped to the width, each
// continuation indented as far as prefix is long.
func writeHanging(b *strings.Builder, prefix, text string) {
	cont := strings.Repeat(" ", len(prefix))
	if len(cont) > helpWidth/2 {
		cont = strings.Repeat(" ", 8)
	}
	writeHangingCont(b, prefix, cont, text)
}

// writeHangingCont writes text after prefix, wrapped to the width, each
// continuation after cont.
func writeHangingCont(b *strings.Builder, prefix, cont, text string) {
	line := prefix
	empty := true
	for _, w := range strings.Fields(text) {
		if !empty && len(line)+1+len(w) > helpWidth {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line, empty = cont, true
		}
		if !empty {
			line += " "
		}
		line += w
		empty = false
	}
	b.WriteString(strings.TrimRight(line, " ") + "\n")
}

// writeFlags writes one entry per flag: its names and placeholder, then
// its description from flagColumn on (on the next line when the names are
// wider), with its default and environment variables.
func writeFlags(b *strings.Builder, flags []cli.Flag) {
	for _, f := range flags {
		df, ok := f.(cli.DocGenerationFlag)
		if !ok {
			continue
		}
		ph, usage := placeholder(df)
		names := df.Names()
		var spelled []string
		for _, n := range names {
			s := "--" + n
			if len(n) == 1 {
				s = "-" + n
			}
			spelled = append(spelled, s)
		}
		head := "   " + spelled[0]
		if ph != "" {
			head += " " + ph
		}
		if len(spelled) > 1 {
			head += ", " + strings.Join(spelled[1:], ", ")
		}
		if sf, ok := f.(cli.DocGenerationSliceFlag); ok && sf.IsSliceFlag() && !strings.Contains(usage, "repeat") {
			usage += " (repeatable)"
		}
		if def := defaultText(f, df); def != "" {
			usage += " (default: " + def + ")"
		}
		if env := df.GetEnvVars(); len(env) > 0 {
			usage += " [$" + strings.Join(env, ", $") + "]"
		}
		if len(head)+2 > flagColumn {
			b.WriteString(head + "\n")
			head = ""
		}
		writeHanging(b, fmt.Sprintf("%-*s", flagColumn, head), usage)
	}
}

// defaultText is the default a flag's entry shows: none for a switch that
// is off, a zero number or an empty string.
func defaultText(f cli.Flag, df cli.DocGenerationFlag) string {
	if _, ok := f.(*cli.BoolFlag); ok {
		return ""
	}
	if s := df.GetDefaultText(); s != "" {
		return s
	}
	v := df.GetValue()
	switch v {
	case "", `""`, "0", "0s", "[]":
		return ""
	}
	return v
}

// backquoted finds a placeholder named in a flag's usage, as urfave/cli
// spells it: `NAME`.
var backquoted = regexp.MustCompile("`([^`]+)`")

// namedPlaceholders are the placeholders of flags whose names do not say
// what their value is.
var namedPlaceholders = map[string]string{
	"archive":       "DIR",
	"out":           "FILE",
	"export":        "FILE",
	"text":          "QUERY",
	"tz":            "ZONE",
	"against":       "CHECKPOINT",
	"public-key":    "FILE",
	"sign-key":      "FILE",
	"source":        "SOURCES",
	"checkpoint-to": "s3://BUCKET/PREFIX",
}

// placeholder returns the placeholder of a flag's value ("" for a switch)
// and its usage without the backquotes: a placeholder named in the usage,
// else one its name or type gives.
func placeholder(df cli.DocGenerationFlag) (string, string) {
	usage := df.GetUsage()
	if m := backquoted.FindStringSubmatch(usage); m != nil {
		return m[1], strings.Replace(usage, m[0], m[1], 1)
	}
	if !df.TakesValue() {
		return "", usage
	}
	name := df.Names()[0]
	if p, ok := namedPlaceholders[name]; ok {
		return p, usage
	}
	switch df.(type) {
	case *cli.DurationFlag:
		return "DURATION", usage
	case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag, *cli.Uint64Flag:
		return "N", usage
	case *cli.Float64Flag:
		return "NUMBER", usage
	}
	last := name[strings.LastIndexByte(name, '-')+1:]
	switch {
	case last == "from" || last == "to" || last == "until" || last == "before" || last == "after" || last == "since":
		return "TIME", usage
	case last == "file":
		return "FILE", usage
	case last == "dir":
		return "DIR", usage
	case last == "url":
		return "URL", usage
	case last == "id":
		return "ID", usage
	}
	return strings.ToUpper(last), usage
}

// helpCommand replaces urfave/cli's: 'archiver help COMMAND' shows a
// command's help, 'archiver help exit-codes' the exit statuses.
func helpCommand() *cli.Command {
	return &cli.Command{
		Name:      "help",
		Aliases:   []string{"h"},
		Usage:     "show help for the program, a command, or the topic " + exitCodesTopic,
		UsageText: "archiver help [COMMAND | " + exitCodesTopic + "]",
		HideHelp:  true,
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "help", Aliases: []string{"h"}, Usage: "show this help"}},
		Action: func(c *cli.Context) error {
			switch topic := c.Args().First(); {
			case c.Bool("help"):
				printHelp(c.App.Writer, "", c.Command)
				return nil
			case c.Args().Len() > 1:
				return cliapp.Usagef("help takes one command or topic, got %d", c.Args().Len())
			case topic == "":
				return cli.ShowAppHelp(c)
			case topic == exitCodesTopic:
				_, err := io.WriteString(c.App.Writer, exitStatusHelp+"\n")
				return err
			case c.App.Command(topic) != nil:
				printHelp(c.App.Writer, "", c.App.Command(topic))
				return nil
			default:
				return cliapp.Usagef("no command or help topic %q (topics: %s)", topic, exitCodesTopic)
			}
		},
	}
}
