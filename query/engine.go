package query

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
)

// Filters select records; they combine with AND, and the values of one
// filter with OR. Zero values select everything.
type Filters struct {
	// Range bounds the record time: creation for jobs, log time for log
	// items, capture time for source-server snapshots.
	Range Range
	// JobIDs selects those jobs and all their records: a DRS job
	// (drsjob-…) and its log items, every observation of a Snowball job
	// (JID…) or an SMS replication job (sms-job-…).
	JobIDs []string
	// ServerIDs selects records that mention one of these source servers.
	ServerIDs []string
	// Kinds selects records of these kinds.
	Kinds []archive.Kind
	// Events selects log items with one of these events, ignoring case.
	Events []string
	// Statuses selects records carrying one of these statuses (job status,
	// launch status, last launch result...), ignoring case.
	Statuses []string
	// Text is a full-text query (README.md, "Full-text queries").
	Text string
	// Regions and Accounts select records from these AWS regions and
	// accounts.
	Regions, Accounts []string
	// Deleted selects the latest records of objects deleted upstream.
	Deleted bool
	// Captured bounds when the archiver first saw the record (its
	// FirstSeen): for observations (source servers, staging accounts,
	// recovery instances, Snowball and SMS jobs), when that state was
	// captured; for a DRS job, kept as one record updated in place, when
	// the job was first seen.
	Captured Range
	// DeletedRange, when it bounds either side, selects the latest records
	// of objects deleted upstream whose deletion was noticed within it
	// (their DeletedUpstreamAt).
	DeletedRange Range
	// IDs selects records by their own ID (see ParseRecordID): every
	// observation of a source server, recovery instance, staging account,
	// Snowball or SMS job, a recovery snapshot, a DRS job and its log
	// items, or the jobs of a Snowball cluster (CID…).
	IDs []string
	// InitiatedBy and Types select DRS jobs by initiatedBy (START_DRILL,
	// FAILBACK...) and type (LAUNCH, TERMINATE...); given either, only DRS
	// jobs match.
	InitiatedBy, Types []string
}

// keepRecord checks the filters that are read from the record itself.
func (f Filters) keepRecord(rec archive.Record) bool {
	return (len(f.Regions) == 0 || slices.Contains(f.Regions, rec.Region)) &&
		(len(f.Accounts) == 0 || slices.Contains(f.Accounts, rec.Account))
}

// NeedsIndex says whether answering f takes the full-text index: every
// filter but time, job ID and kind does. A query that does not need it
// need not open it.
func (f Filters) NeedsIndex() bool {
	return f.Text != "" || len(f.ServerIDs) > 0 || len(f.Events) > 0 || len(f.Statuses) > 0 ||
		f.drsJobsOnly()
}

// ErrBadText is returned for a --text that is not a valid query (see
// TextQuery for the syntax).
var ErrBadText = errors.New("bad --text query")

// CheckText parses a full-text query, so that a syntax error is reported
// before anything is read. The error wraps ErrBadText and quotes the
// parser's message.
func CheckText(text string) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	_, err := parseTextChecked(text)
	return err
}

func flattenSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// Request is one query: its filters, the page it asks for, and the
// fingerprint that ties starting tokens to it.
type Request struct {
	Filters
	// Fingerprint is a canonical form of the filters as the user gave them.
	Fingerprint string
	// MaxItems bounds the records returned; 0 means all.
	MaxItems int
	// StartingToken resumes after the last record of an earlier page.
	StartingToken string
}

// Source is what a query reads: an archive snapshot and, when there is one,
// the full-text index (nil otherwise).
type Source struct {
	Archive *archive.Reader
	Index   *index.Index
}

// Run answers req from src, calling fn with each record in order of record
// time (ties in archive order). It returns the token that resumes after the
// last record given when more remain, or "". terms are the words of the
// full-text query, for highlighting.
//
// Records the index has not reached yet (a sync committed them and has not
// updated the index, or there is no index) are matched one by one, or
// indexed in memory for a fuzzy query, so the answer always reflects
// everything committed. Run does that while it holds src.Archive; Answer
// releases the archive first (see Prepare).
func Run(ctx context.Context, src Source, req Request, fn func(rec archive.Record, terms []string) error) (string, error) {
	p, err := Prepare(ctx, src, req, fn)
	if err != nil {
		return "", err
	}
	return p.Finish(ctx, fn)
}

// Prepared is a query whose reads of the archive are done: either it is
// answered already, or it holds copies of what it still has to match.
// Nothing in it refers to the archive snapshot it was read from.
type Prepared struct {
	req   Request
	terms []string
	// answered is set when Prepare gave every record already, and next
	// is then the token it returned.
	answered bool
	next     string
	// recs are the records found by reads of the archive and the index
	// that pass every filter, in key order (at most MaxItems+1 of them).
	recs []archive.Record
	// pending holds the records the index has not reached that pass every
	// filter read from the record; q selects among them.
	pending *index.Pending
	q       index.Query
}

// Prepare does the part of answering req that reads src: the index, the
// archive, and a copy of every record the index has not reached. When
// there are none, it answers req at once, calling fn; otherwise it calls
// fn with nothing, and the caller may release src before Finish matches
// the copies (indexing them in memory for a fuzzy query), which reads
// neither the archive nor the index.
func Prepare(ctx context.Context, src Source, req Request, fn func(rec archive.Record, terms []string) error) (*Prepared, error) {
	var after []byte
	if req.StartingToken != "" {
		pos, err := DecodeToken(req.StartingToken, req.Fingerprint)
		if err != nil {
			return nil, err
		}
		if len(pos) != archive.KeyLen {
			return nil, fmt.Errorf("%w (bad position)", ErrBadToken)
		}
		after = pos
	}
	if err := CheckText(req.Text); err != nil {
		return nil, err
	}
	p := &Prepared{req: req, terms: textTerms(req.Text)}
	var keys []hit
	var stream *index.Stream
	var err error
	if req.NeedsIndex() {
		var first *index.Span
		if req.MaxItems > 0 || !req.Range.From.IsZero() || !req.Range.To.IsZero() {
			// A page, or a stretch of time: the index's hits are found
			// oldest first, within the range, until the page is full.
			first = &index.Span{From: req.Range.From, To: req.Range.To}
			if after != nil {
				if t := archive.Key(after).Time(); t.After(first.From) {
					first.From = t
				}
			}
		}
		var ih indexed
		ih, err = indexIDHits(ctx, src, req.Filters, first)
		keys, p.q, stream = ih.hits, ih.q, ih.stream
		if ih.pending != nil && len(ih.pending.Fresh)+len(ih.pending.Whole) > 0 {
			p.pending = ih.pending
		}
	} else {
		keys, err = scanHits(src.Archive, req.Filters)
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(keys, func(a, b hit) int { return bytes.Compare(a.key[:], b.key[:]) })
	keys = slices.CompactFunc(keys, func(a, b hit) bool { return a.key == b.key })
	if after != nil {
		i, _ := slices.BinarySearchFunc(keys, after, func(h hit, t []byte) int {
			if c := bytes.Compare(h.key[:], t); c != 0 {
				return c
			}
			return 0
		})
		for i < len(keys) && bytes.Equal(keys[i].key[:], after) {
			i++
		}
		keys = keys[i:]
	}
	hits := &hitQueue{keys: keys, stream: stream, after: after}
	// wanted is how many more records a page takes after n, 0 for all.
	wanted := func(n int) int {
		if req.MaxItems == 0 {
			return 0
		}
		return req.MaxItems + 1 - n
	}
	deleted, err := src.Archive.DeletedLatest()
	if err != nil {
		return nil, err
	}
	// keep checks the filters read from the record, and gives it the
	// deletion the archive noticed.
	keep := func(rec *archive.Record) bool {
		d, marked := deleted[rec.Key]
		if req.Deleted && !marked {
			return false
		}
		if !req.keepRecord(*rec) || !req.keepTimes(*rec, d, marked) {
			return false
		}
		if marked {
			at := d.DeletedUpstreamAt
			rec.DeletedUpstreamAt = &at
		}
		return true
	}
	if p.pending == nil {
		// Nothing is left to match: the answer is given as it is read.
		n := 0
		var last archive.Key
		for {
			h, ok, err := hits.next(ctx, wanted(n))
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			if _, marked := deleted[h.key]; req.Deleted && !marked {
				continue
			}
			rec, ok, err := src.Archive.Get(h.kind, h.key)
			if err != nil {
				return nil, err
			}
			if !ok || !keep(&rec) {
				continue
			}
			if req.MaxItems > 0 && n == req.MaxItems {
				p.answered, p.next = true, EncodeToken(req.Fingerprint, last[:])
				return p, nil
			}
			if err := fn(rec, p.terms); err != nil {
				return nil, err
			}
			n++
			last = h.key
		}
		p.answered = true
		return p, nil
	}
	// Records the index has not reached remain to be matched: the others
	// are copied, as many as a page can take (one more tells that more
	// remain), and so are the unreached ones the filters keep.
	for {
		if req.MaxItems > 0 && len(p.recs) > req.MaxItems {
			break
		}
		h, ok, err := hits.next(ctx, wanted(len(p.recs)))
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if _, marked := deleted[h.key]; req.Deleted && !marked {
			continue
		}
		rec, ok, err := src.Archive.Get(h.kind, h.key)
		if err != nil {
			return nil, err
		}
		if ok && keep(&rec) {
			p.recs = append(p.recs, rec)
		}
	}
	kept := func(recs []archive.Record) []archive.Record {
		out := recs[:0]
		for _, rec := range recs {
			if after != nil && bytes.Compare(rec.Key[:], after) <= 0 {
				continue
			}
			if keep(&rec) {
				out = append(out, rec)
			}
		}
		return out
	}
	p.pending.Fresh, p.pending.Whole = kept(p.pending.Fresh), kept(p.pending.Whole)
	return p, nil
}

// hitQueue gives the hits of a query in key order: keys, sorted already,
// then those a stream of the index gives.
type hitQueue struct {
	keys   []hit
	stream *index.Stream
	// after drops the hits at or before it, when not nil.
	after []byte
}

// next returns the next hit, if any remain; want is how many more records
// the caller needs at most, 0 for all.
func (q *hitQueue) next(ctx context.Context, want int) (hit, bool, error) {
	for len(q.keys) == 0 {
		if q.stream == nil {
			return hit{}, false, nil
		}
		refs, err := q.stream.Next(ctx, max(want, 0))
		if err != nil {
			return hit{}, false, err
		}
		if refs == nil {
			q.stream = nil
		}
		for _, r := range refs {
			if q.after == nil || bytes.Compare(r.Key[:], q.after) > 0 {
				q.keys = append(q.keys, hit{r.Kind, r.Key})
			}
		}
	}
	h := q.keys[0]
	q.keys = q.keys[1:]
	return h, true, nil
}

// Indexing returns how many records Finish will index in memory, for a
// fuzzy query over records the index has not reached; 0 when it
// matches them one by one, or has nothing left to do.
func (p *Prepared) Indexing() int {
	if p.answered || p.pending == nil || !p.pending.Indexes(p.q) {
		return 0
	}
	return len(p.pending.Fresh)
}

// Finish completes the answer Prepare began: it matches the copied records
// the index has not reached, and the log items it could not answer for one
// by one (a query with a NOT inside), and gives fn the answer, merged in order with
// the records Prepare copied. It reads neither the archive nor the index.
func (p *Prepared) Finish(ctx context.Context, fn func(rec archive.Record, terms []string) error) (string, error) {
	if p.answered {
		return p.next, nil
	}
	if computeHook != nil {
		computeHook()
	}
	refs, err := p.pending.Search(ctx, p.q)
	if err != nil {
		return "", err
	}
	matched := make(map[archive.Key]bool, len(refs))
	for _, r := range refs {
		matched[r.Key] = true
	}
	recs := p.recs
	for _, rec := range slices.Concat(p.pending.Fresh, p.pending.Whole) {
		if matched[rec.Key] {
			recs = append(recs, rec)
		}
	}
	slices.SortStableFunc(recs, func(a, b archive.Record) int { return bytes.Compare(a.Key[:], b.Key[:]) })
	recs = slices.CompactFunc(recs, func(a, b archive.Record) bool { return a.Key == b.Key })
	for n, rec := range recs {
		if p.req.MaxItems > 0 && n == p.req.MaxItems {
			return EncodeToken(p.req.Fingerprint, recs[n-1].Key[:]), nil
		}
		if err := fn(rec, p.terms); err != nil {
			return "", err
		}
	}
	return "", nil
}

// computeHook, when set (by tests), is called when Finish starts matching
// the copied records.
var computeHook func()

// hit is one matching record.
type hit struct {
	kind archive.Kind
	key  archive.Key
}

// scanHits answers time, job and kind filters from the archive alone.
func scanHits(r *archive.Reader, f Filters) ([]hit, error) {
	var out []hit
	if sel, ok, err := idSelection(r, f); err != nil {
		return nil, err
	} else if ok {
		for k, kind := range sel {
			if (len(f.Kinds) == 0 || slices.Contains(f.Kinds, kind)) && f.Range.Contains(k.Time()) {
				out = append(out, hit{kind, k})
			}
		}
		return out, nil
	}
	want := f.Kinds
	if len(want) == 0 {
		want = kinds.Names()
	}
	// A key leads with its record's time: the scan reads no record.
	for _, kind := range want {
		err := r.KeysBetween(kind, f.Range.From, f.Range.To, func(k archive.Key) error {
			if f.Range.Contains(k.Time()) {
				out = append(out, hit{kind, k})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// indexQuery builds the index query of f.
func indexQuery(f Filters) (index.Query, error) {
	// Kind and time are not in the index: they are in every document's ID,
	// and indexHits checks them.
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

// textTerms returns the words and phrases a full-text query searches the
// text for, lower-cased, for highlighting.
func textTerms(text string) []string {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	n, err := parseText(text)
	if err != nil {
		return nil
	}
	return n.highlights()
}
