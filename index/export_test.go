package index

import "github.com/blevesearch/bleve/v2"

// Bleve returns the underlying bleve index, for tests that damage or
// inspect it.
func (x *Index) Bleve() bleve.Index { return x.bi }
