package sync

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestUTF8Reader: however the bytes arrive, the reader passes on exactly
// the bytes before the first that is not UTF-8, then fails naming its
// offset; valid text passes whole.
func TestUTF8Reader(t *testing.T) {
	tests := []struct {
		name, text string
		bad        int64 // -1: valid
	}{
		{"ASCII", `{"a": "b"}`, -1},
		{"every width", "\u00e9\u2603\U0001F600\ufffd", -1},
		{"Latin-1 byte", "caf\xe9!", 3},
		{"cut at the end", "ab\xf0\x9f\x98", 2},
		{"surrogate", "a\xed\xa0\x80", 1},
		{"overlong", "ab\xc0\xaf", 2},
		{"bad after a long valid run", strings.Repeat("\u2603", 5000) + "\xff", 15000},
	}
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"halves":   iotest.HalfReader,
	}
	for _, tt := range tests {
		for rname, wrap := range readers {
			t.Run(tt.name+"/"+rname, func(t *testing.T) {
				got, err := io.ReadAll(&utf8Reader{r: wrap(strings.NewReader(tt.text))})
				var bad *InvalidUTF8Error
				switch {
				case tt.bad < 0 && (err != nil || string(got) != tt.text):
					t.Errorf("read %q, %v; want the text whole", got, err)
				case tt.bad >= 0 && (!errors.As(err, &bad) || bad.Offset != tt.bad):
					t.Errorf("error %v, want invalid UTF-8 at %d", err, tt.bad)
				case tt.bad >= 0 && !bytes.Equal(got, []byte(tt.text[:tt.bad])):
					t.Errorf("passed on %d bytes, want the %d before the bad one", len(got), tt.bad)
				}
			})
		}
	}
}

// TestCheckJSONText: nesting is counted from the depth the text is found
// at, outside strings.
func TestCheckJSONText(t *testing.T) {
	tests := []struct {
		text  string
		base  int
		depth bool // want a TooDeepError
	}{
		{strings.Repeat("[", MaxJSONDepth) + strings.Repeat("]", MaxJSONDepth), 0, false},
		{strings.Repeat("[", MaxJSONDepth+1) + strings.Repeat("]", MaxJSONDepth+1), 0, true},
		{strings.Repeat("[", MaxJSONDepth-2) + strings.Repeat("]", MaxJSONDepth-2), 2, false},
		{strings.Repeat("[", MaxJSONDepth-1) + strings.Repeat("]", MaxJSONDepth-1), 2, true},
		{`{"a": "` + strings.Repeat("[{", 100) + `\" [[["}`, 0, false},
	}
	for i, tt := range tests {
		err := checkJSONText([]byte(tt.text), tt.base, 0)
		var deep *TooDeepError
		if errors.As(err, &deep) != tt.depth {
			t.Errorf("%d: error %v, want too deep: %v", i, err, tt.depth)
		}
	}
}

// FuzzCheckJSONText: on any valid JSON, checkJSONText refuses exactly the
// text that is not UTF-8 or nests deeper than MaxJSONDepth, as a decoder
// counts it; and utf8Reader, fed a byte at a time, stops at the first bad
// byte scanUTF8 finds in the whole.
func FuzzCheckJSONText(f *testing.F) {
	for _, s := range []string{
		`{"a": [1, {"b": "c"}]}`, `"caf` + "\xe9" + `"`, `["\u00e9 ` + "\u2603" + `"]`,
		strings.Repeat("[", MaxJSONDepth) + strings.Repeat("]", MaxJSONDepth),
		strings.Repeat("[", MaxJSONDepth+1) + strings.Repeat("]", MaxJSONDepth+1),
		`{"a": "[[[[\"{{{"}`, "\"\xed\xa0\x80\"", "\"\xf0\x9f\x98\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, bad := scanUTF8(b, false)
		got, err := io.ReadAll(&utf8Reader{r: iotest.OneByteReader(bytes.NewReader(b))})
		var ue *InvalidUTF8Error
		switch {
		case bad < 0 && (err != nil || !bytes.Equal(got, b)):
			t.Fatalf("valid UTF-8 read as %q, %v", got, err)
		case bad >= 0 && (!errors.As(err, &ue) || ue.Offset != int64(bad) || !bytes.Equal(got, b[:bad])):
			t.Fatalf("invalid at %d, read %d bytes, error %v", bad, len(got), err)
		}
		if !json.Valid(b) {
			return
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return
		}
		deep := depthOfValue(v) > MaxJSONDepth
		err = checkJSONText(b, 0, 0)
		var te *TooDeepError
		switch {
		case bad >= 0 && !errors.As(err, &ue):
			t.Fatalf("invalid UTF-8 at %d passed: %v", bad, err)
		case bad < 0 && deep && !errors.As(err, &te):
			t.Fatalf("too deep passed: %v", err)
		case bad < 0 && !deep && err != nil:
			t.Fatalf("valid text refused: %v", err)
		}
	})
}

// depthOfValue returns how deep a decoded JSON value nests.
func depthOfValue(v any) int {
	d := 0
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			d = max(d, depthOfValue(e))
		}
		return d + 1
	case []any:
		for _, e := range v {
			d = max(d, depthOfValue(e))
		}
		return d + 1
	}
	return 0
}
