package sync

import (
	"errors"
	"fmt"

	"github.com/archiver-dev/archiver/internal/jsonscan"
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
	s := jsonscan.Scanner{B: body}
	s.WS()
	if !s.Eat('{') {
		return nil, errSplit
	}
	var items [][]byte
	found := false
	s.WS()
	if !s.Eat('}') {
		for {
			s.WS()
			key, ok := s.Str()
			if !ok {
				return nil, fmt.Errorf("%w: bad member name at byte %d", errSplit, s.I)
			}
			s.WS()
			if !s.Eat(':') {
				return nil, fmt.Errorf("%w: no colon at byte %d", errSplit, s.I)
			}
			s.WS()
			if jsonscan.MemberName(key) == name {
				if found {
					return nil, fmt.Errorf("%w: member %q twice", errSplit, name)
				}
				found = true
				var err error
				if items, err = array(&s); err != nil {
					return nil, err
				}
			} else if !s.Value() {
				return nil, fmt.Errorf("%w: bad value at byte %d", errSplit, s.I)
			}
			s.WS()
			if s.Eat('}') {
				break
			}
			if !s.Eat(',') {
				return nil, fmt.Errorf("%w: no comma at byte %d", errSplit, s.I)
			}
		}
	}
	s.WS()
	if s.I != len(s.B) {
		return nil, fmt.Errorf("%w: data after the object at byte %d", errSplit, s.I)
	}
	return items, nil
}

// array reads an array (or null) and returns its elements.
func array(s *jsonscan.Scanner) ([][]byte, error) {
	if s.Lit("null") {
		return nil, nil
	}
	if !s.Eat('[') {
		return nil, fmt.Errorf("%w: member is not an array at byte %d", errSplit, s.I)
	}
	var out [][]byte
	s.WS()
	if s.Eat(']') {
		return out, nil
	}
	for {
		s.WS()
		start := s.I
		if !s.Value() {
			return nil, fmt.Errorf("%w: bad element at byte %d", errSplit, s.I)
		}
		out = append(out, s.B[start:s.I])
		s.WS()
		if s.Eat(']') {
			return out, nil
		}
		if !s.Eat(',') {
			return nil, fmt.Errorf("%w: no comma in array at byte %d", errSplit, s.I)
		}
	}
}
