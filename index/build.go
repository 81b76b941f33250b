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
// declares them: keyword fields are indexed without frequencies or norms,
// text with term vectors (positions, for phrases). Nothing is stored.
const (
	keywordOptions = bindex.IndexField | bindex.SkipFreqNorm
	textOptions    = bindex.IndexField | bindex.IncludeTermVectors
)

// analyzers are the analyzers of an index's fields, taken once from its
// mapping.
type analyzers struct {
	keyword, text analysis.Analyzer
}

func newAnalyzers(m mapping.IndexMapping) (analyzers, error) {
	a := analyzers{keyword: m.AnalyzerNamed(keywordAnalyzer), text: m.AnalyzerNamed(standard.Name)}
	if a.keyword == nil || a.text == nil {
		return a, fmt.Errorf("index mapping: no analyzer %s or %s", keywordAnalyzer, standard.Name)
	}
	return a, nil
}

// bleveDocument turns d into the bleve document of ID id directly, with
// the fields the mapping would give it, but without walking d by
// reflection and without the composite "_all" field, which no query
// reads. Empty values give no field.
func (a analyzers) bleveDocument(id string, d Document) *document.Document {
	doc := document.NewDocument(id)
	one := func(name, v string) {
		if v != "" {
			doc.AddField(document.NewTextFieldCustom(name, nil, []byte(v), keywordOptions, a.keyword))
		}
	}
	many := func(name string, vs []string) {
		for i, v := range vs {
			if v != "" {
				doc.AddField(document.NewTextFieldCustom(name, []uint64{uint64(i)}, []byte(v), keywordOptions, a.keyword))
			}
		}
	}
	one(FieldJobID, d.JobID)
	many(FieldServerID, d.ServerIDs)
	many(FieldInstanceID, d.InstanceIDs)
	one(FieldEvent, d.Event)
	many(FieldStatus, d.Status)
	one(FieldType, d.Type)
	one(FieldInitiatedBy, d.InitiatedBy)
	one(FieldReplicationState, d.ReplicationState)
	if d.Text != "" {
		doc.AddField(document.NewTextFieldCustom(FieldText, nil, []byte(d.Text), textOptions, a.text))
	}
	return doc
}
