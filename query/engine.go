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
// package query/search for the syntax).
var ErrBadText = errors.New("bad --text query")

// ErrNoSearch is returned for a query whose filters take the full-text
// index (Filters.NeedsIndex) from a Source with no Searcher.
var ErrNoSearch = errors.New("these filters take the full-text index, and this query has none to search")

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

// Source is what a query reads: an archive snapshot and, for the filters
// that take it, the full-text side (package query/search provides it; nil
// when the query has none).
type Source struct {
	Archive *archive.Reader
	Search  Searcher
}

// Searcher is the full-text side of a query: it answers the filters that
// take the full-text index (Filters.NeedsIndex), --text among them, from
// the index and, for the records the index has not reached, from copies
// of them, so that the answer reflects everything committed.
type Searcher interface {
	// CheckText reports a --text that is not a valid query: an error
	// wrapping ErrBadText, on one line.
	CheckText(text string) error
	// Terms returns the words and phrases a valid --text searches the
	// text for, lower-cased, for highlighting.
	Terms(text string) []string
	// Search reads from the snapshot r what answering f takes, for the
	// records keep accepts (keep sees the kind and key only, so that
	// records dropped anyway are not read). With first set, the index's
	// hits are left to a stream that gives them in key order, within
	// that span of time first.
	Search(ctx context.Context, r *archive.Reader, f Filters, keep func(archive.Kind, archive.Key) bool, first *Range) (Found, error)
}

// Found is what a Searcher read from an archive snapshot.
type Found struct {
	// Hits are records the index matched, in any order.
	Hits []Hit
	// Stream, when not nil, gives more hits in key order. It reads the
	// snapshot: it is for use before the snapshot is released.
	Stream Stream
	// Pending, when not nil, holds copies of the records still to be
	// matched (those the index has not reached), for after the snapshot
	// is released.
	Pending Pending
}

// Hit names one matching record.
type Hit struct {
	Kind archive.Kind
	Key  archive.Key
}

// Stream gives hits in key order.
type Stream interface {
	// Next returns the next hits, about want of them when want > 0, and
	// none (nil) once there are no more.
	Next(ctx context.Context, want int) ([]Hit, error)
}

// Pending holds copies of records that are still to be matched. Nothing
// in it refers to the snapshot they were copied from.
type Pending interface {
	// Keep drops the copies keep refuses; keep may change a copy it
	// keeps.
	Keep(keep func(rec *archive.Record) bool)
	// Indexing is how many copies Match indexes in memory (for a fuzzy
	// query), 0 when it matches them one by one, which is far cheaper.
	Indexing() int
	// Match returns the copies the query matches, in any order. It reads
	// neither the archive nor the index.
	Match(ctx context.Context) ([]archive.Record, error)
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
	// filter read from the record, to be matched by Finish.
	pending Pending
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
	p := &Prepared{req: req}
	if req.NeedsIndex() && src.Search == nil {
		return nil, ErrNoSearch
	}
	if strings.TrimSpace(req.Text) != "" {
		if err := src.Search.CheckText(req.Text); err != nil {
			return nil, err
		}
		p.terms = src.Search.Terms(req.Text)
	}
	var keys []Hit
	var stream Stream
	var err error
	if req.NeedsIndex() {
		var first *Range
		if req.MaxItems > 0 || !req.Range.From.IsZero() || !req.Range.To.IsZero() {
			// A page, or a stretch of time: the index's hits are found
			// oldest first, within the range, until the page is full.
			first = &Range{From: req.Range.From, To: req.Range.To}
			if after != nil {
				if t := archive.Key(after).Time(); t.After(first.From) {
					first.From = t
				}
			}
		}
		var found Found
		found, err = searchHits(ctx, src, req.Filters, first)
		keys, stream, p.pending = found.Hits, found.Stream, found.Pending
	} else {
		keys, err = scanHits(src.Archive, req.Filters)
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(keys, func(a, b Hit) int { return bytes.Compare(a.Key[:], b.Key[:]) })
	keys = slices.CompactFunc(keys, func(a, b Hit) bool { return a.Key == b.Key })
	if after != nil {
		i, _ := slices.BinarySearchFunc(keys, after, func(h Hit, t []byte) int {
			if c := bytes.Compare(h.Key[:], t); c != 0 {
				return c
			}
			return 0
		})
		for i < len(keys) && bytes.Equal(keys[i].Key[:], after) {
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
			// An interrupted command stops between records.
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			h, ok, err := hits.next(ctx, wanted(n))
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			if _, marked := deleted[h.Key]; req.Deleted && !marked {
				continue
			}
			rec, ok, err := src.Archive.Get(h.Kind, h.Key)
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
			last = h.Key
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
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, ok, err := hits.next(ctx, wanted(len(p.recs)))
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if _, marked := deleted[h.Key]; req.Deleted && !marked {
			continue
		}
		rec, ok, err := src.Archive.Get(h.Kind, h.Key)
		if err != nil {
			return nil, err
		}
		if ok && keep(&rec) {
			p.recs = append(p.recs, rec)
		}
	}
	p.pending.Keep(func(rec *archive.Record) bool {
		return (after == nil || bytes.Compare(rec.Key[:], after) > 0) && keep(rec)
	})
	return p, nil
}

// hitQueue gives the hits of a query in key order: keys, sorted already,
// then those a stream of the index gives.
type hitQueue struct {
	keys   []Hit
	stream Stream
	// after drops the hits at or before it, when not nil.
	after []byte
}

// next returns the next hit, if any remain; want is how many more records
// the caller needs at most, 0 for all.
func (q *hitQueue) next(ctx context.Context, want int) (Hit, bool, error) {
	for len(q.keys) == 0 {
		if q.stream == nil {
			return Hit{}, false, nil
		}
		hits, err := q.stream.Next(ctx, max(want, 0))
		if err != nil {
			return Hit{}, false, err
		}
		if hits == nil {
			q.stream = nil
		}
		for _, h := range hits {
			if q.after == nil || bytes.Compare(h.Key[:], q.after) > 0 {
				q.keys = append(q.keys, h)
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
	if p.answered || p.pending == nil {
		return 0
	}
	return p.pending.Indexing()
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
	matched, err := p.pending.Match(ctx)
	if err != nil {
		return "", err
	}
	recs := append(p.recs, matched...)
	slices.SortStableFunc(recs, func(a, b archive.Record) int { return bytes.Compare(a.Key[:], b.Key[:]) })
	recs = slices.CompactFunc(recs, func(a, b archive.Record) bool { return a.Key == b.Key })
	for n, rec := range recs {
		if p.req.MaxItems > 0 && n == p.req.MaxItems {
			return EncodeToken(p.req.Fingerprint, recs[n-1].Key[:]), nil
		}
		if err := ctx.Err(); err != nil {
			return "", err
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

// scanHits answers time, job and kind filters from the archive alone.
func scanHits(r *archive.Reader, f Filters) ([]Hit, error) {
	var out []Hit
	if sel, ok, err := idSelection(r, f); err != nil {
		return nil, err
	} else if ok {
		for k, kind := range sel {
			if (len(f.Kinds) == 0 || slices.Contains(f.Kinds, kind)) && f.Range.Contains(k.Time()) {
				out = append(out, Hit{kind, k})
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
				out = append(out, Hit{kind, k})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
