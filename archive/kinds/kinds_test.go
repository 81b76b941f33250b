package kinds

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParse checks that Parse accepts exactly the registered kinds and
// explains a refusal on one line.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"drs.job", "drs.jobLogItem", "DRS.JOB", "", "sms.replicationJob ", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := Parse(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("Parse(%q): error is not one line: %q", s, err)
			}
			return
		}
		if string(k) != s || !slices.Contains(Names(), k) {
			t.Fatalf("Parse(%q) = %q", s, k)
		}
	})
}

// TestRegistry checks what every entry must declare.
func TestRegistry(t *testing.T) {
	if len(All()) == 0 {
		t.Fatal("no kinds")
	}
	for _, s := range All() {
		if s.Short == "" || s.Noun == "" || s.Plural == "" || s.Source == "" || s.Operation == "" || s.Summary == nil || s.CLI == "" {
			t.Errorf("%s: incomplete entry %+v", s.Kind, s)
		}
		if Of(s.Kind) != s || ByCode(s.Code) != s {
			t.Errorf("%s: not found by name or code", s.Kind)
		}
		if s.Class != LogItem && s.IDMember == "" {
			t.Errorf("%s: objects without an ID must be log items", s.Kind)
		}
		if !slices.Contains(detectOrder, s) {
			t.Errorf("%s: import cannot detect it", s.Kind)
		}
	}
}
