package sync

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// errSplit is returned by splitMember for a body it cannot read.
var errSplit = errors.New("not a JSON object")

// splitMember returns the elements of the array that is member name of the
// JSON object in body, as subslices of body: the exact bytes AWS sent. A
// missing or null member gives no elements. Anything after the object but
// whitespace is an error.
//
// splitMember checks structure, not every byte: it is used on bodies the SDK
// has already parsed in full, so on a valid body its elements are valid
// JSON. It never panics, whatever body holds.
func splitMember(body []byte, name string) ([][]byte, error) {
	s := scanner{b: body}
	s.ws()
	if !s.eat('{') {
		return nil, errSplit
	}
	var items [][]byte
	found := false
	s.ws()
	if !s.eat('}') {
		for {
			s.ws()
			key, ok := s.str()
			if !ok {
				return nil, fmt.Errorf("%w: bad member name at byte %d", errSplit, s.i)
			}
			s.ws()
			if !s.eat(':') {
				return nil, fmt.Errorf("%w: no colon at byte %d", errSplit, s.i)
			}
			s.ws()
			if memberName(key) == name {
				if found {
					return nil, fmt.Errorf("%w: member %q twice", errSplit, name)
				}
				found = true
				var err error
				if items, err = s.array(); err != nil {
					return nil, err
				}
			} else if !s.value() {
				return nil, fmt.Errorf("%w: bad value at byte %d", errSplit, s.i)
			}
			s.ws()
			if s.eat('}') {
				break
			}
			if !s.eat(',') {
				return nil, fmt.Errorf("%w: no comma at byte %d", errSplit, s.i)
			}
		}
	}
	s.ws()
	if s.i != len(s.b) {
		return nil, fmt.Errorf("%w: data after the object at byte %d", errSplit, s.i)
	}
	return items, nil
}

// memberName returns the name a quoted member name spells, escapes read.
func memberName(quoted []byte) string {
	if bytes.IndexByte(quoted, '\\') < 0 {
		return string(quoted[1 : len(quoted)-1])
	}
	var s string
	if json.Unmarshal(quoted, &s) != nil {
		return ""
	}
	return s
}

// scanner walks JSON text.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str skips a string and returns it with its quotes.
func (s *scanner) str() ([]byte, bool) {
	start := s.i
	if !s.eat('"') {
		return nil, false
	}
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			s.i += 2
		case '"':
			s.i++
			return s.b[start:s.i], true
		default:
			s.i++
		}
	}
	s.i = len(s.b)
	return nil, false
}

// array reads an array (or null) and returns its elements.
func (s *scanner) array() ([][]byte, error) {
	if s.lit("null") {
		return nil, nil
	}
	if !s.eat('[') {
		return nil, fmt.Errorf("%w: member is not an array at byte %d", errSplit, s.i)
	}
	var out [][]byte
	s.ws()
	if s.eat(']') {
		return out, nil
	}
	for {
		s.ws()
		start := s.i
		if !s.value() {
			return nil, fmt.Errorf("%w: bad element at byte %d", errSplit, s.i)
		}
		out = append(out, s.b[start:s.i])
		s.ws()
		if s.eat(']') {
			return out, nil
		}
		if !s.eat(',') {
			return nil, fmt.Errorf("%w: no comma in array at byte %d", errSplit, s.i)
		}
	}
}

// value skips one value: a string, an object or array (by nesting depth),
// or a literal or number.
func (s *scanner) value() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '"':
		_, ok := s.str()
		return ok
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if _, ok := s.str(); !ok {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return true
				}
			}
			s.i++
		}
		return false
	default:
		start := s.i
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return s.i > start
			}
			s.i++
		}
		return s.i > start
	}
}

// lit consumes the literal word if it is next.
func (s *scanner) lit(word string) bool {
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}
