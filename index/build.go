package index

import (
	"fmt"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	bindex "github.com/blevesearch/bleve_index_api"
)

// Indexing options of the two kinds of field, as the mapping (newMapping)
// declares them: keyword values are indexed without frequencies or norms,
// text with term vectors (positions, for phrases). Nothing is stored.
const (
	keywordOptions = bindex.IndexField | bindex.SkipFreqNorm
	textOptions    = bindex.IndexField | bindex.IncludeTermVectors
)

// analyzers are the analyzers of an index's fields, taken once from its
// mapping.
type analyzers struct {
	text analysis.Analyzer
}

func newAnalyzers(m mapping.IndexMapping) (analyzers, error) {
	a := analyzers{text: m.AnalyzerNamed(standard.Name)}
	if a.text == nil {
		return a, fmt.Errorf("index mapping: no analyzer %s", standard.Name)
	}
	return a, nil
}

// bleveDocument turns d into the bleve document of ID id directly, without
// walking d by reflection and without the composite "_all" field, which no
// query reads: the values of every keyword field in one field,
// keywordsField, and the text. Empty values give no term.
func (a analyzers) bleveDocument(id string, d Document) *document.Document {
	doc := document.NewDocument(id)
	kw := &keywordField{}
	for _, f := range Fields {
		if prefix, ok := keywordPrefix(f.Name); ok {
			for _, v := range d.keywords(f.Name) {
				kw.add(prefix, v)
			}
		}
	}
	if kw.n > 0 {
		doc.AddField(kw)
	}
	if d.Text != "" {
		doc.AddField(document.NewTextFieldCustom(FieldText, nil, []byte(d.Text), textOptions, a.text))
	}
	return doc
}
