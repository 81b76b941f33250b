package archivetest

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// CLIOutput renders items as the AWS CLI prints a listing of them under
// member: the members its model does not know (the emulator's x-...
// members) left out, numbers with a fraction as Python writes floats,
// indented by four spaces. It stands in for output of commands the
// installed CLI lacks, and makes files CLI-shaped without a CLI. With no
// member, each item is printed whole, one after another, as a loop over a
// get-... command prints the objects it answers with.
func CLIOutput(t testing.TB, member string, items []json.RawMessage) []byte {
	t.Helper()
	var strip func(v any) any
	strip = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if strings.HasPrefix(k, "x-") {
					delete(x, k)
					continue
				}
				x[k] = strip(e)
			}
		case []any:
			for i, e := range x {
				x[i] = strip(e)
			}
		case json.Number:
			if strings.ContainsAny(string(x), ".eE") {
				f, err := x.Float64()
				if err != nil {
					t.Fatal(err)
				}
				return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
			}
		}
		return v
	}
	list := []any{}
	for _, it := range items {
		dec := json.NewDecoder(bytes.NewReader(it))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%v: %.200s", err, it)
		}
		list = append(list, strip(v))
	}
	if member == "" {
		// Answers that are the object itself, one after another, as a
		// loop over get-launch-configuration prints them.
		var out []byte
		for _, v := range list {
			b, err := json.MarshalIndent(v, "", "    ")
			if err != nil {
				t.Fatal(err)
			}
			out = append(append(out, b...), '\n')
		}
		return out
	}
	out, err := json.MarshalIndent(map[string]any{member: list}, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}
