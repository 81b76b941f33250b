// Package jsonscan walks JSON text structurally, without decoding it:
// cutting the elements of a member out of an AWS answer, and reading the
// few top-level members that file a record. It checks structure, not every
// byte, and is used on text that is valid JSON (checked before or after);
// it never panics, whatever the text holds.
package jsonscan

import (
	"bytes"
	"encoding/json"
)

// MemberName returns the name a quoted member name spells, escapes read.
func MemberName(quoted []byte) string {
	if bytes.IndexByte(quoted, '\\') < 0 {
		return string(quoted[1 : len(quoted)-1])
	}
	var s string
	if json.Unmarshal(quoted, &s) != nil {
		return ""
	}
	return s
}

// Scanner walks JSON text.
type Scanner struct {
	// B is the text and I the position in it.
	B []byte
	I int
}

// WS skips white space.
func (s *Scanner) WS() {
	for s.I < len(s.B) {
		switch s.B[s.I] {
		case ' ', '\t', '\n', '\r':
			s.I++
		default:
			return
		}
	}
}

// Eat consumes c if it is next.
func (s *Scanner) Eat(c byte) bool {
	if s.I < len(s.B) && s.B[s.I] == c {
		s.I++
		return true
	}
	return false
}

// Str skips a string and returns it with its quotes.
func (s *Scanner) Str() ([]byte, bool) {
	start := s.I
	if !s.Eat('"') {
		return nil, false
	}
	for s.I < len(s.B) {
		switch s.B[s.I] {
		case '\\':
			s.I += 2
		case '"':
			s.I++
			return s.B[start:s.I], true
		default:
			s.I++
		}
	}
	s.I = len(s.B)
	return nil, false
}

// Value skips one value: a string, an object or array (by nesting depth),
// or a literal or number.
func (s *Scanner) Value() bool {
	if s.I >= len(s.B) {
		return false
	}
	switch s.B[s.I] {
	case '"':
		_, ok := s.Str()
		return ok
	case '{', '[':
		depth := 0
		for s.I < len(s.B) {
			switch s.B[s.I] {
			case '"':
				if _, ok := s.Str(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.I++
					return true
				}
			}
			s.I++
		}
		return false
	default:
		start := s.I
		for s.I < len(s.B) {
			switch s.B[s.I] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return s.I > start
			}
			s.I++
		}
		return s.I > start
	}
}

// Lit consumes the literal word if it is next.
func (s *Scanner) Lit(word string) bool {
	if len(s.B)-s.I >= len(word) && string(s.B[s.I:s.I+len(word)]) == word {
		s.I += len(word)
		return true
	}
	return false
}

// Members calls fn with the quoted name and the raw value of each member
// of the JSON object obj, in order, until fn returns false. It reports
// whether obj reads as an object up to where it stopped.
func Members(obj []byte, fn func(quotedName, value []byte) bool) bool {
	s := Scanner{B: obj}
	s.WS()
	if !s.Eat('{') {
		return false
	}
	s.WS()
	if s.Eat('}') {
		return true
	}
	for {
		s.WS()
		name, ok := s.Str()
		if !ok {
			return false
		}
		s.WS()
		if !s.Eat(':') {
			return false
		}
		s.WS()
		start := s.I
		if !s.Value() {
			return false
		}
		if !fn(name, s.B[start:s.I]) {
			return true
		}
		s.WS()
		if s.Eat('}') {
			return true
		}
		if !s.Eat(',') {
			return false
		}
	}
}
