package index

import "github.com/blevesearch/bleve/v2"

// Bleve returns the underlying bleve index, for tests that damage or
// inspect it.
func (x *Index) Bleve() bleve.Index { return x.bi }

// Matches reports whether q is matched record by record by Pending.Search.
func Matches(q Query) bool { return q.match != nil }

// ThroughMemory returns q without its record-by-record matcher, so that
// Pending.Search answers it through a memory index.
func ThroughMemory(q Query) Query { q.match = nil; return q }
