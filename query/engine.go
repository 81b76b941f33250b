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
// updated the index, or there is no index) are indexed in memory for the
// query, so the answer always reflects everything committed.
func Run(ctx context.Context, src Source, req Request, fn func(rec archive.Record, terms []string) error) (string, error) {
	var after []byte
	if req.StartingToken != "" {
		pos, err := DecodeToken(req.StartingToken, req.Fingerprint)
		if err != nil {
			return "", err
		}
		if len(pos) != archive.KeyLen {
			return "", fmt.Errorf("%w (bad position)", ErrBadToken)
		}
		after = pos
	}
	if err := CheckText(req.Text); err != nil {
		return "", err
	}
	var keys []hit
	var err error
	if req.NeedsIndex() {
		keys, err = indexIDHits(ctx, src, req.Filters)
	} else {
		keys, err = scanHits(src.Archive, req.Filters)
	}
	if err != nil {
		return "", err
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
	deleted, err := src.Archive.DeletedLatest()
	if err != nil {
		return "", err
	}
	terms := textTerms(req.Text)
	n := 0
	var last archive.Key
	for _, h := range keys {
		d, marked := deleted[h.key]
		if req.Deleted && !marked {
			continue
		}
		rec, ok, err := src.Archive.Get(h.kind, h.key)
		if err != nil {
			return "", err
		}
		if !ok || !req.keepRecord(rec) {
			continue
		}
		if !req.keepTimes(rec, d, marked) {
			continue
		}
		if marked {
			at := d.DeletedUpstreamAt
			rec.DeletedUpstreamAt = &at
		}
		if req.MaxItems > 0 && n == req.MaxItems {
			return EncodeToken(req.Fingerprint, last[:]), nil
		}
		if err := fn(rec, terms); err != nil {
			return "", err
		}
		n++
		last = h.key
	}
	return "", nil
}

// hit is one matching record.
type hit struct {
	kind archive.Kind
	key  archive.Key
}

// scanHits answers time, job and kind filters from the archive alone.
func scanHits(r *archive.Reader, f Filters) ([]hit, error) {
	var out []hit
	keep := func(rec archive.Record) bool {
		if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, rec.Kind) {
			return false
		}
		return f.Range.Contains(rec.Time)
	}
	add := func(rec archive.Record) error {
		if keep(rec) {
			out = append(out, hit{rec.Kind, rec.Key})
		}
		return nil
	}
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
	for _, k := range want {
		if err := r.EachBetween(k, f.Range.From, f.Range.To, add); err != nil {
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

// indexHits answers f from the full-text index, and from a memory index of
// the records the index has not reached (see index.SearchSnapshot).
func indexHits(ctx context.Context, src Source, f Filters) ([]hit, error) {
	q, err := indexQuery(f)
	if err != nil {
		return nil, err
	}
	refs, err := index.SearchSnapshot(ctx, src.Archive, src.Index, q)
	if err != nil {
		return nil, err
	}
	var out []hit
	for _, h := range refs {
		if (len(f.Kinds) == 0 || slices.Contains(f.Kinds, h.Kind)) && f.Range.Contains(h.Key.Time()) {
			out = append(out, hit{h.Kind, h.Key})
		}
	}
	return out, nil
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
