package main

import (
	"fmt"
	"strings"

	"github.com/archiver-dev/archiver/archive/kinds"
)

// The parts of the help of sync and import made from the kind registry
// (cliapp has those of query and export).

// importCommands lists the AWS CLI commands whose saved output import
// reads, and what each holds, one a line indented by three spaces.
func importCommands() string {
	width := 0
	cmds := make([]string, len(kinds.All()))
	for i, s := range kinds.All() {
		cmds[i], _, _ = strings.Cut(s.CLI, " --")
		width = max(width, len(cmds[i]))
	}
	var b strings.Builder
	for i, s := range kinds.All() {
		if i > 0 {
			b.WriteByte('\n')
		}
		what := s.Plural
		if s.PerParent != "" && s.ListMember != "" {
			what += " of one " + s.PerParent
		}
		// Help is indented by three more columns: lines stay within 80.
		pad := 3 + width + 2
		fmt.Fprintf(&b, "   %-*s  %s", width, cmds[i], fill(what, pad, 77-pad))
	}
	return b.String()
}

// fill breaks text into lines of at most width columns at spaces, each
// line after the first indented by indent spaces.
func fill(text string, indent, width int) string {
	var b strings.Builder
	col := 0
	for i, w := range strings.Fields(text) {
		switch {
		case i == 0:
		case col+1+len(w) > width:
			b.WriteString("\n" + strings.Repeat(" ", indent))
			col = 0
		default:
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}

// sourceCalls lists, for each sync source, the calls it makes: each kind's
// listing, per parent where the kind is read per job, server or cluster.
func sourceCalls() string {
	var b strings.Builder
	for i, src := range kinds.Sources() {
		if i > 0 {
			b.WriteByte('\n')
		}
		var calls []string
		for _, s := range kinds.OfSource(src) {
			call := s.Operation
			if s.PerParent != "" {
				call += " of every " + s.PerParent
			}
			calls = append(calls, call)
		}
		text := strings.Join(calls[:len(calls)-1], ", ")
		if len(calls) > 1 {
			text += " and "
		}
		text += calls[len(calls)-1]
		fmt.Fprintf(&b, "   %-9s %s", src, fill(text, 13, 64))
	}
	return b.String()
}
