package kinds

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzHeadOf: the head of any bytes never panics; for a JSON object, the ID
// and ARN are those encoding/json reads into a struct field of the
// member's name.
func FuzzHeadOf(f *testing.F) {
	for _, s := range []string{
		`{"jobID":"drsjob-1","arn":"arn:aws:drs:us-east-1:123456789012:job/drsjob-1","creationDateTime":"2026-01-02T03:04:05Z"}`,
		`{"JOBID":"x","jobID":"y"}`, `{"jobid":"a\u0062c"}`, `{"jobID":1}`, `{"a":{"jobID":"inner"},"jobID":"outer"}`,
		`{"JobId":"JID1","CreationDate":1480475524.335}`, `[]`, `{`, `{"jobID":"`, ``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, spec := range All() {
			h, err := spec.HeadOf([]byte(s))
			if !json.Valid([]byte(s)) || !strings.HasPrefix(strings.TrimSpace(s), "{") {
				continue
			}
			var want struct{ ID, ARN string }
			if spec.IDMember != "" {
				want.ID = refString(s, spec.IDMember)
			}
			if spec.ARNMember != "" {
				want.ARN = refString(s, spec.ARNMember)
			}
			if spec.IDMember != "" && want.ID == "" {
				if err == nil {
					t.Fatalf("%s: HeadOf(%q) has ID %q, want an error", spec.Kind, s, h.ID)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: HeadOf(%q): %v", spec.Kind, s, err)
			}
			if h.ID != want.ID || h.ARN != want.ARN {
				t.Fatalf("%s: HeadOf(%q) = ID %q ARN %q, want %q %q", spec.Kind, s, h.ID, h.ARN, want.ID, want.ARN)
			}
		}
	})
}

// refString reads the string member name of the JSON object s as
// encoding/json fills a struct field of that name, for comparison.
func refString(s, name string) string {
	typ := reflect.StructOf([]reflect.StructField{{Name: "V", Type: reflect.TypeOf(json.RawMessage{}), Tag: reflect.StructTag(`json:"` + name + `"`)}})
	v := reflect.New(typ)
	if json.Unmarshal([]byte(s), v.Interface()) != nil {
		return ""
	}
	var out string
	if json.Unmarshal(v.Elem().Field(0).Bytes(), &out) != nil {
		return ""
	}
	return out
}
