package query

import (
	"bytes"
	"encoding/json"
)

// redactedValue replaces each redacted value.
const redactedValue = `"REDACTED"`

// RedactTags returns data with the value of every "tags" member, at any
// depth, redacted: in an object of tags each tag keeps its key and its value
// becomes "REDACTED"; a tags member of another shape becomes "REDACTED"
// whole. Every other byte is kept. Data that is not valid JSON is returned
// as it is.
func RedactTags(data []byte) []byte {
	if !bytes.Contains(data, []byte(`"tags"`)) || !json.Valid(data) {
		return data
	}
	r := redactor{in: data, out: make([]byte, 0, len(data))}
	r.value()
	r.out = append(r.out, r.in[r.i:]...)
	return r.out
}

// redactor copies valid JSON from in to out, redacting as it goes.
type redactor struct {
	in, out []byte
	i       int
}

// ws copies white space.
func (r *redactor) ws() {
	for r.i < len(r.in) && (r.in[r.i] == ' ' || r.in[r.i] == '\t' || r.in[r.i] == '\n' || r.in[r.i] == '\r') {
		r.out = append(r.out, r.in[r.i])
		r.i++
	}
}

// skip moves past one value without copying it and returns its bytes.
func (r *redactor) skip() []byte {
	start, depth, inString := r.i, 0, false
	for ; r.i < len(r.in); r.i++ {
		c := r.in[r.i]
		switch {
		case inString:
			if c == '\\' {
				r.i++
			} else if c == '"' {
				inString = false
				if depth == 0 {
					r.i++
					return r.in[start:r.i]
				}
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth == 0 {
				return r.in[start:r.i]
			}
			depth--
			if depth == 0 {
				r.i++
				return r.in[start:r.i]
			}
		case depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return r.in[start:r.i]
		}
	}
	return r.in[start:r.i]
}

// value copies one value, redacting tags members inside it.
func (r *redactor) value() {
	r.ws()
	if r.i >= len(r.in) {
		return
	}
	switch r.in[r.i] {
	case '{':
		r.object(false)
	case '[':
		r.out = append(r.out, '[')
		r.i++
		for {
			r.ws()
			if r.i >= len(r.in) || r.in[r.i] == ']' {
				break
			}
			r.value()
			r.ws()
			if r.i < len(r.in) && r.in[r.i] == ',' {
				r.out = append(r.out, ',')
				r.i++
			}
		}
		if r.i < len(r.in) {
			r.out = append(r.out, ']')
			r.i++
		}
	default:
		r.out = append(r.out, r.skip()...)
	}
}

// object copies an object; with redactAll every member's value is
// redacted (the object is a tags member).
func (r *redactor) object(redactAll bool) {
	r.out = append(r.out, '{')
	r.i++
	for {
		r.ws()
		if r.i >= len(r.in) || r.in[r.i] == '}' {
			break
		}
		key := r.skip()
		r.out = append(r.out, key...)
		r.ws()
		if r.i < len(r.in) && r.in[r.i] == ':' {
			r.out = append(r.out, ':')
			r.i++
		}
		r.ws()
		var name string
		_ = json.Unmarshal(key, &name)
		switch {
		case redactAll:
			r.skip()
			r.out = append(r.out, redactedValue...)
		case name == "tags" && r.i < len(r.in) && r.in[r.i] == '{':
			r.object(true)
		case name == "tags":
			r.skip()
			r.out = append(r.out, redactedValue...)
		default:
			r.value()
		}
		r.ws()
		if r.i < len(r.in) && r.in[r.i] == ',' {
			r.out = append(r.out, ',')
			r.i++
		}
	}
	if r.i < len(r.in) {
		r.out = append(r.out, '}')
		r.i++
	}
}
