package index

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2"
	bq "github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/archiver-dev/archiver/archive"
)

// Stretches of time.
//
// A record's key begins with its time (archive.Key), and a query that
// asks for its first records wants them in that order. Matching documents
// come out of bleve in no order of time, and naming the record of each
// costs a read of its stored ID: the first 2,000 of 20,000 matches would
// cost 20,000 reads. So every document of an index on disk also holds the
// terms of the stretches of time its records lie in, at three lengths,
// each a sixteenth of the one before: 2^52 ns (about 52 days), 2^48 ns
// (3.3 days) and 2^44 ns (4.9 hours). A stretch's term is stretchPrefix,
// a letter for its length and the key's first bits in hexadecimal, so the
// terms of one length sort in time order, and those of the stretches
// inside one begin with its hexadecimal digits: `@a5f3` holds `@b5f30` to
// `@b5f3f`. A job document holds the stretches of all its items.
//
// Stream walks the stretches oldest first: it counts a stretch's matches
// (which loads no ID) and reads them if they are few enough for what the
// caller still wants and the stretch lies within the span of time asked
// for, or else walks the shorter stretches inside it.

// stretchPrefix begins the terms of stretches in keywordsField. No term of
// a keyword field (a code and a colon) or of jobDocTerm begins with it.
const stretchPrefix = "@"

// stretchShifts are, for each length of stretch, longest first, the bits
// of the key's time (archive.Key.TimeBits) below it.
var stretchShifts = [...]uint{52, 48, 44}

// stretchTerm is the term of the stretch of length level that holds the
// key time t.
func stretchTerm(level int, t uint64) string {
	shift := stretchShifts[level]
	digits := int(64-shift) / 4
	b := make([]byte, 0, 2+digits)
	b = append(b, stretchPrefix[0], byte('a'+level))
	hex := strconv.FormatUint(t>>shift, 16)
	for range digits - len(hex) {
		b = append(b, '0')
	}
	return string(append(b, hex...))
}

// parseStretch returns the level and the first key time of the stretch
// term s.
func parseStretch(s string) (level int, first uint64, ok bool) {
	if len(s) < 3 || s[0] != stretchPrefix[0] {
		return 0, 0, false
	}
	level = int(s[1] - 'a')
	if level < 0 || level >= len(stretchShifts) || len(s)-2 != int(64-stretchShifts[level])/4 {
		return 0, 0, false
	}
	b, err := strconv.ParseUint(s[2:], 16, 64)
	if err != nil {
		return 0, 0, false
	}
	return level, b << stretchShifts[level], true
}

// stretchCache keeps the terms of the stretches of the last key time met
// at each length: records come mostly in time order.
type stretchCache struct {
	at    [len(stretchShifts)]uint64
	terms [len(stretchShifts)]cachedTerm
}

// each calls fn with the term of each stretch that holds k.
func (c *stretchCache) each(k archive.Key, fn func(cachedTerm)) {
	t := k.TimeBits()
	for level, shift := range stretchShifts {
		if c.terms[level].tf == nil || c.at[level] != t>>shift {
			term := stretchTerm(level, t)
			c.at[level] = t >> shift
			c.terms[level] = cachedTerm{term, &bindex.TokenFreq{Term: []byte(term)}}
		}
		fn(c.terms[level])
	}
}

// Span bounds the times of the records a Stream gives; a zero time leaves
// its side open.
type Span struct{ From, To time.Time }

// overlaps reports whether the stretch of level that begins at key time
// first may hold a time of s.
func (s Span) overlaps(level int, first uint64) bool {
	last := first + (uint64(1)<<stretchShifts[level] - 1)
	if !s.From.IsZero() && last < archive.TimeBits(s.From) {
		return false
	}
	return s.To.IsZero() || first <= archive.TimeBits(s.To)
}

// covers reports whether every time of the stretch of level that begins
// at key time first is in s.
func (s Span) covers(level int, first uint64) bool {
	last := first + (uint64(1)<<stretchShifts[level] - 1)
	return (s.From.IsZero() || first >= archive.TimeBits(s.From)) && (s.To.IsZero() || last <= archive.TimeBits(s.To))
}

// minStretchRead is the fewest matches Stream reads of a stretch at once,
// rather than walk the shorter ones inside it: each stretch costs a count
// and a search.
var minStretchRead = 1024

// Stream gives the records an index on disk matches for a query, oldest
// first, a stretch of time at a time (see Collect). It reads the archive
// snapshot it was made with, for job documents: use it only while that
// snapshot is held.
type Stream struct {
	x    *Index
	r    *archive.Reader
	q    Query
	span Span
	// keep, when not nil, drops the records it is false for.
	keep func(archive.Kind, archive.Key) bool
	// todo holds the stretches left to walk, the next one last.
	todo []string
	// started is set once the longest stretches are listed.
	started bool
}

// streams reports whether q is answered by a Stream: a query with a
// matcher and no NOT inside, so that each item of a job document it
// matches is told by the index alone.
func (q Query) streams() bool { return q.reach == reachSome && q.match != nil && q.pos == nil }

// Next returns the records of the next stretches of time that q matches,
// at least one unless none remain (nil then), in key order, each later
// than every record Next returned before. want is how many more records
// the caller needs at most, or 0 for all of them: it sizes the stretches
// read. A stretch of many matches that runs over an end of the span is
// walked down too, so that the matches outside are not read.
func (s *Stream) Next(ctx context.Context, want int) ([]Ref, error) {
	if !s.started {
		s.started = true
		terms, err := s.x.stretchTerms(stretchPrefix + "a")
		if err != nil {
			return nil, err
		}
		s.todo = reversed(terms)
	}
	for len(s.todo) > 0 {
		term := s.todo[len(s.todo)-1]
		s.todo = s.todo[:len(s.todo)-1]
		level, first, ok := parseStretch(term)
		if !ok || !s.span.overlaps(level, first) {
			continue
		}
		sub := s.q
		sub.q = bleve.NewConjunctionQuery(s.q.q, stretchQuery(term))
		covered := s.span.covers(level, first)
		if level+1 < len(stretchShifts) && (want > 0 || !covered) {
			n, err := s.x.count(ctx, sub.q)
			if err != nil {
				return nil, err
			}
			if n == 0 {
				continue
			}
			if n > uint64(minStretchRead) && (want > 0 && n > uint64(2*want) || !covered) {
				inner, err := s.x.stretchTerms(stretchPrefix + string(rune('a'+level+1)) + term[2:])
				if err != nil {
					return nil, err
				}
				s.todo = append(s.todo, reversed(inner)...)
				continue
			}
		}
		refs, _, err := s.x.search(ctx, s.r, sub)
		if err != nil {
			return nil, err
		}
		// A job document's items may lie in other stretches too: those
		// are given with their own.
		shift := stretchShifts[level]
		refs = slices.DeleteFunc(refs, func(ref Ref) bool {
			return ref.Key.TimeBits()>>shift != first>>shift || s.keep != nil && !s.keep(ref.Kind, ref.Key)
		})
		if len(refs) == 0 {
			continue
		}
		slices.SortFunc(refs, func(a, b Ref) int { return bytes.Compare(a.Key[:], b.Key[:]) })
		return slices.CompactFunc(refs, func(a, b Ref) bool { return a.Key == b.Key }), nil
	}
	return nil, nil
}

func reversed(s []string) []string {
	slices.Reverse(s)
	return s
}

// stretchQuery matches the documents that hold the stretch term.
func stretchQuery(term string) bq.Query {
	t := bleve.NewTermQuery(term)
	t.SetField(keywordsField)
	return t
}

// stretchTerms returns the stretch terms of x that begin with prefix, in
// order.
func (x *Index) stretchTerms(prefix string) ([]string, error) {
	rd, err := x.reader()
	if err != nil {
		return nil, fmt.Errorf("search index: %w", err)
	}
	defer rd.Close()
	dict, err := rd.FieldDictPrefix(keywordsField, []byte(prefix))
	if err != nil {
		return nil, fmt.Errorf("search index: %w", err)
	}
	defer dict.Close()
	var out []string
	for {
		e, err := dict.Next()
		if err != nil {
			return nil, fmt.Errorf("search index: %w", err)
		}
		if e == nil {
			return out, nil
		}
		out = append(out, e.Term)
	}
}

// count returns how many documents q matches, loading none of their IDs.
func (x *Index) count(ctx context.Context, q bq.Query) (uint64, error) {
	req := bleve.NewSearchRequestOptions(q, 0, 0, false)
	req.Score = bleve.ScoreNone
	res, err := x.bi.SearchInContext(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("search index: %w", err)
	}
	return res.Total, nil
}
