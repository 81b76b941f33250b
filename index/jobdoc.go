package index

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/search"
	bq "github.com/blevesearch/bleve/v2/search/query"
	bindex "github.com/blevesearch/bleve_index_api"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// Job documents.
//
// An index on disk holds the keyword terms of every DRS log item in one
// document per job, its job document, each term at the position of the
// item in the job's log plus one: `e:launch_failed` at 13 for the item at
// position 12. A job's log holds tens to thousands of items and bleve's
// cost is mostly per document, so a job document is several times cheaper
// to build and to store than a document per item. A hit on a job document
// names its items by the positions of the terms that matched, and the
// job-log index of the archive names their keys.
//
// An item whose text is more than its event (an error's message) also has
// a document of its own, with its text, as other records do; an item whose
// text is its event alone has its event's term (singleTextPrefix) in the
// job document too, and no document of its own.

// logKind is the kind of record the archive's job-log index lists, in
// order, for each job: the kind job documents hold.
const logKind = kinds.DRSJobLogItem

// jobDocPrefix begins the ID of a job document; a record's document ID
// begins with a digit or a lower-case letter (DocID).
const jobDocPrefix = "J"

// jobDocTerm is a term of keywordsField that every job document holds,
// and no other: a search of job documents alone asks for it.
const jobDocTerm = "#job"

// jobDocsQuery matches the job documents q matches.
func jobDocsQuery(q bq.Query) bq.Query {
	t := bleve.NewTermQuery(jobDocTerm)
	t.SetField(keywordsField)
	return bleve.NewConjunctionQuery(t, q)
}

// jobDocID is the ID of the job document of job j.
func jobDocID(j archive.JobRef) string {
	b := make([]byte, 0, len(j.JobID)+len(j.Region)+len(j.Account)+2)
	b = append(append(append(append(append(b, j.JobID...), 0), j.Region...), 0), j.Account...)
	return jobDocPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// parseJobDocID reverses jobDocID, and says whether id is a job
// document's.
func parseJobDocID(id string) (archive.JobRef, bool) {
	if !strings.HasPrefix(id, jobDocPrefix) {
		return archive.JobRef{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(id[len(jobDocPrefix):])
	if err != nil {
		return archive.JobRef{}, false
	}
	parts := bytes.Split(b, []byte{0})
	if len(parts) != 3 {
		return archive.JobRef{}, false
	}
	return archive.JobRef{JobID: string(parts[0]), Region: string(parts[1]), Account: string(parts[2])}, true
}

// inJobDocument reports whether rec is indexed in its job's document: a
// DRS log item, which names its job.
func inJobDocument(rec archive.Record) bool {
	return rec.Kind == logKind && rec.JobID != ""
}

// jobOf is the job of the log item rec.
func jobOf(rec archive.Record) archive.JobRef {
	return archive.JobRef{JobID: rec.JobID, Region: rec.Region, Account: rec.Account}
}

// keywordOnly reports whether a job document holds all of d: its text is
// empty, or its event alone and one term (returned).
func (a analyzers) keywordOnly(d Document) (string, bool) {
	if d.Text == "" {
		return "", true
	}
	return a.singleTextTerm(d)
}

// jobField is the keywordsField of a job document: the terms of its items,
// each at its item's position.
type jobField struct {
	freqs bindex.TokenFrequencies
	// slab holds the locations, allocated in chunks.
	slab []bindex.TokenLocation
	n    int
	size int
}

// newJobField returns the field of a job document with jobDocTerm alone,
// at position 0, where no item is.
func newJobField() *jobField {
	f := &jobField{freqs: bindex.TokenFrequencies{}}
	f.slab = append(make([]bindex.TokenLocation, 0, 256), bindex.TokenLocation{})
	f.freqs[jobDocTerm] = &bindex.TokenFreq{Term: []byte(jobDocTerm), Locations: []*bindex.TokenLocation{&f.slab[0]}}
	f.n, f.size = 1, len(jobDocTerm)
	return f
}

// addItem adds the keyword terms of the item of key k at position pos
// (its place in the log plus one) whose document is d, the term of its
// text if single is not empty, and the terms of its stretches of time.
func (f *jobField) addItem(a analyzers, pos int, k archive.Key, d Document, single string) {
	a.stretches.each(k, func(t cachedTerm) { f.addTerm(t, 0) })
	c := a.terms
	d.eachKeyword(func(prefix, v string) { f.add(c, prefix, v, pos) })
	if single != "" && !isKeywordValue(single, d.Event) {
		f.add(c, singleTextPrefix, single, pos)
	}
}

func (f *jobField) add(c termCache, prefix, v string, pos int) {
	if v == "" {
		return
	}
	f.addTerm(c.term(prefix, v), pos)
}

// addTerm adds the term t, made already, at position pos.
func (f *jobField) addTerm(t cachedTerm, pos int) {
	tf := f.freqs[t.term]
	if tf == nil {
		tf = &bindex.TokenFreq{Term: t.tf.Term}
		f.freqs[t.term] = tf
		f.size += len(t.term)
	} else if last := tf.Locations[len(tf.Locations)-1]; last.Position == pos {
		return // the item holds the value twice
	}
	if len(f.slab) == cap(f.slab) {
		f.slab = make([]bindex.TokenLocation, 0, 256)
	}
	// A location of no field is of the field that holds it (bleve looks
	// up a location's field by name otherwise).
	f.slab = append(f.slab, bindex.TokenLocation{Position: pos})
	tf.Locations = append(tf.Locations, &f.slab[len(f.slab)-1])
	f.n++
}

// finish sets the frequency of each term, the number of its locations.
func (f *jobField) finish() {
	for _, tf := range f.freqs {
		tf.SetFrequency(len(tf.Locations))
	}
}

func (f *jobField) Name() string             { return keywordsField }
func (f *jobField) ArrayPositions() []uint64 { return nil }
func (f *jobField) Options() bindex.FieldIndexingOptions {
	return bindex.IndexField | bindex.IncludeTermVectors
}
func (f *jobField) Analyze()                                          {}
func (f *jobField) Value() []byte                                     { return nil }
func (f *jobField) NumPlainTextBytes() uint64                         { return uint64(f.size) }
func (f *jobField) EncodedFieldType() byte                            { return 't' }
func (f *jobField) AnalyzedLength() int                               { return f.n }
func (f *jobField) AnalyzedTokenFrequencies() bindex.TokenFrequencies { return f.freqs }

// Size is about the memory the field takes, as bleve counts it.
func (f *jobField) Size() int { return 64 + len(f.freqs)*96 + f.n*48 + f.size }

// putJob writes the job document of job j as the archive snapshot r holds
// its log, or deletes it if r holds none. The documents of the items that
// have one of their own are not written: an update writes those as it
// meets their changes.
func (bt *batcher) putJob(r *archive.Reader, j archive.JobRef) error {
	keys, err := r.JobKeys(j)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		bt.b.Delete(jobDocID(j))
		return nil
	}
	f := newJobField()
	for i, k := range keys {
		if d, ok := bt.docs[k]; ok {
			// Made by put since the last batch.
			single, _ := bt.an.keywordOnly(d)
			f.addItem(bt.an, i+1, k, d, single)
			continue
		}
		rec, ok, err := r.GetBorrowed(logKind, k)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("job log index of %s points at missing record %x", j.JobID, k)
		}
		d, err := NewDocument(rec)
		if err != nil {
			return err
		}
		single, _ := bt.an.keywordOnly(d)
		f.addItem(bt.an, i+1, k, d, single)
	}
	return bt.putJobField(j, f)
}

// putJobField writes the job document of j whose field is f.
func (bt *batcher) putJobField(j archive.JobRef, f *jobField) error {
	f.finish()
	doc := document.NewDocument(jobDocID(j))
	doc.AddField(f)
	return bt.b.IndexAdvanced(doc)
}

// fillJobs writes, into a new index, the documents of every log item r
// holds that has one of its own and the job document of every job r holds
// a log of. It reads the items in the archive's order, block by block, and
// places each by the position it records; a job document is written once
// its last item is met. The few jobs whose items do not name one place
// each of their log (an archive written by hand, say) are made from the
// job-log index after. next is called after each item.
func (bt *batcher) fillJobs(ctx context.Context, r *archive.Reader, next func() error) error {
	sizes := map[archive.JobRef]int{}
	err := r.EachJobKeys(func(j archive.JobRef, keys []archive.Key) error {
		sizes[j] = len(keys)
		return nil
	})
	if err != nil {
		return err
	}
	type building struct {
		f    *jobField
		held []bool
		n    int
	}
	open := map[archive.JobRef]*building{}
	odd := map[archive.JobRef]bool{}
	err = r.EachBorrowed(logKind, func(rec archive.Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		d, err := NewDocument(rec)
		if err != nil {
			return err
		}
		bt.seen(rec.Key)
		bt.n++
		single, kwOnly := bt.an.keywordOnly(d)
		if !kwOnly || !inJobDocument(rec) {
			if err := bt.b.IndexAdvanced(bt.an.bleveDocument(DocID(rec.Kind, rec.Key), rec.Key, d)); err != nil {
				return err
			}
		}
		j := jobOf(rec)
		size, listed := sizes[j]
		if !inJobDocument(rec) || !listed || odd[j] {
			return next()
		}
		b := open[j]
		if b == nil {
			b = &building{f: newJobField(), held: make([]bool, size)}
			open[j] = b
		}
		if rec.Pos == nil || *rec.Pos < 0 || *rec.Pos >= size || b.held[*rec.Pos] {
			odd[j] = true
			delete(open, j)
			return next()
		}
		b.held[*rec.Pos] = true
		b.n++
		b.f.addItem(bt.an, *rec.Pos+1, rec.Key, d, single)
		if b.n == size {
			delete(open, j)
			if err := bt.putJobField(j, b.f); err != nil {
				return err
			}
		}
		return next()
	})
	if err != nil {
		return err
	}
	// Logs whose index names items that were not met, too.
	for j := range open {
		odd[j] = true
	}
	jobs := make([]archive.JobRef, 0, len(odd))
	for j := range odd {
		jobs = append(jobs, j)
	}
	slices.SortFunc(jobs, func(a, b archive.JobRef) int { return strings.Compare(jobDocID(a), jobDocID(b)) })
	for _, j := range jobs {
		if err := bt.putJob(r, j); err != nil {
			return err
		}
		if err := next(); err != nil {
			return err
		}
	}
	return nil
}

// touch notes that the job document of j is to be written again before
// the next batch is.
func (bt *batcher) touch(j archive.JobRef) {
	if bt.touched == nil {
		bt.touched = map[archive.JobRef]bool{}
	}
	if !bt.touched[j] {
		bt.touched[j] = true
		bt.jobOrder = append(bt.jobOrder, j)
	}
}

// putJobs writes the job documents touched since the last call.
func (bt *batcher) putJobs(r *archive.Reader) error {
	for _, j := range bt.jobOrder {
		if err := bt.putJob(r, j); err != nil {
			return err
		}
	}
	bt.jobOrder = bt.jobOrder[:0]
	clear(bt.touched)
	clear(bt.docs)
	return nil
}

// jobPositions returns the positions the job document of each job holds
// items at, in order, by document ID: the locations of the job ID's term,
// which every item has.
func (x *Index) jobPositions(ctx context.Context) (map[string][]int, error) {
	rd, err := x.reader()
	if err != nil {
		return nil, fmt.Errorf("read job documents: %w", err)
	}
	defer rd.Close()
	prefix, _ := keywordPrefix(FieldJobID)
	dict, err := rd.FieldDictPrefix(keywordsField, []byte(prefix))
	if err != nil {
		return nil, fmt.Errorf("read job documents: %w", err)
	}
	defer dict.Close()
	out := map[string][]int{}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e, err := dict.Next()
		if err != nil {
			return nil, fmt.Errorf("read job documents: %w", err)
		}
		if e == nil {
			break
		}
		tfr, err := rd.TermFieldReader(ctx, []byte(e.Term), keywordsField, false, false, true)
		if err != nil {
			return nil, fmt.Errorf("read job documents: %w", err)
		}
		for {
			d, err := tfr.Next(nil)
			if err != nil {
				tfr.Close()
				return nil, fmt.Errorf("read job documents: %w", err)
			}
			if d == nil {
				break
			}
			if len(d.Vectors) == 0 {
				continue // a record's own document: no positions
			}
			id, err := rd.ExternalID(d.ID)
			if err != nil {
				tfr.Close()
				return nil, fmt.Errorf("read job documents: %w", err)
			}
			for _, v := range d.Vectors {
				out[id] = append(out[id], int(v.Pos))
			}
		}
		tfr.Close()
	}
	for _, pos := range out {
		slices.Sort(pos)
	}
	return out, nil
}

// mendJobs writes again the job documents whose positions are not those
// of their job's log in r, and deletes those of jobs r holds no log of:
// what deletes of log items leave (a log cut short, a job pruned), whose
// job the change log does not name.
func (bt *batcher) mendJobs(ctx context.Context, r *archive.Reader) error {
	have, err := bt.x.jobPositions(ctx)
	if err != nil {
		return err
	}
	for _, id := range slices.Sorted(maps.Keys(have)) {
		j, ok := parseJobDocID(id)
		if !ok {
			continue
		}
		keys, err := r.JobKeys(j)
		if err != nil {
			return err
		}
		pos := have[id]
		if len(pos) == len(keys) && pos[len(pos)-1] == len(keys) {
			continue
		}
		if err := bt.putJob(r, j); err != nil {
			return err
		}
	}
	return nil
}

// itemDocs returns the documents, as far as locs tells them, of the items
// of a job document hit at each position: the keyword values and single
// text terms that matched there. A query with no NOT matches an item if
// and only if it matches its document so told.
func itemDocs(locs search.TermLocationMap) map[int]*matchDoc {
	out := map[int]*matchDoc{}
	for term, ls := range locs {
		code, v, ok := strings.Cut(term, ":")
		if !ok {
			continue
		}
		for _, l := range ls {
			pos := int(l.Pos)
			d := out[pos]
			if d == nil {
				d = &matchDoc{terms: map[string][]int{}}
				out[pos] = d
			}
			setTerm(d, code, v)
		}
	}
	return out
}

// setTerm sets the value v of the term of code (see keywordCodes and
// singleTextPrefix) in d.
func setTerm(d *matchDoc, code, v string) {
	if slices.Contains(textTermPrefixes, code+":") {
		// A term of the text too (see textTermPrefixes).
		d.terms[v] = []int{1}
	}
	for name, c := range keywordCodes {
		if c != code {
			continue
		}
		switch name {
		case FieldJobID:
			d.doc.JobID = v
		case FieldServerID:
			d.doc.ServerIDs = append(d.doc.ServerIDs, v)
		case FieldInstanceID:
			d.doc.InstanceIDs = append(d.doc.InstanceIDs, v)
		case FieldEvent:
			d.doc.Event = v
		case FieldStatus:
			d.doc.Status = append(d.doc.Status, v)
		case FieldType:
			d.doc.Type = v
		case FieldInitiatedBy:
			d.doc.InitiatedBy = v
		case FieldReplicationState:
			d.doc.ReplicationState = v
		}
	}
}
