package sync

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// filing is where and when the objects of one listing are filed: the
// region and account read (or given to import), the capture time, and the
// parent they were listed under (a job for log items, a Snowball cluster).
type filing struct {
	region, account string
	seen            time.Time
	parent          string
}

// fileRecord builds the record of item, an object of the kind spec declares,
// as sync and import both file it: its own ID; the account its ARN names,
// else the one read; the region read, else its ARN's; the time its kind's
// time member says, else the capture time; the capture time for
// observations; and the parent it was listed under.
func fileRecord(spec *kinds.Spec, item []byte, at filing) (archive.Record, kinds.Head, error) {
	h, err := spec.HeadOf(item)
	if err != nil {
		return archive.Record{}, h, err
	}
	seen := at.seen
	rec := archive.Record{Kind: spec.Kind, ID: h.ID, Region: at.region, Account: at.account,
		Time: seen, FirstSeen: seen, LastSeen: seen, Data: item}
	if h.Account != "" {
		rec.Account = h.Account
	}
	if rec.Region == "" {
		rec.Region = h.Region
	}
	if h.HasTime {
		rec.Time = h.Time
	}
	if spec.Observed() {
		rec.CapturedAt = &seen
	}
	switch spec.Parent {
	case kinds.ParentJob:
		rec.JobID = at.parent
	case kinds.ParentCluster:
		rec.ClusterID = at.parent
	}
	return rec, h, nil
}

// filePage files the items of one page of a listing (see fileRecord). The
// items were cut from an answer the SDK decoded whole, so their JSON is
// not checked again.
func filePage(spec *kinds.Spec, what string, n int, items []json.RawMessage, at filing) ([]archive.Record, error) {
	recs := make([]archive.Record, len(items))
	for i, it := range items {
		rec, _, err := fileRecord(spec, it, at)
		if err != nil {
			return nil, fmt.Errorf("%s page %d item %d: %v", what, n, i, err)
		}
		rec.MarkDataValid()
		recs[i] = rec
	}
	return recs, nil
}

// keepCommit is the commit of one page of records of kind spec, kept as the
// kind's Class says: latest states replaced in place, observations added
// when their state changed. Log items have their own commit (logPage).
func keepCommit(spec *kinds.Spec, what string, recs []archive.Record) (commit, error) {
	if spec.Class != kinds.Observation {
		return latestCommit(what, recs), nil
	}
	batch := make([]observation, len(recs))
	for i, rec := range recs {
		fp, err := spec.Fingerprint(rec.Data)
		if err != nil {
			return commit{}, fmt.Errorf("%s item %d: %w", what, i, err)
		}
		batch[i] = observation{rec: rec, fp: fp}
	}
	return observationCommit(what, batch), nil
}

// latestCommit keeps each record as its object's latest state.
func latestCommit(what string, recs []archive.Record) commit {
	return commit{what: what, items: len(recs), apply: func(w *archive.Writer, d *delta) error {
		for _, rec := range recs {
			ch, err := w.PutLatest(rec)
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			d.count(rec, ch)
		}
		return nil
	}}
}

// sweepOf returns the sweep a complete listing of spec's kind makes, from
// the IDs seen listed, or nil when the kind is not swept that way.
// parent is the Snowball cluster of a per-parent listing.
func sweepOf(spec *kinds.Spec, seen *lister, region, account string, at time.Time, parent string) *sweep {
	switch spec.Sweep {
	case kinds.SweepListing:
		return seen.sweep(spec.Kind, region, account, at, nil)
	case kinds.SweepParent:
		return seen.sweep(spec.Kind, region, account, at, func(rec archive.Record) bool { return spec.ParentIn(rec.JobID, rec.ClusterID) == parent })
	}
	return nil
}
