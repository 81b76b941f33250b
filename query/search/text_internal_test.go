package search

import (
	"strings"
	"testing"
)

// String renders a parsed query as nested operators, for tests.
func (n *textNode) String() string {
	switch n.op {
	case opTerm:
		s := n.value
		switch n.kind {
		case termPhrase:
			s = `"` + s + `"`
		case termRegexp:
			s = "/" + s + "/"
		}
		if n.field != "text" {
			s = n.field + ":" + s
		}
		return s
	case opNot:
		return "NOT(" + n.kids[0].String() + ")"
	}
	var parts []string
	for _, k := range n.kids {
		parts = append(parts, k.String())
	}
	return map[textOp]string{opAnd: "AND", opOr: "OR"}[n.op] + "(" + strings.Join(parts, ", ") + ")"
}

// TestTextPrecedence checks the readings README.md gives.
func TestTextPrecedence(t *testing.T) {
	tests := []struct{ in, want string }{
		{`a b AND c`, `OR(a, AND(b, c))`},
		{`NOT a OR b AND c`, `OR(NOT(a), AND(b, c))`},
		{`a AND b OR c AND d`, `OR(AND(a, b), AND(c, d))`},
		{`+a b c`, `AND(a, OR(b, c))`},
		{`a -b`, `AND(a, NOT(b))`},
		{`a NOT b`, `AND(a, NOT(b))`},
		{`-a`, `NOT(a)`},
		{`a AND -b`, `AND(a, NOT(b))`},
		{`a OR +b`, `OR(a, b)`},
		{`a && b || !c`, `OR(AND(a, b), NOT(c))`},
		{`(+a) b`, `OR(a, b)`},
		{`-(a b)`, `NOT(OR(a, b))`},
		{`(a OR b) AND c`, `AND(OR(a, b), c)`},
		{`Event:LAUNCH_FAILED AND capacity`, `AND(event:LAUNCH_FAILED, capacity)`},
		{`TEXT:"x y" status:/.*ed/`, `OR("x y", status:/.*ed/)`},
		{`a\:b`, `a:b`},
		{`"say \"hi\""`, `"say "hi""`},
		{`/a\/b/`, `/a/b/`},
		{`and or not`, `OR(and, or, not)`},
	}
	for _, tc := range tests {
		n, err := parseText(tc.in)
		if err != nil {
			t.Errorf("parseText(%q): %v", tc.in, err)
			continue
		}
		if got := n.String(); got != tc.want {
			t.Errorf("parseText(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestTextRegexpEscapes(t *testing.T) {
	for in, want := range map[string]string{`/a\/b/`: `(?i)a/b`, `/a\.b/`: `(?i)a\.b`, `/^x\d+/`: `(?i)x\d+`, `/a\\/`: `(?i)a\\`} {
		n, err := parseText(in)
		if err != nil {
			t.Errorf("parseText(%q): %v", in, err)
		} else if n.pattern != want {
			t.Errorf("parseText(%q): pattern %q, want %q", in, n.pattern, want)
		}
	}
}
