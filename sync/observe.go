package sync

import (
	"github.com/archiver-dev/archiver/archive"
)

// observation is one object to keep as a new record when its state changed.
type observation struct {
	rec archive.Record
	fp  []byte
}

// observationCommit is the commit of one page of observations. New
// source-server snapshots are counted apart from other new observations.
//
// An object whose current observation was imported from saved AWS CLI
// output is compared with it member by member (coveredState), since
// the fingerprint of output the CLI left members out of is not the one of
// the same state as the API sends it.
func observationCommit(what string, batch []observation) commit {
	return commit{what: what, items: len(batch), apply: func(w *archive.Writer, d *delta) error {
		for _, o := range batch {
			same := func(cur archive.Record) bool {
				return cur.Imported != nil && coveredState(o.rec.Kind, o.rec.Data, cur.Data)
			}
			ch, _, err := w.PutObservationSame(o.rec, o.fp, same)
			if err != nil {
				return err
			}
			d.count(o.rec, ch)
		}
		return nil
	}}
}
