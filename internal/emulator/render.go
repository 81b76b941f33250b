package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// marshal renders v as compact JSON without HTML escaping, so strings such
// as raw error texts keep their < > & characters.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("emulator: render %T: %w", v, err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// mustMarshal is marshal for the package's own wire types, which always
// render; a failure is a programming error.
func mustMarshal(v any) []byte {
	b, err := marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// member is one extra JSON member: a key and its pre-rendered value.
type member struct {
	key   string
	value string
}

// withMembers appends members to the rendered JSON object obj.
func withMembers(obj []byte, ms ...member) []byte {
	if len(ms) == 0 || len(obj) < 2 || obj[len(obj)-1] != '}' {
		return obj
	}
	out := make([]byte, 0, len(obj)+64)
	out = append(out, obj[:len(obj)-1]...)
	empty := len(bytes.TrimSpace(obj[1:len(obj)-1])) == 0
	for _, m := range ms {
		if !empty {
			out = append(out, ',')
		}
		empty = false
		out = append(out, mustMarshal(m.key)...)
		out = append(out, ':')
		out = append(out, m.value...)
	}
	return append(out, '}')
}

// envelope assembles a list answer from pre-rendered items without
// re-encoding them: {"<key>":[items...],"nextToken":"..."}.
func envelope(key string, items []json.RawMessage, next string) []byte {
	return envelopeWith(key, items, "nextToken", next)
}

// envelopeWith is envelope with the token under tokenKey, for services
// that spell it NextToken.
func envelopeWith(key string, items []json.RawMessage, tokenKey, next string) []byte {
	n := 32 + len(key) + len(tokenKey) + len(next)
	for _, it := range items {
		n += len(it) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	b = append(b, mustMarshal(key)...)
	b = append(b, ":["...)
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	b = append(b, ']')
	if next != "" {
		b = append(b, ',')
		b = append(b, mustMarshal(tokenKey)...)
		b = append(b, ':')
		b = append(b, mustMarshal(next)...)
	}
	return append(b, '}')
}

// Members the SDK does not model, added when unknown fields are enabled.
// They carry HTML-significant characters, a number in exponent notation and
// one beyond int64 so that a client can prove it keeps them verbatim.
var (
	unknownFuture = member{"x-futureField", `{"nested":[1,2.50,"<b>&</b>"]}`}
	unknownScale  = member{"x-scaleFactor", `1.0e3`}
	unknownNotes  = member{"x-annotations", `[{"k":"a&b","v":"<i>"},null,true,-0.0,12345678901234567890]`}
	unknownFw     = member{"x-firmware", `{"type":"UEFI","secureBoot":false,"version":"2.70 <rev&1>"}`}
)
