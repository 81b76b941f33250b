package index

import (
	"fmt"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/archiver-dev/archiver/archive"
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
	// single caches singleTextTerm's answers.
	single map[string]string
	// terms caches the terms of keyword values (see keywordField.add).
	terms termCache
	// stretches caches the terms of the stretches of time last met.
	stretches *stretchCache
}

func newAnalyzers(m mapping.IndexMapping) (analyzers, error) {
	a := analyzers{text: m.AnalyzerNamed(standard.Name), single: map[string]string{}, terms: termCache{}, stretches: &stretchCache{}}
	if a.text == nil {
		return a, fmt.Errorf("index mapping: no analyzer %s", standard.Name)
	}
	return a, nil
}

// bleveDocument turns d into the bleve document of ID id directly, without
// walking d by reflection and without the composite "_all" field, which no
// query reads: the values of every keyword field in one field,
// keywordsField with the terms of the stretches of time that hold key k
// (see order.go), and the text. Empty values give no term.
func (a analyzers) bleveDocument(id string, k archive.Key, d Document) *document.Document {
	doc := document.NewDocument(id)
	kw := &keywordField{}
	d.eachKeyword(func(prefix, v string) { kw.add(a.terms, prefix, v) })
	a.stretches.each(k, kw.addTerm)
	text := d.Text
	if t, ok := a.singleTextTerm(d); ok {
		if !isKeywordValue(t, d.Event) {
			kw.add(a.terms, singleTextPrefix, t)
		}
		text = ""
	}
	if kw.n > 0 {
		doc.AddField(kw)
	}
	if text != "" {
		doc.AddField(document.NewTextFieldCustom(FieldText, nil, []byte(text), textOptions, a.text))
	}
	return doc
}

// singleCacheMax bounds the texts singleTextTerm remembers.
const singleCacheMax = 4096

// singleTextTerm returns the one term the text analyzer makes of d's text,
// if d's text is its event alone (the text of most log items) and makes
// one term. Such a text needs no text field of its own: queries of one
// term of the text, the only ones it can match, also look for it in
// keywordsField, which is far cheaper to build. The analysis of each event
// is done once.
func (a analyzers) singleTextTerm(d Document) (string, bool) {
	if d.Text == "" || d.Text != d.Event {
		return "", false
	}
	if t, ok := a.single[d.Text]; ok {
		return t, t != ""
	}
	var t string
	if tokens := a.text.Analyze([]byte(d.Text)); len(tokens) == 1 {
		t = string(tokens[0].Term)
	}
	if len(a.single) < singleCacheMax {
		a.single[d.Text] = t
	}
	return t, t != ""
}
