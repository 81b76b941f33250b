package index

import (
	"context"
	"slices"
	"strings"

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
// records it has reached, and from those it has not (every record when x
// is nil), so that the answer reflects everything committed. Hits from x
// come first, in document ID order, then the others, in document ID order.
//
// It holds r for the whole search; a caller that must release the
// snapshot early uses Collect, then Pending.Search once it has let go.
func SearchSnapshot(ctx context.Context, r *archive.Reader, x *Index, q Query) ([]Ref, error) {
	p, err := Collect(ctx, r, x, q, nil)
	if err != nil {
		return nil, err
	}
	hits, err := p.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	return append(p.Hits, hits...), nil
}

// Pending is what Collect copies of an archive snapshot to answer a query:
// the hits of the index for the records it has reached, and a copy of each
// record it has not. Nothing in it refers to the snapshot, which may be
// released before Search.
type Pending struct {
	// Hits are the index's hits, in document ID order, without the
	// records changed after its position (their documents may be stale).
	Hits []Ref
	// Fresh are the records the index has not reached, as of the snapshot.
	Fresh []archive.Record
	// Whole are log items of the job documents the index matched that it
	// cannot answer for one by one (a query with a NOT inside): copies, to
	// be matched whole by Search, as Fresh are.
	Whole []archive.Record
	// Stream, set by CollectFirst in place of Hits, gives the index's
	// hits oldest first. It reads the snapshot: it is for use before the
	// snapshot is released, and refers to it.
	Stream *Stream
}

// Collect reads from the snapshot r what answering q takes: the hits of x
// for the records it has reached, and a copy of every record it has not
// (every record when x is nil) for which keep, when not nil, is true. It
// builds nothing: the records are matched by Pending.Search, after the
// caller has released r. keep sees only the kind and key, so that records
// the caller would drop anyway (another kind, another time) are not read.
func Collect(ctx context.Context, r *archive.Reader, x *Index, q Query, keep func(archive.Kind, archive.Key) bool) (*Pending, error) {
	return collect(ctx, r, x, q, keep, nil)
}

// CollectFirst is Collect for a caller that wants the records q matches
// within span, in key order, or the first of them: the hits of x are left
// to Pending.Stream, which finds them oldest first, reads little outside
// span and stops where the caller does, and Hits is empty. For a query a Stream cannot answer (one with a
// NOT inside, or a fuzzy word) it is Collect.
func CollectFirst(ctx context.Context, r *archive.Reader, x *Index, q Query, keep func(archive.Kind, archive.Key) bool, span Span) (*Pending, error) {
	return collect(ctx, r, x, q, keep, &span)
}

func collect(ctx context.Context, r *archive.Reader, x *Index, q Query, keep func(archive.Kind, archive.Key) bool, span *Span) (*Pending, error) {
	p := &Pending{}
	if q.reach == reachNone {
		return p, nil
	}
	wanted := func(kind archive.Kind, k archive.Key) bool { return keep == nil || keep(kind, k) }
	if x == nil {
		for _, kind := range kinds.Names() {
			err := r.EachKey(kind, func(k archive.Key, decode func() (archive.Record, error)) error {
				if !wanted(kind, k) {
					return nil
				}
				rec, err := decode()
				if err != nil {
					return err
				}
				p.Fresh = append(p.Fresh, rec)
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		return p, nil
	}
	lag, err := x.Lag(r)
	if err != nil {
		return nil, err
	}
	// The index's documents of records changed since its position may
	// be stale: those records are answered from their copies instead.
	stale := map[archive.Key]bool{}
	for _, ref := range lag.Records {
		stale[ref.Key] = true
	}
	for _, ref := range lag.Records {
		if !wanted(ref.Kind, ref.Key) {
			continue
		}
		rec, ok, err := r.Get(ref.Kind, ref.Key)
		if err != nil {
			return nil, err
		}
		if ok {
			p.Fresh = append(p.Fresh, rec)
		}
	}
	if span != nil && q.streams() {
		p.Stream = &Stream{x: x, r: r, q: q, span: *span, keep: func(kind archive.Kind, k archive.Key) bool {
			return !stale[k] && wanted(kind, k)
		}}
		return p, nil
	}
	hits, whole, err := x.search(ctx, r, q)
	if err != nil {
		return nil, err
	}
	p.Hits = slices.DeleteFunc(hits, func(h Ref) bool { return stale[h.Key] })
	for _, k := range whole {
		if stale[k] || !wanted(logKind, k) {
			continue // fresh, or dropped anyway
		}
		rec, ok, err := r.Get(logKind, k)
		if err != nil {
			return nil, err
		}
		if ok {
			p.Whole = append(p.Whole, rec)
		}
	}
	return p, nil
}

// Indexes says whether Search answers q by indexing the fresh records in
// memory (a fuzzy query) rather than matching them one by one (keyword
// fields, words, phrases and regexps, which is far cheaper).
func (p *Pending) Indexes(q Query) bool {
	return q.reach == reachSome && q.match == nil && len(p.Fresh)+len(p.Whole) > 0
}

// records returns the records Search matches: Fresh, then Whole.
func (p *Pending) records() []archive.Record {
	if len(p.Whole) == 0 {
		return p.Fresh
	}
	return append(slices.Clip(p.Fresh), p.Whole...)
}

// Search returns the records of Fresh and Whole that q matches, in
// document ID order. It reads nothing from the archive: call it after
// releasing the snapshot. Queries of keyword fields, words, phrases and
// regexps are matched against each record's document; others (fuzzy
// words) are answered from a memory index of the records.
func (p *Pending) Search(ctx context.Context, q Query) ([]Ref, error) {
	recs := p.records()
	if len(recs) == 0 || q.reach == reachNone {
		return nil, nil
	}
	if q.reach == reachAll || q.match != nil {
		return scanRecords(ctx, recs, q)
	}
	mem, err := NewMemory()
	if err != nil {
		return nil, err
	}
	defer mem.Close()
	if err := mem.Add(recs); err != nil {
		return nil, err
	}
	return mem.Search(ctx, nil, q)
}

// scanRecords matches the document of each of recs against q, which has a
// matcher or matches everything.
func scanRecords(ctx context.Context, recs []archive.Record, q Query) ([]Ref, error) {
	type found struct {
		id  string
		ref Ref
	}
	var out []found
	for i, rec := range recs {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		// Every record is made a document, as a memory index would.
		d, err := NewDocument(rec)
		if err != nil {
			return nil, err
		}
		if q.reach != reachAll && !q.match(&matchDoc{doc: d}) {
			continue
		}
		out = append(out, found{DocID(rec.Kind, rec.Key), Ref{rec.Kind, rec.Key}})
	}
	slices.SortFunc(out, func(a, b found) int { return strings.Compare(a.id, b.id) })
	refs := make([]Ref, len(out))
	for i, f := range out {
		refs[i] = f.ref
	}
	return refs, nil
}
