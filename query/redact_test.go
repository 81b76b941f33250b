package query_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/archiver-dev/archiver/query"
)

func TestRedactTags(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"jobID":"j","tags":{"owner":"alice","cost-center":"cc-1"}}`, `{"jobID":"j","tags":{"owner":"REDACTED","cost-center":"REDACTED"}}`},
		{`{"a":[{"tags": {"k" : "v"} }, 1], "tags" : ["x"], "b":"tags"}`, `{"a":[{"tags": {"k" : "REDACTED"} }, 1], "tags" : "REDACTED", "b":"tags"}`},
		{`{"tags":{}}`, `{"tags":{}}`},
		{`{"tags":null,"x":{"tags":{"a":{"b":1}}}}`, `{"tags":"REDACTED","x":{"tags":{"a":"REDACTED"}}}`},
		{`{"notags":{"k":"v"},"s":"\"tags\""}`, `{"notags":{"k":"v"},"s":"\"tags\""}`},
		{`{"tags":{"k":"v"}`, `{"tags":{"k":"v"}`}, // not JSON: untouched
	}
	for _, tt := range tests {
		if got := string(query.RedactTags([]byte(tt.in))); got != tt.want {
			t.Errorf("RedactTags(%s)\n = %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

// redactModel is what RedactTags must do, on decoded values.
func redactModel(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, vv := range x {
			if k != "tags" {
				out[k] = redactModel(vv)
				continue
			}
			if tags, ok := vv.(map[string]any); ok {
				red := map[string]any{}
				for tk := range tags {
					red[tk] = "REDACTED"
				}
				out[k] = red
			} else {
				out[k] = "REDACTED"
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, vv := range x {
			out[i] = redactModel(vv)
		}
		return out
	}
	return v
}

func FuzzRedactTags(f *testing.F) {
	f.Add(`{"tags":{"a":"b"},"x":[{"tags":[1,2]}]}`)
	f.Add(`[{"tags" : { "k\"" : "v" }}, "tags"]`)
	f.Fuzz(func(t *testing.T, in string) {
		got := query.RedactTags([]byte(in))
		var v any
		if json.Unmarshal([]byte(in), &v) != nil {
			if string(got) != in {
				t.Fatalf("changed invalid JSON %q into %q", in, got)
			}
			return
		}
		var gv any
		if err := json.Unmarshal(got, &gv); err != nil {
			t.Fatalf("RedactTags(%q) = %q, not JSON: %v", in, got, err)
		}
		if !reflect.DeepEqual(gv, redactModel(v)) {
			t.Fatalf("RedactTags(%q) = %q", in, got)
		}
	})
}
