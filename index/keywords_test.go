package index

import (
	"fmt"
	"testing"
)

// TestTermCache checks that a batcher's keyword terms are made once, shared
// by the documents that have them, lower-cased with their field's prefix,
// and that a full cache starts again empty rather than growing.
func TestTermCache(t *testing.T) {
	c := termCache{}
	prefix, _ := keywordPrefix(FieldEvent)
	a, b := &keywordField{}, &keywordField{}
	a.add(c, prefix, "LAUNCH_FAILED")
	b.add(c, prefix, "LAUNCH_FAILED")
	b.add(c, prefix, "LAUNCH_FAILED")
	want := prefix + "launch_failed"
	ta, tb := a.freqs[want], b.freqs[want]
	if ta == nil || tb == nil || string(ta.Term) != want {
		t.Fatalf("documents hold %v and %v, want the term %q", a.freqs, b.freqs, want)
	}
	if ta != tb {
		t.Error("two documents with the same value got two terms, not one shared")
	}
	if b.n != 1 || b.size != len(want) {
		t.Errorf("a value added twice counts %d terms of %d bytes, want 1 of %d", b.n, b.size, len(want))
	}
	for i := range termCacheMax {
		c.term(prefix, fmt.Sprint(i))
	}
	if len(c) > termCacheMax {
		t.Fatalf("cache holds %d terms, more than %d", len(c), termCacheMax)
	}
	if _, ok := c[termKey{prefix, "LAUNCH_FAILED"}]; ok {
		t.Error("a full cache kept its old terms")
	}
}

func TestIsKeywordValue(t *testing.T) {
	for _, tc := range []struct {
		t, v string
		want bool
	}{
		{"job_start", "JOB_START", true},
		{"job_start", "job_start", true},
		{"job_start", "JOB_END", false},
		{"job_start", "JOB_STARX", false},
		{"", "", true},
		{"straße", "STRAẞE", KeywordValue("STRAẞE") == "straße"},
		{"é", "É", true},
	} {
		if got := isKeywordValue(tc.t, tc.v); got != tc.want {
			t.Errorf("isKeywordValue(%q, %q) = %v", tc.t, tc.v, got)
		}
	}
}
