package sync

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func TestSplitMember(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
		err        bool
	}{
		{"items", `{"items":[{"a":1},{"b":[1,{"c":"]}"}]}],"nextToken":"x"}`, []string{`{"a":1}`, `{"b":[1,{"c":"]}"}]}`}, false},
		{"whitespace kept inside", "{ \"items\" : [ {\"a\" : 1 } ,\n{ } ] }\n", []string{`{"a" : 1 }`, `{ }`}, false},
		{"escapes", `{"x":"\"items\"","items":[{"s":"a\\\"b\u00e9"}]}`, []string{`{"s":"a\\\"b\u00e9"}`}, false},
		{"missing", `{"nextToken":null}`, nil, false},
		{"escaped name", `{"\u0069tems":[{}]}`, []string{`{}`}, false},
		{"null", `{"items":null}`, nil, false},
		{"empty", `{"items":[]}`, nil, false},
		{"empty object", `{}`, nil, false},
		{"scalars", `{"items":[1,true,"s",null]}`, []string{`1`, `true`, `"s"`, `null`}, false},
		{"truncated", `{"items":[{"a":1},{"b"`, nil, true},
		{"truncated string", `{"items":["abc`, nil, true},
		{"trailing data", `{"items":[]} {}`, nil, true},
		{"not an object", `[1,2]`, nil, true},
		{"not an array", `{"items":{"a":1}}`, nil, true},
		{"twice", `{"items":[],"items":[]}`, nil, true},
		{"empty body", ``, nil, true},
		{"html", `<html>502 Bad Gateway</html>`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitMember([]byte(tc.body), "items")
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if err != nil && !errors.Is(err, errSplit) {
				t.Errorf("error %v is not errSplit", err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d items %q, want %d", len(got), got, len(tc.want))
			}
			for i := range got {
				if string(got[i]) != tc.want[i] {
					t.Errorf("item %d = %s, want %s", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// FuzzSplitMember checks splitMember against encoding/json on every valid
// object, and that it never panics on anything else.
func FuzzSplitMember(f *testing.F) {
	for _, s := range []string{
		`{"items":[{"a":1},{"b":[1,{"c":"]}"}]}],"nextToken":"x"}`,
		`{"items":null}`, `{"x":{"items":[1]},"items":[ 2 , "3" ]}`, `{"items":[{"a":1},{"b"`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := splitMember(body, "items")
		var obj map[string]json.RawMessage
		if json.Unmarshal(body, &obj) != nil {
			return // not a valid object: only the absence of a panic matters
		}
		if n := bytes.Count(body, []byte(`"items"`)); n > 1 || n == 0 && bytes.Contains(body, []byte(`\`)) {
			return // duplicate members are refused; encoding/json keeps the last
			// (escaped spellings of the name make duplicates hard to count)
		}
		var want []json.RawMessage
		if raw, ok := obj["items"]; ok {
			if json.Unmarshal(raw, &want) != nil {
				if err == nil {
					t.Fatalf("accepted a non-array items member: %s", body)
				}
				return
			}
		}
		if err != nil {
			t.Fatalf("refused a valid object: %v: %s", err, body)
		}
		if len(got) != len(want) {
			t.Fatalf("%d items, encoding/json finds %d: %s", len(got), len(want), body)
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("item %d = %s, encoding/json says %s", i, got[i], want[i])
			}
		}
	})
}
