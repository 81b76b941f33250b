package cliapp

import (
	"fmt"
	"strings"

	"github.com/archiver-dev/archiver/archive/kinds"
)

// The parts of the help that list record kinds, made from the registry so
// that a kind added there is in every command's help.

// KindTimes is the table of what time each kind's records are filed by,
// each line indented by indent spaces, the times in one column after the
// shorter names.
func KindTimes(indent int) string {
	const width = 20 // the times of most kinds line up; longer names push theirs
	var b strings.Builder
	for i, s := range kinds.All() {
		if i > 0 {
			b.WriteByte('\n')
		}
		t := s.TimeMember
		if t == "" {
			t = "capture time"
		}
		fmt.Fprintf(&b, "%s%-*s %s", strings.Repeat(" ", indent), width, s.Kind, t)
	}
	return b.String()
}

// KindList is every kind's name, comma-separated, filled to width columns,
// each line after the first indented by indent spaces.
func KindList(indent, first, width int) string {
	var b strings.Builder
	col := first
	for i, s := range kinds.All() {
		word := string(s.Kind)
		if i < len(kinds.All())-1 {
			word += ","
		}
		switch {
		case i == 0:
		case col+1+len(word) > width:
			b.WriteString("\n" + strings.Repeat(" ", indent))
			col = indent
		default:
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += len(word)
	}
	return b.String()
}
