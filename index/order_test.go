package index_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// TestStreamGivesMatchesOldestFirst: a Stream gives the records a query
// matches in key order, a stretch of time at a time, each once, the same
// records Search gives; so it does whether it reads the longest stretches
// whole or walks down to the shortest, whether it is asked for all or
// for pages, and for jobs whose logs run over the end of a stretch. Within
// a span it gives every match of the span.
func TestStreamGivesMatchesOldestFirst(t *testing.T) {
	_, dir, f := syncedJobs(t, emulator.Options{Seed: 73, Jobs: 120})
	queries := f.queries(t)

	st, x, done := openBoth(t, dir)
	defer done()
	ctx := context.Background()
	err := st.View(func(r *archive.Reader) error {
		// Logs that run over the end of a shortest stretch, and the
		// times of the items, for spans.
		over := 0
		var times []time.Time
		err := r.EachJobKeys(func(_ archive.JobRef, keys []archive.Key) error {
			if index.ShortestStretch(keys[0]) != index.ShortestStretch(keys[len(keys)-1]) {
				over++
			}
			for _, k := range keys {
				times = append(times, k.Time())
			}
			return nil
		})
		if err != nil {
			return err
		}
		if over == 0 {
			return fmt.Errorf("no log runs over the end of a stretch: the test proves little")
		}
		slices.SortFunc(times, time.Time.Compare)
		spans := []index.Span{
			{},
			{From: times[len(times)/3], To: times[2*len(times)/3]},
			{From: times[len(times)/2]},
			{To: times[len(times)/4]},
		}
		streamed := 0
		for _, tc := range queries {
			refs, err := x.Search(ctx, r, tc.q)
			if err != nil {
				return err
			}
			slices.SortFunc(refs, func(a, b index.Ref) int { return bytes.Compare(a.Key[:], b.Key[:]) })
			for si, span := range spans {
				want := inSpan(refs, span)
				for _, minRead := range []int{1, 1 << 20} {
					for _, page := range []int{0, 1, 6, 1000} {
						restore := index.SetMinStretchRead(minRead)
						got, ok, err := drain(ctx, r, x, tc.q, span, page)
						restore()
						if err != nil {
							return err
						}
						if !ok {
							continue // not a query a Stream answers
						}
						streamed++
						what := fmt.Sprintf("%s, span %d, stretches read at %d matches, pages of %d", tc.name, si, minRead, page)
						if !slices.Equal(inSpan(got, span), want) {
							t.Errorf("%s: the stream gives %d records, Search %d", what, len(inSpan(got, span)), len(want))
						}
					}
				}
			}
		}
		if streamed < 6*len(spans) {
			t.Errorf("only %d streams: the test proves little", streamed)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// drain returns what a Stream of q within span gives, each batch asked
// for with page records wanted (0: all), and false if q is not answered by one. It
// fails the test if a batch is empty or not later than the one before.
func drain(ctx context.Context, r *archive.Reader, x *index.Index, q index.Query, span index.Span, page int) ([]index.Ref, bool, error) {
	p, err := index.CollectFirst(ctx, r, x, q, nil, span)
	if err != nil || p.Stream == nil {
		return nil, false, err
	}
	var out []index.Ref
	for {
		refs, err := p.Stream.Next(ctx, page)
		if err != nil {
			return nil, true, err
		}
		if refs == nil {
			return out, true, nil
		}
		if len(refs) == 0 {
			return nil, true, fmt.Errorf("an empty batch that is not the end")
		}
		if !slices.IsSortedFunc(refs, func(a, b index.Ref) int { return bytes.Compare(a.Key[:], b.Key[:]) }) {
			return nil, true, fmt.Errorf("a batch out of key order")
		}
		if len(out) > 0 && bytes.Compare(out[len(out)-1].Key[:], refs[0].Key[:]) >= 0 {
			return nil, true, fmt.Errorf("a batch that begins at or before the end of the one before")
		}
		out = append(out, refs...)
	}
}

// inSpan returns the refs whose times span holds.
func inSpan(refs []index.Ref, span index.Span) []index.Ref {
	var out []index.Ref
	for _, ref := range refs {
		at := ref.Key.Time()
		if (span.From.IsZero() || !at.Before(span.From)) && (span.To.IsZero() || !at.After(span.To)) {
			out = append(out, ref)
		}
	}
	return out
}
