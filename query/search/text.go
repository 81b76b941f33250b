package search

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/query"
)

// The --text language (README.md, "Full-text queries", documents it):
//
//	query   = group
//	group   = item { item }            adjacent items
//	item    = or
//	or      = and { ("OR" | "||") and }
//	and     = unary { ("AND" | "&&") unary }
//	unary   = ("NOT" | "!" | "-" | "+") unary | primary
//	primary = "(" group ")" | [field ":"] (word | "phrase" | /regexp/)
//
// In a group, an item marked + must match, an item marked - (or NOT) must
// not, and of the other items at least one must match. Inside AND and OR,
// - is NOT and + changes nothing.

// maxTextDepth bounds the nesting of parentheses and prefixes.
const maxTextDepth = 64

// fieldList names the fields of --text, for error messages.
func fieldList() string { return strings.Join(index.FieldNames(), ", ") }

// termKind is the form of a search term.
type termKind int

const (
	termWord     termKind = iota // capacity
	termPhrase                   // "RunInstances operation"
	termRegexp                   // /launch_.*/
	termWildcard                 // Insufficient*
	termFuzzy                    // capacty~
)

// textOp is what a node of a parsed query does.
type textOp int

const (
	opTerm textOp = iota
	opAnd
	opOr
	opNot
)

// textNode is a parsed --text query.
type textNode struct {
	op   textOp
	kids []*textNode // opAnd, opOr: two or more; opNot: one

	// opTerm:
	field string   // index field
	kind  termKind // its form
	value string   // the word or phrase, unescaped; a regexp as written
	fuzz  int      // termFuzzy: edit distance, 1 or 2
	// pattern is the regexp a termRegexp or termWildcard is searched with.
	pattern string

	plus bool // marked + (a required item of a group)
}

// textError is a syntax error of --text at a byte offset.
type textError struct {
	pos int
	msg string
}

func (e *textError) Error() string { return e.msg }

// at says where in text the error is, counting characters from 1.
func (e *textError) at(text string) string {
	if e.pos < 0 || e.pos > len(text) {
		return e.msg
	}
	return fmt.Sprintf("%s (at character %d)", e.msg, utf8.RuneCountInString(text[:e.pos])+1)
}

// tokKind is the kind of a lexical token.
type tokKind int

const (
	tokEOF tokKind = iota
	tokLParen
	tokRParen
	tokAnd
	tokOr
	tokNot   // NOT, !
	tokMinus // - before a term
	tokPlus  // + before a term
	tokTerm
)

type token struct {
	kind tokKind
	pos  int
	term *textNode // tokTerm
	text string    // as written, for messages
}

// lexer splits --text into tokens.
type lexer struct {
	s   string
	pos int
}

func isSpace(r rune) bool { return unicode.IsSpace(r) }

// ends reports whether a term may end before position i: at the end, at
// white space or at a parenthesis.
func (l *lexer) ends(i int) bool {
	if i >= len(l.s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(l.s[i:])
	return isSpace(r) || r == '(' || r == ')'
}

func (l *lexer) next() (token, error) {
	for l.pos < len(l.s) {
		r, n := utf8.DecodeRuneInString(l.s[l.pos:])
		if !isSpace(r) {
			break
		}
		l.pos += n
	}
	start := l.pos
	if l.pos >= len(l.s) {
		return token{kind: tokEOF, pos: start}, nil
	}
	c := l.s[l.pos]
	switch {
	case c == '(':
		l.pos++
		return token{kind: tokLParen, pos: start, text: "("}, nil
	case c == ')':
		l.pos++
		return token{kind: tokRParen, pos: start, text: ")"}, nil
	case strings.HasPrefix(l.s[l.pos:], "&&") && l.ends(l.pos+2):
		l.pos += 2
		return token{kind: tokAnd, pos: start, text: "&&"}, nil
	case strings.HasPrefix(l.s[l.pos:], "||") && l.ends(l.pos+2):
		l.pos += 2
		return token{kind: tokOr, pos: start, text: "||"}, nil
	case c == '+' || c == '-' || c == '!':
		if l.ends(l.pos+1) && (l.pos+1 >= len(l.s) || l.s[l.pos+1] != '(') {
			return token{}, &textError{start, fmt.Sprintf("%c needs a term right after it", c)}
		}
		l.pos++
		kind := map[byte]tokKind{'+': tokPlus, '-': tokMinus, '!': tokNot}[c]
		return token{kind: kind, pos: start, text: string(c)}, nil
	}
	// A keyword is a whole word in capitals.
	end := l.pos
	for end < len(l.s) && !l.ends(end) {
		end++
	}
	switch w := l.s[l.pos:end]; w {
	case "AND":
		l.pos = end
		return token{kind: tokAnd, pos: start, text: w}, nil
	case "OR":
		l.pos = end
		return token{kind: tokOr, pos: start, text: w}, nil
	case "NOT":
		l.pos = end
		return token{kind: tokNot, pos: start, text: w}, nil
	}
	t, err := l.term()
	if err != nil {
		return token{}, err
	}
	return token{kind: tokTerm, pos: start, term: t, text: l.s[start:l.pos]}, nil
}

// term reads [field:] word, "phrase" or /regexp/.
func (l *lexer) term() (*textNode, error) {
	start := l.pos
	t := &textNode{op: opTerm, field: index.DefaultField}
	// A field is a name (a letter, then letters, digits or _) followed by
	// a colon.
	i := l.pos
	for i < len(l.s) && (l.s[i] >= 'a' && l.s[i] <= 'z' || l.s[i] >= 'A' && l.s[i] <= 'Z' ||
		i > l.pos && (l.s[i] >= '0' && l.s[i] <= '9' || l.s[i] == '_')) {
		i++
	}
	if i > l.pos && i < len(l.s) && l.s[i] == ':' {
		name := l.s[l.pos:i]
		f, ok := index.LookupField(name)
		if !ok {
			return nil, &textError{start, fmt.Sprintf("unknown field %q (fields: %s; quote a word that holds a colon)", name, fieldList())}
		}
		t.field = f.Name
		l.pos = i + 1
		if l.ends(l.pos) {
			if l.pos < len(l.s) && l.s[l.pos] == '(' {
				return nil, &textError{start, fmt.Sprintf("%s:( : a field applies to one word, phrase or /regexp/; write (%s:a OR %s:b)", name, name, name)}
			}
			return nil, &textError{start, fmt.Sprintf("%s: has no value", name)}
		}
	}
	var err error
	switch l.s[l.pos] {
	case '"':
		err = l.phrase(t)
	case '/':
		err = l.regexp(t)
	default:
		err = l.word(t)
	}
	if err != nil {
		return nil, err
	}
	if !l.ends(l.pos) {
		return nil, &textError{l.pos, fmt.Sprintf("unexpected %q after %s", l.s[l.pos:l.pos+1], l.s[start:l.pos])}
	}
	return t, nil
}

// phrase reads "words", with \" and \\ as escapes.
func (l *lexer) phrase(t *textNode) error {
	start := l.pos
	var b strings.Builder
	for i := l.pos + 1; i < len(l.s); i++ {
		switch l.s[i] {
		case '\\':
			if i+1 < len(l.s) {
				i++
				b.WriteByte(l.s[i])
			}
		case '"':
			l.pos = i + 1
			t.kind, t.value = termPhrase, b.String()
			if strings.TrimSpace(t.value) == "" {
				return &textError{start, "empty phrase"}
			}
			if l.pos < len(l.s) && l.s[l.pos] == '~' {
				return &textError{l.pos, "a phrase takes no ~ (proximity is not supported)"}
			}
			return nil
		default:
			b.WriteByte(l.s[i])
		}
	}
	return &textError{start, "unclosed quote"}
}

// regexp reads /regexp/, with \/ for a slash, and checks that the index's
// regexp engine takes it.
func (l *lexer) regexp(t *textNode) error {
	start := l.pos
	var b strings.Builder
	for i := l.pos + 1; i < len(l.s); i++ {
		switch {
		case l.s[i] == '\\' && i+1 < len(l.s) && l.s[i+1] == '/':
			i++
			b.WriteByte('/')
			continue
		case l.s[i] == '\\' && i+1 < len(l.s):
			b.WriteString(l.s[i : i+2])
			i++
			continue
		case l.s[i] == '/':
			l.pos = i + 1
			t.kind, t.value = termRegexp, b.String()
			if t.value == "" {
				return &textError{start, "empty regexp //"}
			}
			// A regexp matches a whole term, so one leading ^ says
			// nothing (the index's engine would drop it); index terms
			// are lower case, so matching ignores case.
			t.pattern = "(?i)" + strings.TrimPrefix(t.value, "^")
			if err := index.CheckRegexp(t.pattern); err != nil {
				return &textError{start, fmt.Sprintf("regexp /%s/: %s", t.value, err)}
			}
			return nil
		}
		b.WriteByte(l.s[i])
	}
	return &textError{start, "unclosed regexp: no / after it"}
}

// word reads a word, with \ escaping the next character; * and ? make it
// a wildcard, ~ or ~N at its end a fuzzy term.
func (l *lexer) word(t *textNode) error {
	start := l.pos
	var b strings.Builder  // the word, unescaped
	var re strings.Builder // its wildcard regexp
	wild := false
	for l.pos < len(l.s) && !l.ends(l.pos) {
		c := l.s[l.pos]
		switch {
		case c == '\\':
			if l.pos+1 >= len(l.s) {
				return &textError{l.pos, `\ at the end escapes nothing`}
			}
			r, n := utf8.DecodeRuneInString(l.s[l.pos+1:])
			b.WriteRune(r)
			re.WriteString(regexp.QuoteMeta(strings.ToLower(string(r))))
			l.pos += 1 + n
			continue
		case c == '*':
			wild = true
			re.WriteString(".*")
			b.WriteByte(c)
		case c == '?':
			wild = true
			re.WriteString(".")
			b.WriteByte(c)
		case c == '"':
			return &textError{l.pos, "a quote inside a word: put the whole phrase in quotes"}
		case c == '^':
			return &textError{l.pos, "^ (boost) is not supported: answers are not ranked"}
		case c == '~':
			w := b.String()
			if w == "" {
				return &textError{l.pos, "~ needs a word before it"}
			}
			rest := l.pos + 1
			for rest < len(l.s) && !l.ends(rest) {
				rest++
			}
			d := 1
			if n := l.s[l.pos+1 : rest]; n != "" {
				v, err := strconv.Atoi(n)
				if err != nil || v < 1 || v > 2 {
					return &textError{l.pos, fmt.Sprintf("fuzzy %s~%s: the edit distance is 1 or 2", w, n)}
				}
				d = v
			}
			if wild {
				return &textError{start, fmt.Sprintf("%s~: a word is a wildcard or fuzzy, not both", w)}
			}
			if !strings.ContainsFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
				// Within an edit of punctuation is any one-letter word.
				return &textError{start, fmt.Sprintf("fuzzy %s~: a fuzzy term needs a letter or digit", w)}
			}
			l.pos = rest
			t.kind, t.value, t.fuzz = termFuzzy, w, d
			return nil
		default:
			r, n := utf8.DecodeRuneInString(l.s[l.pos:])
			b.WriteRune(r)
			re.WriteString(regexp.QuoteMeta(strings.ToLower(string(r))))
			l.pos += n
			continue
		}
		l.pos++
	}
	t.value = b.String()
	if wild {
		t.kind, t.pattern = termWildcard, re.String()
		if err := index.CheckRegexp(t.pattern); err != nil {
			return &textError{start, fmt.Sprintf("wildcard %s: %s", t.value, err)}
		}
		return nil
	}
	t.kind = termWord
	return nil
}

// parser builds a textNode from tokens.
type parser struct {
	lex   lexer
	tok   token
	depth int
}

func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// parseText parses a --text query. The error is a *textError.
func parseText(s string) (*textNode, error) {
	p := &parser{lex: lexer{s: s}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tokEOF {
		return nil, &textError{0, "empty query"}
	}
	n, err := p.group()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, &textError{p.tok.pos, "unmatched )"}
	}
	return n, nil
}

// group parses adjacent items up to ) or the end.
func (p *parser) group() (*textNode, error) {
	start := p.tok.pos
	var must, should, not []*textNode
	for p.tok.kind != tokEOF && p.tok.kind != tokRParen {
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		switch {
		case n.op == opNot:
			not = append(not, n)
		case n.plus:
			must = append(must, n)
		default:
			should = append(should, n)
		}
	}
	if len(must)+len(should)+len(not) == 0 {
		return nil, &textError{start, "empty parentheses"}
	}
	if len(should) > 0 {
		must = append(must, combine(opOr, should))
	}
	return combine(opAnd, append(must, not...)), nil
}

// combine joins nodes with op; one node stands alone.
func combine(op textOp, nodes []*textNode) *textNode {
	if len(nodes) == 1 {
		return nodes[0]
	}
	return &textNode{op: op, kids: nodes}
}

func (p *parser) or() (*textNode, error) { return p.chain(tokOr, opOr, p.and) }

func (p *parser) and() (*textNode, error) { return p.chain(tokAnd, opAnd, p.unary) }

// chain parses operands read by next joined by the operator token kind,
// and combines them with op.
func (p *parser) chain(kind tokKind, op textOp, next func() (*textNode, error)) (*textNode, error) {
	n, err := next()
	if err != nil {
		return nil, err
	}
	kids := []*textNode{n}
	for p.tok.kind == kind {
		tok := p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		if err := p.operand(tok); err != nil {
			return nil, err
		}
		n, err := next()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	return combine(op, kids), nil
}

// operand checks that an operand follows the operator op.
func (p *parser) operand(op token) error {
	switch p.tok.kind {
	case tokEOF, tokRParen:
		return &textError{op.pos, fmt.Sprintf("%s needs a term after it", op.text)}
	case tokAnd, tokOr:
		return &textError{p.tok.pos, fmt.Sprintf("%s right after %s", p.tok.text, op.text)}
	}
	return nil
}

func (p *parser) unary() (*textNode, error) {
	switch p.tok.kind {
	case tokNot, tokMinus, tokPlus:
		op := p.tok
		if p.depth++; p.depth > maxTextDepth {
			return nil, &textError{op.pos, "nested too deep"}
		}
		defer func() { p.depth-- }()
		if err := p.advance(); err != nil {
			return nil, err
		}
		if err := p.operand(op); err != nil {
			return nil, err
		}
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		if op.kind == tokPlus {
			// A copy: + marks this item, not what it stands for.
			c := *n
			c.plus = true
			return &c, nil
		}
		return &textNode{op: opNot, kids: []*textNode{n}}, nil
	}
	return p.primary()
}

func (p *parser) primary() (*textNode, error) {
	switch p.tok.kind {
	case tokTerm:
		n := p.tok.term
		return n, p.advance()
	case tokLParen:
		open := p.tok
		if p.depth++; p.depth > maxTextDepth {
			return nil, &textError{open.pos, "nested too deep"}
		}
		defer func() { p.depth-- }()
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind == tokRParen {
			return nil, &textError{open.pos, "empty parentheses"}
		}
		n, err := p.group()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tokRParen {
			return nil, &textError{open.pos, "unclosed ("}
		}
		c := *n
		c.plus = false // a mark inside parentheses stays inside
		return &c, p.advance()
	case tokRParen:
		return nil, &textError{p.tok.pos, "unmatched )"}
	case tokEOF:
		return nil, &textError{p.tok.pos, "a term is missing at the end"}
	default:
		return nil, &textError{p.tok.pos, fmt.Sprintf("%s needs a term before it", p.tok.text)}
	}
}

// compile turns n into an index query.
func (n *textNode) compile() (index.Query, error) {
	switch n.op {
	case opTerm:
		return n.termQuery()
	case opNot:
		q, err := n.kids[0].compile()
		if err != nil {
			return index.Query{}, err
		}
		return index.Not(q), nil
	}
	qs := make([]index.Query, 0, len(n.kids))
	for _, k := range n.kids {
		q, err := k.compile()
		if err != nil {
			return index.Query{}, err
		}
		qs = append(qs, q)
	}
	if n.op == opAnd {
		return index.And(qs...), nil
	}
	return index.Or(qs...), nil
}

// termQuery is the query of one term.
func (n *textNode) termQuery() (index.Query, error) {
	switch n.kind {
	case termRegexp, termWildcard:
		return index.Regexp(n.field, n.pattern), nil
	case termFuzzy:
		return index.Fuzzy(n.field, n.value, n.fuzz), nil
	case termPhrase:
		return index.Phrase(n.field, n.value)
	default:
		return index.Words(n.field, n.value)
	}
}

// checkWords refuses words with nothing to search for in the text field,
// such as ">" or "...": they could never match.
func (n *textNode) checkWords() error {
	if n.op != opTerm {
		for _, k := range n.kids {
			if err := k.checkWords(); err != nil {
				return err
			}
		}
		return nil
	}
	if !isText(n.field) || (n.kind != termWord && n.kind != termPhrase) {
		return nil
	}
	if strings.IndexFunc(n.value, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0 {
		return &textError{-1, fmt.Sprintf("%q has no letter or digit to search for", n.value)}
	}
	return nil
}

// highlights returns the words and phrases of n's text terms that are not
// negated, lower-cased, for highlighting.
func (n *textNode) highlights() []string {
	seen := map[string]bool{}
	var walk func(n *textNode)
	walk = func(n *textNode) {
		switch n.op {
		case opNot:
			return
		case opTerm:
			if !isText(n.field) {
				return
			}
			w := n.value
			switch n.kind {
			case termRegexp:
				return
			case termWildcard:
				w = w[:strings.IndexAny(w, "*?")]
			}
			if w = strings.ToLower(w); w != "" {
				seen[w] = true
			}
			return
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(n)
	out := make([]string, 0, len(seen))
	for w := range seen {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// isText reports whether the index field is one of analysed text.
func isText(field string) bool {
	f, ok := index.LookupField(field)
	return ok && f.Match == index.MatchText
}

// TextQuery parses a --text query into an index query. Errors wrap
// query.ErrBadText and are one line.
func TextQuery(text string) (index.Query, error) {
	n, err := parseTextChecked(text)
	if err != nil {
		return index.Query{}, err
	}
	return n.compile()
}

// parseTextChecked parses text and wraps its errors in query.ErrBadText.
func parseTextChecked(text string) (*textNode, error) {
	n, err := parseText(text)
	if err == nil {
		err = n.checkWords()
	}
	if err != nil {
		msg := err.Error()
		if te, ok := err.(*textError); ok {
			msg = te.at(text)
		}
		return nil, fmt.Errorf("%w %q: %s", query.ErrBadText, text, flattenSpace(msg))
	}
	return n, nil
}

// CheckText parses a full-text query, so that a syntax error is reported
// before anything is read. The error wraps query.ErrBadText and quotes the
// parser's message.
func CheckText(text string) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	_, err := parseTextChecked(text)
	return err
}

func flattenSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// textTerms returns the words and phrases a full-text query searches the
// text for, lower-cased, for highlighting.
func textTerms(text string) []string {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	n, err := parseText(text)
	if err != nil {
		return nil
	}
	return n.highlights()
}
