package index

import (
	"regexp"

	bindex "github.com/blevesearch/bleve_index_api"
)

// keywordsField is the one index field that holds the values of every
// keyword field of a document. Each value is the term made of its field's
// code, a colon and the value lower-cased (see keywordTerm): `e:launch_failed`
// for event:LAUNCH_FAILED. bleve does work for every field of every
// document it adds (analysis, a pass over each field's terms when it
// builds a segment), and a log item has four keyword fields (jobID, event,
// serverID, instanceID) of one value or two each.
const keywordsField = "keywords"

// keywordCodes are the codes of the keyword fields' terms in keywordsField.
var keywordCodes = map[string]string{
	FieldJobID:            "j",
	FieldServerID:         "s",
	FieldInstanceID:       "i",
	FieldEvent:            "e",
	FieldStatus:           "u",
	FieldType:             "t",
	FieldInitiatedBy:      "b",
	FieldReplicationState: "r",
}

// singleTextPrefix begins the term of keywordsField that holds the whole
// text of a document when the text is one term (see singleTextTerm): a
// log item whose text is its event alone, such as JOB_START. Such a
// document has no text field, and queries of the text field also match
// these terms (textTermPrefixes). Where the term is the event's value, as
// for every event AWS names, the event's term (e:job_start) stands for it
// and the document has no term of this prefix.
const singleTextPrefix = "x:"

// textTermPrefixes begin the terms of keywordsField that a query of a term
// of the text field also matches: a text that is one term, and an event,
// which is in the text of every record that has one (textKeys) and, as
// AWS names events (LAUNCH_FAILED), is one term of it, its value.
var textTermPrefixes = []string{singleTextPrefix, keywordCodes[FieldEvent] + ":"}

// keywordPrefix returns the beginning of the terms of the keyword field
// named name in keywordsField, and whether name is such a field (the
// name's case counts, as bleve's field names do).
func keywordPrefix(name string) (string, bool) {
	code, ok := keywordCodes[name]
	return code + ":", ok
}

// keywordFieldName is a keyword field of Fields and the beginning of its
// terms.
type keywordFieldName struct{ name, prefix string }

// keywordFields are the keyword fields of Fields, in order, with the
// beginnings of their terms: documents are made of them without making
// the beginnings again.
var keywordFields = func() []keywordFieldName {
	var out []keywordFieldName
	for _, f := range Fields {
		if prefix, ok := keywordPrefix(f.Name); ok {
			out = append(out, keywordFieldName{f.Name, prefix})
		}
	}
	return out
}()

// keywordTerm is the term of keywordsField that stands for value v of the
// keyword field whose prefix is prefix.
func keywordTerm(prefix, v string) string { return prefix + KeywordValue(v) }

// keywordRegexp is the regexp of the terms of keywordsField that stand for
// the values of the field of prefix that pattern matches whole.
func keywordRegexp(prefix, pattern string) string {
	return regexp.QuoteMeta(prefix) + "(?:" + pattern + ")"
}

// keywordField is the keywordsField of one document, its terms already
// made: it needs no analyzer.
type keywordField struct {
	freqs bindex.TokenFrequencies
	n     int
	size  int
}

// termCache holds the term of each keyword value a batcher met, by the
// value's field prefix and value as the document has it: a log's job ID,
// event and servers recur in most of its items, and their terms are made
// once. A term's TokenFreq is shared by the documents that have it; bleve
// only reads it (it merges frequencies only of a field a document has
// twice, and keywordsField is one field).
type termCache map[termKey]cachedTerm

type termKey struct{ prefix, v string }

type cachedTerm struct {
	term string
	tf   *bindex.TokenFreq
}

// termCacheMax bounds a termCache; a full cache starts again empty.
const termCacheMax = 1 << 16

// term returns the term of value v of the keyword field of prefix, and its
// TokenFreq.
func (c termCache) term(prefix, v string) cachedTerm {
	k := termKey{prefix, v}
	if t, ok := c[k]; ok {
		return t
	}
	if len(c) >= termCacheMax {
		clear(c)
	}
	term := keywordTerm(prefix, v)
	t := cachedTerm{term, &bindex.TokenFreq{Term: []byte(term)}}
	c[k] = t
	return t
}

// add adds the value v of the keyword field of prefix, if not empty, its
// term taken from c.
func (f *keywordField) add(c termCache, prefix, v string) {
	if v == "" {
		return
	}
	f.addTerm(c.term(prefix, v))
}

// addTerm adds the term t, made already.
func (f *keywordField) addTerm(t cachedTerm) {
	if f.freqs == nil {
		f.freqs = make(bindex.TokenFrequencies, 4)
	}
	if _, ok := f.freqs[t.term]; ok {
		return
	}
	f.freqs[t.term] = t.tf
	f.n++
	f.size += len(t.term)
}

func (f *keywordField) Name() string                         { return keywordsField }
func (f *keywordField) ArrayPositions() []uint64             { return nil }
func (f *keywordField) Options() bindex.FieldIndexingOptions { return keywordOptions }
func (f *keywordField) Analyze()                             {}
func (f *keywordField) Value() []byte                        { return nil }
func (f *keywordField) NumPlainTextBytes() uint64            { return uint64(f.size) }
func (f *keywordField) EncodedFieldType() byte               { return 't' }
func (f *keywordField) AnalyzedLength() int                  { return f.n }
func (f *keywordField) AnalyzedTokenFrequencies() bindex.TokenFrequencies {
	return f.freqs
}

// Size is about the memory the field takes, as bleve counts it: a map
// entry, a TokenFreq and the term of each value.
func (f *keywordField) Size() int { return 64 + f.n*96 + f.size }
