package index

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// segmentsOf returns the number of segments of x's index on disk.
func segmentsOf(t *testing.T, x *Index) uint64 {
	t.Helper()
	adv, err := x.bi.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	n, ok := adv.(*scorch.Scorch).StatsMap()["TotFileSegmentsAtRoot"].(uint64)
	if !ok {
		t.Fatal("scorch reports no segment count")
	}
	return n
}

// holdMerges keeps scorch's background merger of an index opened with the
// event callback holdMergesEvents from merging while it is set.
var holdMerges atomic.Bool

const holdMergesEvents = "archiverTestHoldMerges"

func init() {
	scorch.RegistryEventCallbacks[holdMergesEvents] = func(e scorch.Event) bool {
		return e.Kind != scorch.EventKindPreMergeCheck || !holdMerges.Load()
	}
}

// TestCloseMergesManySegments: a writer left with many small segments (as
// the steps of a sync leave when the merger has no time to merge them)
// merges them when it closes, and the index still finds every document.
func TestCloseMergesManySegments(t *testing.T) {
	dir := t.TempDir()
	x, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := x.path
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := writerConfig()
	cfg["eventCallbackName"] = holdMergesEvents
	holdMerges.Store(true)
	defer holdMerges.Store(false)
	bi, err := bleve.OpenUsing(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	x = &Index{bi: bi, path: path, lazy: true}
	const batches, per = 3 * mergeAbove, 20
	for b := 0; b < batches; b++ {
		var recs []archive.Record
		for i := 0; i < per; i++ {
			rec := archive.Record{Kind: kinds.DRSJobLogItem, JobID: fmt.Sprintf("drsjob-%d", b), Data: []byte(`{"event":"JOB_START"}`)}
			rec.Key[0], rec.Key[1] = byte(b), byte(i)
			recs = append(recs, rec)
		}
		if err := x.Add(recs); err != nil {
			t.Fatal(err)
		}
		// Written batch by batch: the persister merges the in-memory
		// segments it finds waiting together.
		if err := x.persist(); err != nil {
			t.Fatal(err)
		}
	}
	if n := segmentsOf(t, x); n <= mergeAbove {
		t.Fatalf("%d segments before closing: the test proves nothing", n)
	}
	holdMerges.Store(false)
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	x, err = Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if n := segmentsOf(t, x); n > mergeAbove {
		t.Errorf("%d segments after closing, want at most %d", n, mergeAbove)
	}
	for _, tc := range []struct {
		q    Query
		want int
	}{
		{All(), batches * per},
		{Keyword(FieldEvent, "job_start"), batches * per},
		{Keyword(FieldJobID, "drsjob-7"), per},
	} {
		refs, err := x.Search(context.Background(), nil, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) != tc.want {
			t.Errorf("%+v finds %d documents, want %d", tc.q, len(refs), tc.want)
		}
	}
}
