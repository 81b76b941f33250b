package index_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// TestMatchingLikeTheIndex: the queries Pending.Search matches record by
// record (keyword fields, words, phrases, regexps and their combinations)
// select exactly what a memory index of the same records selects, in the
// same order, and Collect reads nothing when the query matches nothing.
func TestMatchingLikeTheIndex(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 31, Jobs: 100})
	dir := archivetest.Dir(t)
	syncOnce(t, dir, emu)
	must := func(q index.Query, err error) index.Query {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	failed := index.Keyword(index.FieldEvent, "launch_failed")
	tests := []struct {
		name string
		q    index.Query
	}{
		{"event", failed},
		{"statuses", index.Keyword(index.FieldStatus, "COMPLETED", "failed")},
		{"type", index.Keyword(index.FieldType, "LAUNCH")},
		{"word", must(index.Words(index.FieldText, "Capacity"))},
		{"word of a keyword field", must(index.Words(index.FieldEvent, "Launch_Failed"))},
		{"phrase", must(index.Phrase(index.FieldText, "request limit exceeded"))},
		{"phrase with common words", must(index.Phrase(index.FieldText, "the launch was not retried"))},
		{"phrase out of order", must(index.Phrase(index.FieldText, "exceeded limit request"))},
		{"regexp", index.Regexp(index.FieldText, "capac.*")},
		{"regexp of a keyword field", index.Regexp(index.FieldEvent, "launch_(failed|end)")},
		{"and", index.And(failed, must(index.Words(index.FieldText, "subnet")))},
		{"or", index.Or(failed, index.Regexp(index.FieldText, "kms"))},
		{"not", index.Not(failed)},
	}
	st := archivetest.Open(t, dir)
	defer st.Close()
	selected := 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !index.Matches(tc.q) {
				t.Fatal("the query is not matched record by record: the test proves nothing")
			}
			var byRecord, byMemory []index.Ref
			err := st.View(func(r *archive.Reader) error {
				var err error
				if byRecord, err = index.SearchSnapshot(context.Background(), r, nil, tc.q); err != nil {
					return err
				}
				byMemory, err = index.SearchSnapshot(context.Background(), r, nil, index.ThroughMemory(tc.q))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(byRecord) != fmt.Sprint(byMemory) {
				t.Errorf("record by record: %d records; a memory index: %d, or others", len(byRecord), len(byMemory))
			}
			if len(byMemory) > 0 {
				selected++
			}
		})
	}
	if selected < len(tests)-1 { // a phrase out of order selects nothing
		t.Errorf("only %d of %d queries select anything: the test proves little", selected, len(tests))
	}
	err := st.View(func(r *archive.Reader) error {
		p, err := index.Collect(context.Background(), r, nil, index.None(), nil)
		if err == nil && len(p.Fresh) > 0 {
			err = fmt.Errorf("a query of nothing copied %d records", len(p.Fresh))
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}
