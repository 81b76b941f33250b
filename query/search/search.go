// Package search is the full-text side of a query: the --text language,
// and the answers to the filters that take the full-text index (text,
// server IDs, events, statuses, DRS job kinds), from the index for the
// records it has reached and from copies of the others, matched in
// memory, so that an answer reflects everything committed. Package query
// answers every other filter from the archive alone and takes this
// package's Searcher for these; it links nothing of the index itself.
package search

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/query"
)

// Using returns the Searcher of the full-text index x. With x nil (no
// usable index) every record is copied and matched in memory.
func Using(x *index.Index) query.Searcher { return searcher{x} }

type searcher struct{ x *index.Index }

var _ query.Searcher = searcher{}

func (searcher) CheckText(text string) error { return CheckText(text) }

func (searcher) Terms(text string) []string { return textTerms(text) }

// Search collects from the snapshot r the index's hits for f and a copy
// of each record the index has not reached (see index.Collect and
// index.CollectFirst).
func (s searcher) Search(ctx context.Context, r *archive.Reader, f query.Filters, keep func(archive.Kind, archive.Key) bool, first *query.Range) (query.Found, error) {
	q, err := indexQuery(f)
	if err != nil {
		return query.Found{}, err
	}
	var pend *index.Pending
	if first != nil {
		pend, err = index.CollectFirst(ctx, r, s.x, q, keep, index.Span{From: first.From, To: first.To})
	} else {
		pend, err = index.Collect(ctx, r, s.x, q, keep)
	}
	if err != nil {
		return query.Found{}, err
	}
	var out query.Found
	for _, h := range pend.Hits {
		out.Hits = append(out.Hits, query.Hit{Kind: h.Kind, Key: h.Key})
	}
	if pend.Stream != nil {
		out.Stream = stream{pend.Stream}
	}
	pend.Hits, pend.Stream = nil, nil
	if len(pend.Fresh)+len(pend.Whole) > 0 {
		out.Pending = &pending{p: pend, q: q}
	}
	return out, nil
}

// stream gives the hits of an index.Stream.
type stream struct{ s *index.Stream }

func (s stream) Next(ctx context.Context, want int) ([]query.Hit, error) {
	refs, err := s.s.Next(ctx, want)
	if refs == nil || err != nil {
		return nil, err
	}
	hits := make([]query.Hit, len(refs))
	for i, r := range refs {
		hits[i] = query.Hit{Kind: r.Kind, Key: r.Key}
	}
	return hits, nil
}

// pending matches the copies an index.Pending holds against q.
type pending struct {
	p *index.Pending
	q index.Query
}

func (p *pending) Keep(keep func(rec *archive.Record) bool) {
	kept := func(recs []archive.Record) []archive.Record {
		out := recs[:0]
		for _, rec := range recs {
			if keep(&rec) {
				out = append(out, rec)
			}
		}
		return out
	}
	p.p.Fresh, p.p.Whole = kept(p.p.Fresh), kept(p.p.Whole)
}

func (p *pending) Indexing() int {
	if !p.p.Indexes(p.q) {
		return 0
	}
	return len(p.p.Fresh)
}

// Match returns the matched copies, those the index has not reached
// first, then the log items of job documents matched whole.
func (p *pending) Match(ctx context.Context) ([]archive.Record, error) {
	refs, err := p.p.Search(ctx, p.q)
	if err != nil {
		return nil, err
	}
	matched := make(map[archive.Key]bool, len(refs))
	for _, r := range refs {
		matched[r.Key] = true
	}
	var out []archive.Record
	for _, rec := range slices.Concat(p.p.Fresh, p.p.Whole) {
		if matched[rec.Key] {
			out = append(out, rec)
		}
	}
	return out, nil
}

// indexQuery builds the index query of f.
func indexQuery(f query.Filters) (index.Query, error) {
	// Kind and time are not in the index: they are in every document's ID,
	// and the query checks them.
	var parts []index.Query
	anyOf := func(field string, values []string) {
		if len(values) > 0 {
			parts = append(parts, index.Keyword(field, values...))
		}
	}
	anyOf(index.FieldJobID, f.JobIDs)
	anyOf(index.FieldServerID, f.ServerIDs)
	anyOf(index.FieldEvent, f.Events)
	anyOf(index.FieldStatus, f.Statuses)
	anyOf(index.FieldInitiatedBy, f.InitiatedBy)
	anyOf(index.FieldType, f.Types)
	if strings.TrimSpace(f.Text) != "" {
		q, err := TextQuery(f.Text)
		if err != nil {
			return index.Query{}, err
		}
		parts = append(parts, q)
	}
	return index.And(parts...), nil
}

// Open opens the full-text side of a query with filters f of the archive
// in dir, for query.Options.OpenSearch: the index for reading, without
// waiting for a running sync that is updating it (a first sync builds the
// whole index at its end). When that sync holds it past indexWait, or
// there is no usable index, it says so through say and the query searches
// the archive record by record. close closes the index.
func Open(f query.Filters, dir string, say func(string)) (s query.Searcher, close func() error, err error) {
	x, err := index.Open(dir, index.Options{ReadOnly: true, LockTimeout: indexWait})
	switch {
	case errors.Is(err, archive.ErrLocked):
		say("a running sync is updating the full-text index: searching the archive record by record instead of waiting")
		x = nil
	case errors.Is(err, index.ErrNoIndex), errors.Is(err, index.ErrOldIndex):
		say("no usable full-text index: searching the archive record by record ('archiver reindex' builds the index)")
		x = nil
	case err != nil:
		return nil, nil, fmt.Errorf("%w (run 'archiver reindex')", err)
	}
	return Using(x), func() error { return closeIndex(x) }, nil
}

// indexWait is how long a query waits for a sync that is updating the
// full-text index before it answers from the archive instead.
const indexWait = 300 * time.Millisecond

func closeIndex(x *index.Index) error {
	if x == nil {
		return nil
	}
	return x.Close()
}

// openFor opens the full-text index of the archive in dir for reading
// when the filters need it (nil otherwise), waiting up to timeout for a
// sync that is updating it. With no index, or one of another layout, it
// returns nil, says so through warn, and the query searches the archive
// record by record; say tells of a wait for the lock.
func openFor(f query.Filters, dir string, timeout time.Duration, say, warn func(string)) (*index.Index, error) {
	if !f.NeedsIndex() {
		return nil, nil
	}
	x, err := openIndex(dir, timeout, say)
	switch {
	case errors.Is(err, index.ErrNoIndex), errors.Is(err, index.ErrOldIndex):
		warn("no usable full-text index: searching the archive record by record ('archiver reindex' builds the index)")
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("%w (run 'archiver reindex')", err)
	}
	return x, nil
}

// openIndex opens the full-text index for reading. A sync updating it holds
// it for a moment; the wait is said if it lasts.
func openIndex(dir string, timeout time.Duration, say func(string)) (*index.Index, error) {
	first := min(500*time.Millisecond, timeout)
	x, err := index.Open(dir, index.Options{ReadOnly: true, LockTimeout: first})
	if err == nil || !errors.Is(err, archive.ErrLocked) || first == timeout {
		return x, err
	}
	say("waiting for a running sync to finish updating the full-text index")
	return index.Open(dir, index.Options{ReadOnly: true, LockTimeout: timeout})
}

// SelectKeys returns the key selection of an export filtered by f: it runs
// the filters against the archive (and its index, when they need it) and
// returns the keys of the records they select. Waits for the index lock are
// told on stderr.
func SelectKeys(f query.Filters, dir string, lockTimeout time.Duration, stderr io.Writer) func(context.Context, *archive.Store) (map[archive.Key]bool, error) {
	return func(ctx context.Context, st *archive.Store) (map[archive.Key]bool, error) {
		say := func(msg string) { fmt.Fprintf(stderr, "archiver: %s\n", msg) }
		x, err := openFor(f, dir, lockTimeout, say, func(string) {})
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		defer closeIndex(x)
		keys := map[archive.Key]bool{}
		err = st.View(func(r *archive.Reader) error {
			_, err := query.Run(ctx, query.Source{Archive: r, Search: Using(x)}, query.Request{Filters: f}, func(rec archive.Record, _ []string) error {
				keys[rec.Key] = true
				return nil
			})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		return keys, nil
	}
}
