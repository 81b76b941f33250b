package query

import "github.com/archiver-dev/archiver/archive"

// keepTimes checks the capture and deletion ranges of f against rec and its
// marking m (marked says whether there is one).
func (f Filters) keepTimes(rec archive.Record, m archive.Marking, marked bool) bool {
	if !f.Captured.Contains(rec.FirstSeen) {
		return false
	}
	if !f.DeletedRange.IsZero() && (!marked || !f.DeletedRange.Contains(m.DeletedUpstreamAt)) {
		return false
	}
	return true
}
