package index

import (
	"context"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	bq "github.com/blevesearch/bleve/v2/search/query"
	vellum "github.com/blevesearch/vellum/regexp"

	"github.com/archiver-dev/archiver/archive"
)

// reach says what a Query can match.
type reach int

const (
	reachAll  reach = iota // every document: no condition
	reachSome              // the documents q matches
	reachNone              // nothing: such as a word of no indexed terms
)

// Query is a search of the index, built with Keyword, Words, Phrase,
// Regexp, Wildcard, Fuzzy, And, Or and Not. The zero Query matches every
// document.
//
// A Query knows when it matches everything or nothing and resolves that
// itself: bleve's boolean queries drop clauses that match nothing, turning
// "a AND nothing" into "a", so such clauses never reach bleve.
type Query struct {
	q     bq.Query // reachSome
	reach reach
	// match, when set, tells whether a document matches q without an
	// index: q tests keyword fields alone (see Pending.Search).
	match func(d *matchDoc) bool
	// pos, set for a query with a NOT inside, is q with each NOT taken to
	// match everything: the job documents it matches hold every item q
	// matches (see Search).
	pos *Query
}

// positive returns q with each NOT taken to match everything.
func (q Query) positive() Query {
	if q.pos != nil {
		return *q.pos
	}
	return q
}

// withPositive sets the positive query of out, made of parts by join, if
// any of parts has a NOT inside.
func withPositive(out Query, parts []Query, join func(...Query) Query) Query {
	neg := false
	for _, p := range parts {
		neg = neg || p.pos != nil
	}
	if !neg {
		return out
	}
	ps := make([]Query, len(parts))
	for i, p := range parts {
		ps[i] = p.positive()
	}
	pq := join(ps...)
	out.pos = &pq
	return out
}

// All matches every document.
func All() Query { return Query{reach: reachAll} }

// None matches no document.
func None() Query { return Query{reach: reachNone} }

func some(q bq.Query) Query { return Query{q: q, reach: reachSome} }

// Keyword matches documents whose keyword field holds any of values,
// ignoring case. With no values it matches nothing.
func Keyword(field string, values ...string) Query {
	if len(values) == 0 {
		return None()
	}
	qs := make([]bq.Query, 0, len(values))
	for _, v := range values {
		qs = append(qs, keywordQuery(field, v))
	}
	q := some(bleve.NewDisjunctionQuery(qs...))
	q.match = keywordMatch(field, values...)
	return q
}

// keywordQuery matches the value v of the keyword field named field: its
// term in keywordsField. A name in another case names no field, and
// matches nothing.
func keywordQuery(field, v string) bq.Query {
	prefix, ok := keywordPrefix(field)
	if !ok {
		t := bleve.NewTermQuery(KeywordValue(v))
		t.SetField(field)
		return t
	}
	t := bleve.NewTermQuery(keywordTerm(prefix, v))
	t.SetField(keywordsField)
	return t
}

// Words matches the word w in field: the whole value of a keyword field,
// ignoring case; in a text field, its one term, or the phrase of the terms
// the index splits it into (i-0abc, a_b.c). A word of no indexed terms
// (a common English word) matches nothing.
func Words(field, w string) (Query, error) { return words(field, w, false) }

// Phrase matches the words of s in a row in a text field, or the whole
// value s of a keyword field, ignoring case.
func Phrase(field, s string) (Query, error) { return words(field, s, true) }

func words(field, s string, phrase bool) (Query, error) {
	if f, ok := LookupField(field); ok && f.Match == MatchKeyword {
		q := some(keywordQuery(field, s))
		q.match = keywordMatch(field, s)
		return q, nil
	}
	terms, err := TextTerms(s)
	if err != nil {
		return Query{}, err
	}
	switch {
	case len(terms) == 0:
		return None(), nil
	case len(terms) == 1 && !phrase:
		q := bleve.NewMatchQuery(s)
		q.SetField(field)
		out := some(q)
		if field == FieldText {
			term := terms[0]
			out = some(withSingleTerms(q, terms))
			out.match = func(d *matchDoc) bool { return d.hasTerm(term) }
		}
		return out, nil
	default:
		q := bleve.NewMatchPhraseQuery(s)
		q.SetField(field)
		out := some(q)
		if field == FieldText {
			slots, err := phraseSlots(s)
			if err != nil {
				return Query{}, err
			}
			if len(slots) == 1 {
				// A phrase of one word matches the texts of that word
				// alone too.
				out = some(withSingleTerms(q, slots[0]))
			}
			out.match = func(d *matchDoc) bool { return d.hasPhrase(slots) }
		}
		return out, nil
	}
}

// withSingleTerms returns q, a query of the text field, or the documents
// that hold one of terms in keywordsField as a term of their text (see
// textTermPrefixes).
func withSingleTerms(q bq.Query, terms []string) bq.Query {
	qs := []bq.Query{q}
	for _, t := range terms {
		for _, prefix := range textTermPrefixes {
			tq := bleve.NewTermQuery(prefix + t)
			tq.SetField(keywordsField)
			qs = append(qs, tq)
		}
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// phraseSlots splits s as a phrase query of a text field does: the terms
// of each position from the first term's, and no term where a common word
// was left out.
func phraseSlots(s string) ([][]string, error) {
	a, err := textAnalyzer()
	if err != nil {
		return nil, err
	}
	tokens := a.Analyze([]byte(s))
	if len(tokens) == 0 {
		return nil, nil
	}
	first, last := tokens[0].Position, tokens[0].Position
	for _, t := range tokens {
		first, last = min(first, t.Position), max(last, t.Position)
	}
	slots := make([][]string, last-first+1)
	for _, t := range tokens {
		slots[t.Position-first] = append(slots[t.Position-first], string(t.Term))
	}
	return slots, nil
}

// Regexp matches the terms of field that pattern (Go regexp syntax, see
// CheckRegexp) matches whole.
func Regexp(field, pattern string) Query {
	q := bleve.NewRegexpQuery(pattern)
	q.SetField(field)
	var bquery bq.Query = q
	switch prefix, ok := keywordPrefix(field); {
	case ok:
		q = bleve.NewRegexpQuery(keywordRegexp(prefix, pattern))
		q.SetField(keywordsField)
		bquery = q
	case field == FieldText:
		qs := []bq.Query{q}
		for _, prefix := range textTermPrefixes {
			single := bleve.NewRegexpQuery(keywordRegexp(prefix, pattern))
			single.SetField(keywordsField)
			qs = append(qs, single)
		}
		bquery = bleve.NewDisjunctionQuery(qs...)
	}
	out := some(bquery)
	if re, err := regexp.Compile(`^(?:` + pattern + `)$`); err == nil {
		if f, ok := LookupField(field); ok && f.Name == field {
			out.match = func(d *matchDoc) bool { return d.anyTerm(f, re.MatchString) }
		}
	}
	return out
}

// CheckRegexp checks that Regexp can search with pattern: that it is valid
// Go regexp syntax and that the index's regexp engine takes it.
func CheckRegexp(pattern string) error {
	parsed, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	if _, err := vellum.NewParsedWithLimit(pattern, parsed, vellum.DefaultLimit); err != nil {
		if err == vellum.ErrNoEmpty {
			return fmt.Errorf("%w (such as ^ inside, $, \\A or \\z: a regexp matches whole terms)", err)
		}
		return err
	}
	return nil
}

// Fuzzy matches the terms of field within distance edits (1 or 2) of w,
// ignoring case.
func Fuzzy(field, w string, distance int) Query {
	q := bleve.NewFuzzyQuery(strings.ToLower(w))
	q.SetField(field)
	q.SetFuzziness(distance)
	// The edits between two terms of the same prefix are those between
	// what follows it.
	prefixed := func(prefix string) *bq.FuzzyQuery {
		p := bleve.NewFuzzyQuery(prefix + strings.ToLower(w))
		p.SetPrefix(len(prefix))
		p.SetField(keywordsField)
		p.SetFuzziness(distance)
		return p
	}
	if prefix, ok := keywordPrefix(field); ok {
		return some(prefixed(prefix))
	}
	if field == FieldText {
		qs := []bq.Query{q}
		for _, prefix := range textTermPrefixes {
			qs = append(qs, prefixed(prefix))
		}
		return some(bleve.NewDisjunctionQuery(qs...))
	}
	return some(q)
}

// And matches the documents every one of qs matches; with none, every
// document.
func And(qs ...Query) Query {
	var parts []Query
	for _, q := range qs {
		switch q.reach {
		case reachNone:
			return None()
		case reachSome:
			parts = append(parts, q)
		}
	}
	switch len(parts) {
	case 0:
		return All()
	case 1:
		return parts[0]
	}
	q := some(bleve.NewConjunctionQuery(bleveQueries(parts)...))
	if ms := matchers(parts); ms != nil {
		q.match = func(d *matchDoc) bool {
			for _, m := range ms {
				if !m(d) {
					return false
				}
			}
			return true
		}
	}
	return withPositive(q, parts, And)
}

// Or matches the documents any of qs matches; with none, nothing.
func Or(qs ...Query) Query {
	var parts []Query
	for _, q := range qs {
		switch q.reach {
		case reachAll:
			return All()
		case reachSome:
			parts = append(parts, q)
		}
	}
	switch len(parts) {
	case 0:
		return None()
	case 1:
		return parts[0]
	}
	q := some(bleve.NewDisjunctionQuery(bleveQueries(parts)...))
	if ms := matchers(parts); ms != nil {
		q.match = func(d *matchDoc) bool {
			for _, m := range ms {
				if m(d) {
					return true
				}
			}
			return false
		}
	}
	return withPositive(q, parts, Or)
}

// Not matches the documents q does not match.
func Not(q Query) Query {
	switch q.reach {
	case reachNone:
		return All()
	case reachAll:
		return None()
	}
	b := bleve.NewBooleanQuery()
	b.AddMust(bleve.NewMatchAllQuery())
	b.AddMustNot(q.q)
	n := some(b)
	if m := q.match; m != nil {
		n.match = func(d *matchDoc) bool { return !m(d) }
	}
	all := All()
	n.pos = &all
	return n
}

func bleveQueries(qs []Query) []bq.Query {
	out := make([]bq.Query, len(qs))
	for i, q := range qs {
		out[i] = q.q
	}
	return out
}

// matchers returns the matchers of qs, or nil if any has none.
func matchers(qs []Query) []func(*matchDoc) bool {
	out := make([]func(*matchDoc) bool, len(qs))
	for i, q := range qs {
		if q.match == nil {
			return nil
		}
		out[i] = q.match
	}
	return out
}

// keywordMatch tells whether a document's keyword field holds any of
// values, ignoring case, as a term query of the index does; nil for a field
// that is not a keyword field.
func keywordMatch(field string, values ...string) func(*matchDoc) bool {
	f, ok := LookupField(field)
	if !ok || f.Match != MatchKeyword {
		return nil
	}
	if field != f.Name {
		// The index's field names are case-sensitive.
		return func(*matchDoc) bool { return false }
	}
	want := make([]string, len(values))
	for i, v := range values {
		want[i] = KeywordValue(v)
	}
	name := f.Name
	return func(d *matchDoc) bool {
		for _, have := range d.doc.keywords(name) {
			if have != "" && slices.Contains(want, KeywordValue(have)) {
				return true
			}
		}
		return false
	}
}

// Ref names one record: its kind and key.
type Ref struct {
	Kind archive.Kind
	Key  archive.Key
}

// Search returns the records of every document of x that q matches, in
// document ID order. The items of a job document are told by the archive
// snapshot r, which x reflects: its job-log index names them; r may be nil
// for an index of no job documents (a memory one). The items the index
// cannot answer for one by one (see search) are read from r and matched
// here, under r: a caller that must release the snapshot first uses
// Collect.
func (x *Index) Search(ctx context.Context, r *archive.Reader, q Query) ([]Ref, error) {
	hits, whole, err := x.search(ctx, r, q)
	if err != nil || len(whole) == 0 {
		return hits, err
	}
	matched, err := matchWhole(ctx, r, q, whole)
	if err != nil {
		return nil, err
	}
	return mergeRefs(hits, matched), nil
}

// search returns the records of the documents of x that q matches, in
// document ID order, and the keys of the log items of the job documents it
// matches that the index cannot tell item by item: each item of the jobs
// a query with a NOT inside matches, and, for a query of no matcher, those
// at the positions that matched. Those are to be read and matched whole,
// and are not among the records returned.
func (x *Index) search(ctx context.Context, r *archive.Reader, q Query) ([]Ref, []archive.Key, error) {
	var own []Ref
	var jobs []jobHit
	var bad error
	err := x.each(ctx, q, false, func(id string, _ search.FieldTermLocationMap) error {
		if j, ok := parseJobDocID(id); ok {
			jobs = append(jobs, jobHit{job: j})
			return nil
		}
		kind, k, err := ParseDocID(id)
		if err != nil {
			bad = err
			return err
		}
		own = append(own, Ref{kind, k})
		return nil
	})
	if err != nil && bad == nil {
		return nil, nil, fmt.Errorf("search index: %w", err)
	}
	if err != nil {
		return nil, nil, err
	}
	var items []Ref
	var whole []archive.Key
	switch {
	case q.pos != nil:
		// A query with a NOT inside matches a job document when no item
		// of it has what the NOT excludes: its job documents come from
		// its positive part.
		whole, err = x.negativeItems(ctx, r, q)
	case len(jobs) > 0 && q.reach == reachSome:
		// The job documents again, with the locations of what matched
		// (asked for only now: the locations of every match of a word of
		// the text would cost a search of the text dearly).
		jobs = jobs[:0]
		err = x.each(ctx, some(jobDocsQuery(q.q)), true, func(id string, locs search.FieldTermLocationMap) error {
			if j, ok := parseJobDocID(id); ok {
				jobs = append(jobs, jobHit{j, locs[keywordsField]})
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("search index: %w", err)
		}
		items, whole, err = x.jobItems(r, q, jobs)
	default:
		items, whole, err = x.jobItems(r, q, jobs)
	}
	if err != nil {
		return nil, nil, err
	}
	if len(whole) > 0 {
		// An item matched whole is not answered by its own document too.
		drop := make(map[archive.Key]bool, len(whole))
		for _, k := range whole {
			drop[k] = true
		}
		own = slices.DeleteFunc(own, func(ref Ref) bool { return ref.Kind == logKind && drop[ref.Key] })
	}
	if len(items) == 0 {
		return own, whole, nil
	}
	return mergeRefs(own, items), whole, nil
}

// jobHit is a job document q matched, and the locations of the terms that
// matched in it.
type jobHit struct {
	job  archive.JobRef
	locs search.TermLocationMap
}

// jobItems returns the items of the job documents hits that q, a query
// with no NOT inside, matches, and for a query of no matcher the keys of
// the items at the positions that matched, to be matched whole.
func (x *Index) jobItems(r *archive.Reader, q Query, hits []jobHit) ([]Ref, []archive.Key, error) {
	if len(hits) == 0 {
		return nil, nil, nil
	}
	if r == nil {
		return nil, nil, fmt.Errorf("search index: job documents need the archive")
	}
	var out []Ref
	var unsure []archive.Key
	for _, h := range hits {
		keys, err := r.JobKeys(h.job)
		if err != nil {
			return nil, nil, err
		}
		if q.reach == reachAll {
			for _, k := range keys {
				out = append(out, Ref{logKind, k})
			}
			continue
		}
		for pos, d := range itemDocs(h.locs) {
			if pos < 1 || pos > len(keys) {
				continue // the log was cut short after the document was made
			}
			k := keys[pos-1]
			switch {
			case q.match == nil:
				unsure = append(unsure, k)
			case q.match(d):
				out = append(out, Ref{logKind, k})
			}
		}
	}
	return out, unsure, nil
}

// negativeItems returns the keys of the log items that q, a query with a
// NOT inside, may match: each item of the job documents its positive part
// matches, to be matched whole.
func (x *Index) negativeItems(ctx context.Context, r *archive.Reader, q Query) ([]archive.Key, error) {
	p := q.positive()
	var keys []archive.Key
	switch p.reach {
	case reachNone:
		return nil, nil
	case reachAll:
		if r == nil {
			return nil, nil
		}
		// Nothing to narrow the jobs by: every log item.
		err := r.EachJobKeys(func(_ archive.JobRef, ks []archive.Key) error {
			keys = append(keys, ks...)
			return nil
		})
		if err != nil {
			return nil, err
		}
	default:
		var jobs []archive.JobRef
		err := x.each(ctx, some(jobDocsQuery(p.q)), false, func(id string, _ search.FieldTermLocationMap) error {
			if j, ok := parseJobDocID(id); ok {
				jobs = append(jobs, j)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("search index: %w", err)
		}
		if len(jobs) > 0 && r == nil {
			return nil, fmt.Errorf("search index: job documents need the archive")
		}
		for _, j := range jobs {
			ks, err := r.JobKeys(j)
			if err != nil {
				return nil, err
			}
			keys = append(keys, ks...)
		}
	}
	return keys, nil
}

// matchChunk is how many log items matchWhole reads at a time.
const matchChunk = 4096

// matchWhole returns the log items of keys in r that q matches, each read
// whole and matched as Pending matches the records an index has not
// reached.
func matchWhole(ctx context.Context, r *archive.Reader, q Query, keys []archive.Key) ([]Ref, error) {
	var out []Ref
	for len(keys) > 0 {
		n := min(len(keys), matchChunk)
		p := &Pending{Fresh: make([]archive.Record, 0, n)}
		for _, k := range keys[:n] {
			rec, ok, err := r.Get(logKind, k)
			if err != nil {
				return nil, err
			}
			if ok {
				p.Fresh = append(p.Fresh, rec)
			}
		}
		keys = keys[n:]
		refs, err := p.Search(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, refs...)
	}
	return out, nil
}

// mergeRefs returns the refs of a and b, each once, in document ID order;
// a is in that order already.
func mergeRefs(a, b []Ref) []Ref {
	type entry struct {
		id  string
		ref Ref
	}
	all := make([]entry, 0, len(a)+len(b))
	for _, refs := range [][]Ref{a, b} {
		for _, r := range refs {
			all = append(all, entry{DocID(r.Kind, r.Key), r})
		}
	}
	slices.SortFunc(all, func(x, y entry) int { return strings.Compare(x.id, y.id) })
	all = slices.CompactFunc(all, func(x, y entry) bool { return x.id == y.id })
	out := make([]Ref, len(all))
	for i, e := range all {
		out[i] = e.ref
	}
	return out
}

// each calls fn with the ID of every document q matches, in ID order, and
// with locs the locations of the terms that matched in it. It returns
// fn's errors, and bleve's unwrapped.
//
// An answer of up to firstPage documents is asked for unscored and
// unsorted, in one pass over the matches, and sorted here: sorting by ID
// in bleve loads the ID of every match to compare it, and each further
// page passes over every match again. Larger answers are read in pages of
// that size sorted by ID, so that memory stays bounded.
func (x *Index) each(ctx context.Context, q Query, locs bool, fn func(id string, locs search.FieldTermLocationMap) error) error {
	var bquery bq.Query
	switch q.reach {
	case reachNone:
		return nil
	case reachAll:
		bquery = bleve.NewMatchAllQuery()
	default:
		bquery = q.q
	}
	req := bleve.NewSearchRequestOptions(bquery, firstPage, 0, false)
	req.Score = bleve.ScoreNone
	req.IncludeLocations = locs
	res, err := x.bi.SearchInContext(ctx, req)
	if err != nil {
		return err
	}
	// With no score, bleve stops at the page's size: a full page may not
	// be all.
	if len(res.Hits) < firstPage {
		hits := slices.Clone(res.Hits)
		slices.SortFunc(hits, func(a, b *search.DocumentMatch) int { return strings.Compare(a.ID, b.ID) })
		for _, h := range hits {
			if err := fn(h.ID, h.Locations); err != nil {
				return err
			}
		}
		return nil
	}
	var after []string
	for {
		req := bleve.NewSearchRequestOptions(bquery, firstPage, 0, false)
		req.SortBy([]string{"_id"})
		req.SearchAfter = after
		req.IncludeLocations = locs
		res, err := x.bi.SearchInContext(ctx, req)
		if err != nil {
			return err
		}
		for _, h := range res.Hits {
			if err := fn(h.ID, h.Locations); err != nil {
				return err
			}
		}
		if len(res.Hits) < firstPage {
			return nil
		}
		after = []string{res.Hits[len(res.Hits)-1].ID}
	}
}

// firstPage is the most matches each asks for at once.
var firstPage = 100000

// matchDoc is a document being matched without an index, with the terms
// of its text once they are needed.
type matchDoc struct {
	doc Document
	// terms holds the positions of each term of the text.
	terms map[string][]int
}

// analyze splits the document's text as the index's text analyzer does,
// once.
func (d *matchDoc) analyze() {
	if d.terms != nil {
		return
	}
	d.terms = map[string][]int{}
	if a, err := textAnalyzer(); err == nil {
		for _, t := range a.Analyze([]byte(d.doc.Text)) {
			d.terms[string(t.Term)] = append(d.terms[string(t.Term)], t.Position)
		}
	}
}

// hasTerm reports whether the document's text holds term.
func (d *matchDoc) hasTerm(term string) bool {
	d.analyze()
	return len(d.terms[term]) > 0
}

// hasPhrase reports whether the document's text holds the terms of slots
// at consecutive positions, as a phrase query with no slop matches: an
// empty slot (a common word left out) stands for any term.
func (d *matchDoc) hasPhrase(slots [][]string) bool {
	if len(slots) == 0 {
		return false
	}
	d.analyze()
	at := func(terms []string, pos int) bool {
		for _, t := range terms {
			if slices.Contains(d.terms[t], pos) {
				return true
			}
		}
		return false
	}
	for _, first := range slots[0] {
	starts:
		for _, p := range d.terms[first] {
			for i := 1; i < len(slots); i++ {
				if len(slots[i]) > 0 && !at(slots[i], p+i) {
					continue starts
				}
			}
			return true
		}
	}
	return false
}

// anyTerm reports whether any term the document holds in field f makes ok
// true: the words of a text field, the lower-cased values of a keyword
// field.
func (d *matchDoc) anyTerm(f Field, ok func(string) bool) bool {
	if f.Match == MatchText {
		d.analyze()
		for t := range d.terms {
			if ok(t) {
				return true
			}
		}
		return false
	}
	for _, v := range d.doc.keywords(f.Name) {
		if v != "" && ok(KeywordValue(v)) {
			return true
		}
	}
	return false
}
