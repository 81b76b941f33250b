package index

import (
	"context"
	"slices"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// Lag is how far an index is behind an archive snapshot: the records the
// archive changed after the change-log position the index reflects. A
// sync that committed them and has not updated the index yet leaves a lag;
// the next update (or a query, in memory) indexes them.
type Lag struct {
	// IndexPosition is the change-log position the index reflects, and
	// ArchivePosition the snapshot's.
	IndexPosition, ArchivePosition uint64
	// Records are the records changed after IndexPosition, each once, in
	// change-log order. Entries that left a record's contents as they were
	// (a touch, an anchor) are not counted.
	Records []Ref
}

// Ahead reports whether the index is beyond the archive (another
// archive's, or one restored from an older copy): it must be rebuilt.
func (l Lag) Ahead() bool { return l.IndexPosition > l.ArchivePosition }

// Changes is the number of commits the index has not reached.
func (l Lag) Changes() uint64 {
	if l.Ahead() {
		return 0
	}
	return l.ArchivePosition - l.IndexPosition
}

// Lag computes how far x is behind the archive snapshot r.
func (x *Index) Lag(r *archive.Reader) (Lag, error) {
	var l Lag
	var err error
	if l.IndexPosition, err = x.Position(); err != nil {
		return l, err
	}
	if l.ArchivePosition, err = r.Position(); err != nil {
		return l, err
	}
	if l.Ahead() {
		return l, nil
	}
	seen := map[Ref]bool{}
	err = r.MutationsSince(l.IndexPosition, func(_ uint64, muts []archive.Mutation) error {
		for _, m := range muts {
			if m.Op == archive.OpTouch || m.Op == archive.OpAnchor {
				continue // the record's contents did not change
			}
			ref := Ref{m.Kind, m.Key}
			if !seen[ref] {
				seen[ref] = true
				l.Records = append(l.Records, ref)
			}
		}
		return nil
	})
	return l, err
}

// SearchSnapshot answers q as of the archive snapshot r: from x for the
// records it has reached, and from an index in memory of those it has not
// (every record when x is nil), so that the answer reflects everything
// committed. Hits from x come first, in document ID order, then those from
// memory.
func SearchSnapshot(ctx context.Context, r *archive.Reader, x *Index, q Query) ([]Ref, error) {
	var fresh []archive.Record
	var out []Ref
	if x == nil {
		for _, k := range kinds.Names() {
			if err := r.Each(k, func(rec archive.Record) error { fresh = append(fresh, rec); return nil }); err != nil {
				return nil, err
			}
		}
	} else {
		lag, err := x.Lag(r)
		if err != nil {
			return nil, err
		}
		// The index's documents of records changed since its position may
		// be stale: those records are answered from memory instead.
		stale := map[archive.Key]bool{}
		for _, ref := range lag.Records {
			stale[ref.Key] = true
		}
		for _, ref := range lag.Records {
			rec, ok, err := r.Get(ref.Kind, ref.Key)
			if err != nil {
				return nil, err
			}
			if ok {
				fresh = append(fresh, rec)
			}
		}
		hits, err := x.Search(ctx, q)
		if err != nil {
			return nil, err
		}
		out = slices.DeleteFunc(hits, func(h Ref) bool { return stale[h.Key] })
	}
	if len(fresh) == 0 {
		return out, nil
	}
	mem, err := NewMemory()
	if err != nil {
		return nil, err
	}
	defer mem.Close()
	if err := mem.Add(fresh); err != nil {
		return nil, err
	}
	hits, err := mem.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	return append(out, hits...), nil
}
