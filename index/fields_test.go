package index_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/index"
)

// TestDocumentFields: Document's members are named (their JSON names, which
// the mapping indexes) as index.Fields declares, one member a field.
func TestDocumentFields(t *testing.T) {
	var tags []string
	typ := reflect.TypeOf(index.Document{})
	for i := 0; i < typ.NumField(); i++ {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		tags = append(tags, name)
	}
	want := index.FieldNames()
	if len(want) == 0 {
		t.Fatal("no fields; the test proves nothing")
	}
	slices.Sort(tags)
	slices.Sort(want)
	if !slices.Equal(tags, want) {
		t.Errorf("Document's JSON names %v, index.Fields %v", tags, want)
	}
}

// TestLookupField: field names ignore case; unknown names are refused.
func TestLookupField(t *testing.T) {
	tests := []struct {
		name, want string
		match      index.Matching
		ok         bool
	}{
		{"event", index.FieldEvent, index.MatchKeyword, true},
		{"SERVERID", index.FieldServerID, index.MatchKeyword, true},
		{"Text", index.FieldText, index.MatchText, true},
		{"region", "", 0, false},
		{"", "", 0, false},
	}
	for _, tt := range tests {
		f, ok := index.LookupField(tt.name)
		if ok != tt.ok || f.Name != tt.want || (ok && f.Match != tt.match) {
			t.Errorf("LookupField(%q) = %+v, %v; want %q, %v", tt.name, f, ok, tt.want, tt.ok)
		}
	}
}
