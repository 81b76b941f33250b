package index

import (
	"fmt"
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/mapping"
)

// textAnalyzer is the analyzer of the text fields.
var textAnalyzer = sync.OnceValues(func() (analysis.Analyzer, error) {
	m, err := newMapping()
	if err != nil {
		return nil, err
	}
	impl, ok := m.(*mapping.IndexMappingImpl)
	var a analysis.Analyzer
	if ok {
		a = impl.AnalyzerNamed(standard.Name)
	}
	if a == nil {
		return nil, fmt.Errorf("index mapping: no analyzer %s", standard.Name)
	}
	return a, nil
})

// TextTerms returns the terms a text field holds for the text s: its words,
// lower-cased, without common English words ("the", "a", "of"...). A
// query uses it to know whether a word can match at all.
func TextTerms(s string) ([]string, error) {
	a, err := textAnalyzer()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range a.Analyze([]byte(s)) {
		out = append(out, string(t.Term))
	}
	return out, nil
}
