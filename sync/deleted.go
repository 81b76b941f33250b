package sync

import (
	"fmt"
	"time"

	"github.com/archiver-dev/archiver/archive"
)

// ident names one listed object.
type ident struct {
	kind                archive.Kind
	id, region, account string
}

// sweep is what a complete listing proves: every object of kind in region
// and account that the archive holds, that match accepts (nil: all) and
// whose ID is not in listed, was deleted upstream, as noticed at at.
type sweep struct {
	kind            archive.Kind
	region, account string
	listed          map[string]bool
	at              time.Time
	match           func(archive.Record) bool
}

// lister gathers the IDs a listing held, over all its pages (and over
// its restarts, which list the same objects again).
type lister struct {
	listed map[string]bool
}

// add notes the IDs of recs and returns their identities.
func (l *lister) add(recs []archive.Record) []ident {
	if l.listed == nil {
		l.listed = map[string]bool{}
	}
	out := make([]ident, len(recs))
	for i, rec := range recs {
		l.listed[rec.ID] = true
		out[i] = ident{rec.Kind, rec.ID, rec.Region, rec.Account}
	}
	return out
}

// sweep returns the sweep of a complete listing of kind in region and
// account: a copy of what it listed so far, as the commit runs later.
func (l *lister) sweep(kind archive.Kind, region, account string, at time.Time, match func(archive.Record) bool) *sweep {
	listed := make(map[string]bool, len(l.listed))
	for id := range l.listed {
		listed[id] = true
	}
	return &sweep{kind: kind, region: region, account: account, listed: listed, at: at, match: match}
}

// withMarks wraps the writes of a listing's page: the objects it listed are
// unmarked first (an object listed again was not deleted after all), and,
// when the page is the last of a complete listing (sw set), the objects the
// listing lacked are marked after its writes, in the same transaction.
func withMarks(cm commit, listed []ident, sw *sweep) commit {
	apply := cm.apply
	cm.apply = func(w *archive.Writer, d *delta) error {
		for _, o := range listed {
			if _, err := w.Unmark(o.kind, o.id, o.region, o.account); err != nil {
				return fmt.Errorf("%s: %w", cm.what, err)
			}
		}
		if apply != nil {
			if err := apply(w, d); err != nil {
				return err
			}
		}
		if sw == nil {
			return nil
		}
		n, err := w.SweepDeleted(sw.kind, sw.region, sw.account, sw.listed, sw.at, sw.match)
		if err != nil {
			return fmt.Errorf("%s: mark what the listing lacked: %w", cm.what, err)
		}
		if n > 0 {
			bump(&d.marked, addedKey{sw.kind, sw.region, sw.account}, int64(n))
		}
		return nil
	}
	return cm
}
