package sync

import (
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxJSONDepth is the deepest nesting of objects and lists that archiver
// accepts in JSON it reads from outside, an import file or an API answer,
// counting the outermost object as 1. Real answers are far shallower (a DRS
// job or source server nests about a dozen levels, including the answer's
// own object and list); JSON tools such as jq refuse much deeper documents,
// and a record archiver kept would be one nobody could read back.
const MaxJSONDepth = 64

// InvalidUTF8Error is returned for JSON text that is not UTF-8, as RFC 8259
// requires: Offset is the first byte that is not part of a UTF-8 character,
// counted from 0.
type InvalidUTF8Error struct {
	Offset int64
}

func (e *InvalidUTF8Error) Error() string {
	return fmt.Sprintf("invalid UTF-8 at byte offset %d (JSON text must be UTF-8)", e.Offset)
}

// TooDeepError is returned for JSON nested deeper than MaxJSONDepth.
type TooDeepError struct {
	// Offset is where the nesting goes past the limit, counted from 0.
	Offset int64
}

func (e *TooDeepError) Error() string {
	return fmt.Sprintf("JSON nested deeper than %d levels at byte offset %d", MaxJSONDepth, e.Offset)
}

// utf8Reader passes on the bytes of r and fails with *InvalidUTF8Error at
// the first byte that is not UTF-8, having passed on only the bytes before
// it. A character split across reads is held back until its last byte is
// read.
type utf8Reader struct {
	r     io.Reader
	off   int64  // bytes passed on
	carry []byte // the start of a character cut at the end of the last read
	err   error
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	if u.err != nil {
		return 0, u.err
	}
	if len(p) <= len(u.carry) {
		return 0, io.ErrShortBuffer
	}
	c := copy(p, u.carry)
	n, err := u.r.Read(p[c:])
	n += c
	end, bad := scanUTF8(p[:n], err == nil)
	if bad >= 0 {
		u.err = &InvalidUTF8Error{Offset: u.off + int64(bad)}
		u.off += int64(bad)
		return bad, nil
	}
	u.carry = append(u.carry[:0], p[end:n]...)
	u.off += int64(end)
	if err != nil && err != io.EOF {
		u.err = err
	}
	return end, err
}

// scanUTF8 returns the offset in b of the first byte that is not part of a
// UTF-8 character, or bad = -1. With more (more bytes follow b), a
// character cut at the end of b is not an error: end is where it begins,
// and len(b) otherwise.
func scanUTF8(b []byte, more bool) (end, bad int) {
	if utf8.Valid(b) {
		return len(b), -1
	}
	i := 0
	for i < len(b) {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		if !utf8.FullRune(b[i:]) {
			if more {
				return i, -1
			}
			return i, i
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i, i
		}
		i += size
	}
	return i, -1
}

// checkJSONText checks JSON text b, found at depth base (the number of
// objects and lists around it) and at byte offset at of its document: it
// must be UTF-8 and nest no deeper than MaxJSONDepth. It reads b's
// structure only; b is taken to be otherwise valid JSON.
func checkJSONText(b []byte, base int, at int64) error {
	if _, bad := scanUTF8(b, false); bad >= 0 {
		return &InvalidUTF8Error{Offset: at + int64(bad)}
	}
	depth, inString, escaped := base, false, false
	for i, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > MaxJSONDepth {
				return &TooDeepError{Offset: at + int64(i)}
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// checkItemsText checks the items of list member list of an API answer,
// which sync archives byte for byte: the SDK's decoder reads text that is
// not UTF-8 and nesting up to 10000 levels, which no record may hold.
func checkItemsText(list string, items []json.RawMessage) error {
	for i, it := range items {
		// An item is in the answer's object and its list.
		if err := checkJSONText(it, 2, 0); err != nil {
			return fmt.Errorf("the answer is malformed: member %s[%d]: %w (counted from the start of the item)", list, i, err)
		}
	}
	return nil
}
