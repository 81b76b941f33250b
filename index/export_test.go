package index

import (
	"github.com/blevesearch/bleve/v2"

	"github.com/archiver-dev/archiver/archive"
)

// Bleve returns the underlying bleve index, for tests that damage or
// inspect it.
func (x *Index) Bleve() bleve.Index { return x.bi }

// Matches reports whether q is matched record by record by Pending.Search.
func Matches(q Query) bool { return q.match != nil }

// ThroughMemory returns q without its record-by-record matcher, so that
// Pending.Search answers it through a memory index.
func ThroughMemory(q Query) Query { q.match = nil; return q }

// BuildBothWays builds rec's document by the one-pass scan and by
// decoding; scanned is false when the scan left rec to decoding.
func BuildBothWays(rec archive.Record) (scan Document, scanned bool, decoded Document, err error) {
	rule, d := documentBase(rec)
	if rule.Text == nil {
		scan, scanned = scanDocument(rec, rule, d)
	}
	decoded, err = decodedDocument(rec, rule, d)
	return scan, scanned, decoded, err
}

// SetFirstPage makes each ask for n matches at once, until the returned
// function puts the size back.
func SetFirstPage(n int) func() {
	was := firstPage
	firstPage = n
	return func() { firstPage = was }
}

// JobDocID is the ID of the job document of j.
func JobDocID(j archive.JobRef) string { return jobDocID(j) }

// SetMinStretchRead makes a Stream read a stretch of time whole only when
// it holds at most n matches (and twice what its caller wants), until the
// returned function puts the bound back.
func SetMinStretchRead(n int) func() {
	was := minStretchRead
	minStretchRead = n
	return func() { minStretchRead = was }
}

// ShortestStretch is the shortest stretch of time that holds k.
func ShortestStretch(k archive.Key) uint64 {
	return k.TimeBits() >> stretchShifts[len(stretchShifts)-1]
}
