package index

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/single"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	"github.com/blevesearch/bleve/v2/mapping"
	bindex "github.com/blevesearch/bleve_index_api"
	boltErrors "go.etcd.io/bbolt/errors"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// CurrentFile names the file, in the archive directory, that holds the name
// of the index directory in use. Rebuild writes a new directory and replaces
// this file in one rename, so readers see the old index or the new one,
// never a mix.
const CurrentFile = "index.current"

// ErrNoIndex is returned when the archive has no index yet.
var ErrNoIndex = errors.New("no index yet")

// positionKey is the bleve internal key of the change-log position an index
// reflects.
var positionKey = []byte("archiver.position")

// seqKey is the bleve internal key of the highest record sequence number
// (archive.Key.Seq) the index has met: a record put later with a number at
// or below it was written over, and may have a document to remove.
var seqKey = []byte("archiver.seq")

// formatKey holds the layout version of an index (document IDs, mapping).
// An index of another layout is rebuilt rather than read.
var formatKey = []byte("archiver.format")

// Format is the layout version this archiver writes and reads. Version 3
// lower-cases keyword fields and keeps term positions of the text, for
// phrases; version 4 drops the composite "_all" field (no query reads it)
// and the empty fields; version 5 holds the values of every keyword field
// in one field (keywordsField), and there too a text that is one term
// (singleTextPrefix); version 6 holds the keyword terms of DRS log items
// in one document per job, each at its item's position (see jobdoc.go);
// version 7 adds to every document the terms of the stretches of time its
// records lie in (see order.go).
const Format = "7"

// ErrOldIndex is returned when the index was made in another layout.
var ErrOldIndex = errors.New("the full-text index was made by another archiver version")

// batchSize is how many documents go into one bleve batch.
const batchSize = 5000

// fillBatch is how many records go into one batch of a new index: most
// are log items, many to a job document, and a batch of fewer than this
// builds a segment of too few documents to be worth its own.
const fillBatch = 4 * batchSize

// writerConfig is the scorch configuration of a writer. A batch returns
// once its segment is in memory and searchable (unsafe_batch) rather than
// after the persister has written and synced it: the persister writes
// segments behind the batches, and Close waits until it has written
// everything (see persist). The position is recorded in the same batch as
// the documents it covers, so a process killed before its batches reached
// the disk leaves an index at an older position, whose next update writes
// them again.
func writerConfig() map[string]any {
	d := mergeplan.DefaultMergePlanOptions
	return map[string]any{
		"unsafe_batch": true,
		// The merge planner sizes segments by their documents, and plans
		// for at least FloorSegmentSize (2,000 by default) in the first
		// tier: an index of fewer documents than that is to be one
		// segment, and every batch written merged into it. A job
		// document holds a whole job's log, so that the segment of a
		// batch of thousands of log items holds a few dozen documents:
		// with no floor, the planner keeps about MaxSegmentsPerTier
		// segments of each size, as it does for an index of a document
		// per record. Close merges what is left (mergeIfMany).
		"scorchMergePlanOptions": map[string]any{
			"MaxSegmentsPerTier":   d.MaxSegmentsPerTier,
			"MaxSegmentSize":       d.MaxSegmentSize,
			"TierGrowth":           d.TierGrowth,
			"SegmentsPerMergeTask": d.SegmentsPerMergeTask,
			"FloorSegmentSize":     1,
			"ReclaimDeletesWeight": d.ReclaimDeletesWeight,
		},
	}
}

// Index is an open full-text index.
type Index struct {
	bi   bleve.Index
	path string
	// lazy is set on a writer on disk, whose batches the persister writes
	// behind them (writerConfig).
	lazy bool
	// mergeMax, when not 0, bounds the documents of a segment that
	// mergeIfMany makes.
	mergeMax int64
}

// Options configure Open.
type Options struct {
	// ReadOnly opens for searching only; it waits for a writer's lock.
	ReadOnly bool
	// LockTimeout bounds that wait; default one minute.
	LockTimeout time.Duration
}

// keywordAnalyzer indexes a keyword field's value as one lower-cased term,
// so that LAUNCH_FAILED, launch_failed and InTransitToCustomer all match
// whatever case the API used.
const keywordAnalyzer = "keywordLower"

// newMapping is the index layout: one field of the values of every keyword
// field, IDs and enums (see keywordsField), and analysed text with term
// positions (phrase queries need them). Nothing is stored and there are no doc values or composite field: answers come from
// the archive, which holds every record, so the index keeps only what
// finding records takes.
func newMapping() (mapping.IndexMapping, error) {
	lean := func(f *mapping.FieldMapping) *mapping.FieldMapping {
		f.Store, f.IncludeTermVectors, f.IncludeInAll, f.DocValues = false, false, false, false
		return f
	}
	kw := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = keywordAnalyzer
		f.SkipFreqNorm = true
		return lean(f)
	}
	text := lean(bleve.NewTextFieldMapping())
	text.Analyzer = standard.Name
	text.IncludeTermVectors = true

	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(keywordsField, kw())
	for _, f := range Fields {
		if f.Match == MatchText {
			doc.AddFieldMappingsAt(f.Name, text)
		}
	}

	m := bleve.NewIndexMapping()
	if err := m.AddCustomAnalyzer(keywordAnalyzer, map[string]any{
		"type":          custom.Name,
		"tokenizer":     single.Name,
		"token_filters": []any{lowercase.Name},
	}); err != nil {
		return nil, fmt.Errorf("index mapping: %w", err)
	}
	m.DefaultMapping = doc
	m.DefaultField = DefaultField
	m.DefaultAnalyzer = standard.Name
	m.IndexDynamic, m.StoreDynamic, m.DocValuesDynamic = false, false, false
	return m, nil
}

// Open opens the index of the archive in dir. A writer creates it if there
// is none; a reader gets ErrNoIndex.
func Open(dir string, o Options) (*Index, error) {
	name, err := currentName(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if o.ReadOnly {
			return nil, fmt.Errorf("open index in %s: %w", dir, ErrNoIndex)
		}
		return create(dir)
	}
	if err != nil {
		return nil, err
	}
	return openPath(filepath.Join(dir, name), o)
}

func openPath(path string, o Options) (*Index, error) {
	timeout := o.LockTimeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	cfg := map[string]any{"read_only": o.ReadOnly, "bolt_timeout": timeout.String()}
	if !o.ReadOnly {
		for k, v := range writerConfig() {
			cfg[k] = v
		}
	}
	bi, err := openBleve(path, cfg)
	if errors.Is(err, boltErrors.ErrTimeout) {
		// A sync holds the index while it brings it up to date.
		return nil, fmt.Errorf("open index %s: %w", path, &archive.BusyError{Dir: filepath.Dir(path), Waited: timeout})
	}
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", path, err)
	}
	x := &Index{bi: bi, path: path, lazy: !o.ReadOnly}
	if o.ReadOnly && !x.current() {
		x.Close()
		return nil, fmt.Errorf("open index %s: %w ('archiver reindex' rebuilds it)", path, ErrOldIndex)
	}
	return x, nil
}

// current reports whether the index is in this archiver's layout.
func (x *Index) current() bool {
	v, err := x.bi.GetInternal(formatKey)
	return err == nil && string(v) == Format
}

// create makes a new, empty index and makes it current.
func create(dir string) (*Index, error) {
	x, name, err := build(dir)
	if err != nil {
		return nil, err
	}
	if err := setCurrent(dir, name); err != nil {
		x.Close()
		os.RemoveAll(x.path)
		return nil, err
	}
	return x, nil
}

// build makes a new, empty index directory in dir, not yet current.
func build(dir string) (*Index, string, error) {
	var r [6]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, "", err
	}
	name := "index-" + hex.EncodeToString(r[:]) + ".bleve"
	path := filepath.Join(dir, name)
	m, err := newMapping()
	if err != nil {
		return nil, "", err
	}
	// A failed creation leaves no directory behind.
	bi, err := bleve.NewUsing(path, m, bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore, writerConfig())
	if err != nil {
		os.RemoveAll(path)
		return nil, "", fmt.Errorf("create index %s: %w", path, err)
	}
	if err := bi.SetInternal(formatKey, []byte(Format)); err != nil {
		bi.Close()
		os.RemoveAll(path)
		return nil, "", fmt.Errorf("create index %s: %w", path, err)
	}
	x := &Index{bi: bi, path: path, lazy: true}
	if err := x.persist(); err != nil {
		bi.Close()
		os.RemoveAll(path)
		return nil, "", fmt.Errorf("create index %s: %w", path, err)
	}
	if err := restrictModes(path); err != nil {
		bi.Close()
		os.RemoveAll(path)
		return nil, "", fmt.Errorf("create index %s: %w", path, err)
	}
	return x, name, nil
}

func currentName(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, CurrentFile))
	if err != nil {
		return "", err
	}
	name := strings.TrimSpace(string(b))
	if name == "" || strings.ContainsAny(name, `/\`) || !strings.HasPrefix(name, "index-") {
		return "", fmt.Errorf("%s in %s names no index directory", CurrentFile, dir)
	}
	return name, nil
}

// setCurrent makes the index directory name current, atomically.
func setCurrent(dir, name string) error {
	tmp := filepath.Join(dir, CurrentFile+".tmp")
	if err := os.WriteFile(tmp, []byte(name+"\n"), 0o600); err != nil {
		return fmt.Errorf("switch index: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("switch index: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, CurrentFile)); err != nil {
		return fmt.Errorf("switch index: %w", err)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Close closes the index, writing out what it holds.
func (x *Index) Close() error {
	var err error
	if x.lazy {
		err = x.persist()
		if err == nil {
			err = x.mergeIfMany()
		}
	}
	if cerr := x.bi.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("close index %s: %w", x.path, err)
	}
	return nil
}

// mergeAbove is how many segments a writer leaves without merging them
// when it closes, and mergeWait how long it merges at most.
const (
	mergeAbove = 16
	mergeWait  = 2 * time.Minute
)

// mergeIfMany merges the index's segments, as scorch's merger does in the
// background, if there are more than mergeAbove, and waits until the
// merged ones are on disk. A writer that closes soon after it opened (a
// step of a sync) would otherwise stop the merger before it got far, and
// an index built in many steps would be left in hundreds of small
// segments, larger and slower to search.
func (x *Index) mergeIfMany() error {
	adv, err := x.bi.Advanced()
	if err != nil {
		return nil
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return nil
	}
	segments := func() uint64 {
		n, _ := s.StatsMap()["TotFileSegmentsAtRoot"].(uint64)
		return n
	}
	plan := mergeplan.DefaultMergePlanOptions
	if x.mergeMax > 0 {
		plan.MaxSegmentSize = x.mergeMax
	}
	// Merges left unfinished after mergeWait leave the index as it was,
	// in more segments: scorch stops a merge whose context ends.
	ctx, cancel := context.WithTimeout(context.Background(), mergeWait)
	defer cancel()
	// A round of merges the merger had begun may leave the next round
	// most of the work: a few rounds, while they help.
	for round, n := 0, segments(); round < 3 && n > mergeAbove && ctx.Err() == nil; round++ {
		if err := s.ForceMerge(ctx, &plan); err != nil {
			return fmt.Errorf("merge index segments: %w", err)
		}
		if err := x.persist(); err != nil {
			return err
		}
		now := segments()
		if now >= n {
			break
		}
		n = now
	}
	return nil
}

// persistWait bounds how long persist waits for the persister.
const persistWait = time.Minute

// persist waits until every batch written so far is on disk, synced. scorch
// closes without writing what its persister has not reached yet, so a
// writer's Close calls it first. It sends an empty batch, which the
// persister reaches after every batch before it, and waits for it.
func (x *Index) persist() error {
	done := make(chan error, 1)
	b := x.bi.NewBatch()
	b.SetPersistedCallback(func(err error) {
		select {
		case done <- err:
		default:
		}
	})
	if err := guard(func() error { return x.bi.Batch(b) }); err != nil {
		return fmt.Errorf("write index to disk: %w", err)
	}
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("write index to disk: %w", err)
		}
		return nil
	case <-time.After(persistWait):
		return fmt.Errorf("write index to disk: not written after %v", persistWait)
	}
}

// SetFormatForTesting records v as the index's layout version, so that
// tests of other packages can make an index of another layout.
func (x *Index) SetFormatForTesting(v string) error {
	if err := x.bi.SetInternal(formatKey, []byte(v)); err != nil {
		return fmt.Errorf("index %s: set format: %w", x.path, err)
	}
	return nil
}

// Position returns the archive change-log position the index reflects.
func (x *Index) Position() (uint64, error) {
	v, err := x.bi.GetInternal(positionKey)
	if err != nil {
		return 0, fmt.Errorf("index position: %w", err)
	}
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("index position is malformed")
	}
	return binary.BigEndian.Uint64(v), nil
}

// Count returns the number of documents in the index.
func (x *Index) Count() (uint64, error) { return x.bi.DocCount() }

// batcher fills bleve batches and writes each with the position it reaches.
// A batch is written in the background while the next one is filled (the
// records read and turned into documents): at most one batch is being
// written at a time, in order, so the positions recorded only go forward.
// A batcher of a new index (fill) writes up to two batches at once, whose
// order does not matter, and the one with the position after all others.
type batcher struct {
	x     *Index
	an    analyzers
	b     *bleve.Batch
	n     int
	total int
	// writing are the batches being written, oldest first: at most
	// parallel of them.
	writing  []flight
	parallel int
	// jobs is set for an index on disk, which holds DRS log items in job
	// documents (see jobdoc.go); a memory index holds a document for each.
	jobs bool
	// touched are the jobs whose documents are to be written again before
	// the next batch, in the order first met.
	touched  map[archive.JobRef]bool
	jobOrder []archive.JobRef
	// docs are the documents of the log items put since the job
	// documents were last written, for putJobs.
	docs map[archive.Key]Document
	// oldSeq is the highest record sequence number the index had met
	// before, and maxSeq the highest now.
	oldSeq, maxSeq uint64
}

// seen notes the key of a record indexed.
func (bt *batcher) seen(k archive.Key) { bt.maxSeq = max(bt.maxSeq, k.Seq()) }

// flight is a batch being written: its outcome, and its documents.
type flight struct {
	done chan error
	n    int
}

// inFlight is the number of documents in the batches being written.
func (bt *batcher) inFlight() int {
	n := 0
	for _, f := range bt.writing {
		n += f.n
	}
	return n
}

// put indexes rec. In an index on disk a DRS log item is indexed in its
// job's document, which putJobs writes before the batch, and in one of its
// own only if its text is more than its event.
func (bt *batcher) put(rec archive.Record) error {
	d, err := NewDocument(rec)
	if err != nil {
		return err
	}
	bt.seen(rec.Key)
	bt.n++
	if bt.jobs && inJobDocument(rec) {
		bt.touch(jobOf(rec))
		if bt.docs == nil {
			bt.docs = map[archive.Key]Document{}
		}
		bt.docs[rec.Key] = d
		if _, ok := bt.an.keywordOnly(d); ok {
			if rec.Key.Seq() <= bt.oldSeq {
				// Written over: its text may have been more before.
				bt.b.Delete(DocID(rec.Kind, rec.Key))
			}
			return nil
		}
	}
	return bt.b.IndexAdvanced(bt.an.bleveDocument(DocID(rec.Kind, rec.Key), rec.Key, d))
}

// newBatcher returns a batcher filling batches of x.
func (x *Index) newBatcher() (*batcher, error) {
	an, err := newAnalyzers(x.bi.Mapping())
	if err != nil {
		return nil, err
	}
	return &batcher{x: x, an: an, b: x.bi.NewBatch(), parallel: 1}, nil
}

func (bt *batcher) del(kind archive.Kind, k archive.Key) {
	bt.n++
	bt.b.Delete(DocID(kind, k))
}

// flush starts writing the batch, recording pos as the position it
// reflects, once every batch before it is written. wait waits for it.
func (bt *batcher) flush(pos uint64) error {
	var v, seq [8]byte
	binary.BigEndian.PutUint64(v[:], pos)
	bt.b.SetInternal(positionKey, v[:])
	binary.BigEndian.PutUint64(seq[:], bt.maxSeq)
	bt.b.SetInternal(seqKey, seq[:])
	if err := bt.waitAll(); err != nil {
		return err
	}
	return bt.start()
}

// start starts writing the batch as it is, without a position, once fewer
// than bt.parallel batches are being written.
func (bt *batcher) start() error {
	for len(bt.writing) >= bt.parallel {
		if err := bt.wait(); err != nil {
			return err
		}
	}
	b, bi, done := bt.b, bt.x.bi, make(chan error, 1)
	go func() { done <- guard(func() error { return bi.Batch(b) }) }()
	bt.writing = append(bt.writing, flight{done, bt.n})
	bt.b, bt.n = bt.x.bi.NewBatch(), 0
	return nil
}

// wait waits for the oldest batch being written, if any, and returns its
// error.
func (bt *batcher) wait() error {
	if len(bt.writing) == 0 {
		return nil
	}
	f := bt.writing[0]
	bt.writing = bt.writing[1:]
	if err := <-f.done; err != nil {
		return fmt.Errorf("index batch: %w", err)
	}
	bt.total += f.n
	return nil
}

// waitAll waits for every batch being written; it returns the first
// error.
func (bt *batcher) waitAll() error {
	var first error
	for len(bt.writing) > 0 {
		if err := bt.wait(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// finish waits for the batches being written and returns err, or the
// batch's error if err is nil.
func (bt *batcher) finish(err error) error {
	if werr := bt.waitAll(); err == nil {
		err = werr
	}
	return err
}

// Update brings the index up to the archive snapshot r: it applies every
// change-log entry after the index's position, in batches, each recording
// the position of the last entry it holds whole (the last batch, r's). It returns the number of documents written or
// deleted. An index ahead of the archive (another archive's, or one restored
// from an older copy) is an error; Rebuild mends it.
func (x *Index) Update(ctx context.Context, r *archive.Reader) (int, error) {
	return x.update(ctx, r, 0)
}

// errEnough ends a limited update's pass over the change log.
var errEnough = errors.New("enough for one step")

// update is Update, stopping at the end of the first change-log entry by
// which max documents are written or deleted, if max > 0.
func (x *Index) update(ctx context.Context, r *archive.Reader, max int) (int, error) {
	from, err := x.Position()
	if err != nil {
		return 0, err
	}
	to, err := r.Position()
	if err != nil {
		return 0, err
	}
	if from > to {
		return 0, fmt.Errorf("index is at change %d but the archive only at %d: run 'archiver reindex'", from, to)
	}
	if from == 0 && to > 0 {
		// A new index starts from every record rather than the whole change
		// log, whose older entries may have been pruned.
		return fill(ctx, x, r)
	}
	defer relaxGC()()
	bt, err := x.newBatcher()
	if err != nil {
		return 0, err
	}
	bt.jobs = true
	if bt.oldSeq, err = x.seq(); err != nil {
		return 0, err
	}
	bt.maxSeq = bt.oldSeq
	logDeletes := false
	err = r.MutationsSince(from, func(pos uint64, muts []archive.Mutation) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, m := range muts {
			switch m.Op {
			case archive.OpPut:
				rec, ok, err := r.GetBorrowed(m.Kind, m.Key)
				if err != nil {
					return err
				}
				if !ok {
					continue // deleted by a later entry
				}
				if err := bt.put(rec); err != nil {
					return err
				}
			case archive.OpDelete:
				bt.del(m.Kind, m.Key)
				logDeletes = logDeletes || m.Kind == logKind
			}
			if bt.n >= batchSize {
				// A batch may end inside an entry (a step of a large
				// import holds tens of thousands of writes): it records
				// the position before the entry, which is applied again
				// after a stop, writing the same documents.
				if err := bt.putJobs(r); err != nil {
					return err
				}
				r.ReleaseMapped()
				if err := bt.flush(pos - 1); err != nil {
					return err
				}
			}
		}
		if max > 0 && bt.total+bt.inFlight()+bt.n >= max {
			to = pos
			return errEnough
		}
		return nil
	})
	if errors.Is(err, errEnough) {
		err = nil
	}
	if err == nil {
		err = bt.putJobs(r)
	}
	if err == nil && (bt.n > 0 || from != to) {
		err = bt.flush(to)
	}
	if err == nil && logDeletes {
		// The job documents of deleted log items are found by their
		// positions, once every batch before is in.
		if err = bt.waitAll(); err == nil {
			err = bt.mendJobs(ctx, r)
		}
		if err == nil {
			err = bt.flush(to)
		}
	}
	err = bt.finish(err)
	return bt.total, err
}

// seq returns the highest record sequence number the index has met.
func (x *Index) seq() (uint64, error) {
	v, err := x.bi.GetInternal(seqKey)
	if err != nil {
		return 0, fmt.Errorf("index sequence: %w", err)
	}
	if len(v) != 8 {
		return 0, nil
	}
	return binary.BigEndian.Uint64(v), nil
}

// Rebuild makes a new index of every record in the archive snapshot r
// beside the current one, then makes it current and removes the old one.
// The index in use stays whole until the switch.
func Rebuild(ctx context.Context, dir string, r *archive.Reader) (int, error) {
	x, name, err := build(dir)
	if err != nil {
		return 0, err
	}
	n, err := fill(ctx, x, r)
	if cerr := x.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		os.RemoveAll(x.path)
		return n, err
	}
	old, _ := currentName(dir)
	if err := setCurrent(dir, name); err != nil {
		os.RemoveAll(x.path)
		return n, err
	}
	if old != "" && old != name {
		os.RemoveAll(filepath.Join(dir, old))
	}
	return n, nil
}

// fill indexes every record of r into x and records r's position.
func fill(ctx context.Context, x *Index, r *archive.Reader) (int, error) {
	pos, err := r.Position()
	if err != nil {
		return 0, err
	}
	defer relaxGC()()
	bt, err := x.newBatcher()
	if err != nil {
		return 0, err
	}
	bt.parallel = 2
	bt.jobs = true
	// The position is reached only when every record is in: until then
	// the batches hold none, and any order will do.
	next := func() error {
		if bt.n < fillBatch {
			return nil
		}
		r.ReleaseMapped()
		return bt.start()
	}
	for _, kind := range kinds.Names() {
		if kind == logKind {
			if err := bt.fillJobs(ctx, r, next); err != nil {
				return bt.total, bt.finish(err)
			}
			continue
		}
		// A document keeps nothing of its record: the record's data is
		// read in place.
		err := r.EachBorrowed(kind, func(rec archive.Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := bt.put(rec); err != nil {
				return err
			}
			return next()
		})
		if err != nil {
			return bt.total, bt.finish(err)
		}
	}
	err = bt.finish(bt.flush(pos))
	return bt.total, err
}

// Difference is one way in which the index and an archive snapshot
// differ.
type Difference struct {
	// Where is where something is that the other does not hold: "archive"
	// or "index".
	Where string
	// Kind and Key name the record, if one is named.
	Kind archive.Kind
	Key  archive.Key
	// Job, when Kind is empty, is the job whose log's document differs,
	// and Detail says how.
	Job    archive.JobRef
	Detail string
}

// String says what d is, in a sentence without a final stop.
func (d Difference) String() string {
	other := "index"
	if d.Where == "index" {
		other = "archive"
	}
	if d.Kind == "" {
		return fmt.Sprintf("the index's document of the log of job %s (%s, %s) %s", d.Job.JobID, d.Job.Region, d.Job.Account, d.Detail)
	}
	return fmt.Sprintf("%s record %x is in the %s but not the %s", d.Kind, d.Key, d.Where, other)
}

// Diff compares the index with the archive snapshot r and calls fn for
// each way they differ: a record in one and not the other, or a job
// document whose items are not those of its job's log. Records the archive
// changed after the index's position are left out: the index has not
// reached them yet, which is no fault. It returns how many such records
// there are.
func (x *Index) Diff(ctx context.Context, r *archive.Reader, fn func(Difference) error) (int, error) {
	lag, err := x.Lag(r)
	if err != nil {
		return 0, err
	}
	an, err := newAnalyzers(x.bi.Mapping())
	if err != nil {
		return 0, err
	}
	pending := map[string]bool{}
	// Job documents are left out while any log item is pending: a
	// deleted item's job is not known.
	logPending := false
	for _, ref := range lag.Records {
		pending[DocID(ref.Kind, ref.Key)] = true
		logPending = logPending || ref.Kind == logKind
	}
	// The documents the archive calls for: one for each record, but the
	// log items whose text is their event alone, which their job's
	// document holds whole.
	inArchive := map[string]bool{}
	walked := 0
	for _, kind := range kinds.Names() {
		err := r.EachKey(kind, func(k archive.Key, decode func() (archive.Record, error)) error {
			if walked++; walked%4096 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			id := DocID(kind, k)
			if kind == logKind && !pending[id] {
				rec, err := decode()
				if err != nil {
					return err
				}
				d, err := NewDocument(rec)
				if err != nil {
					return err
				}
				if _, ok := an.keywordOnly(d); ok && inJobDocument(rec) {
					return nil
				}
			}
			inArchive[id] = true
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	report := func(where, id string) error {
		kind, k, err := ParseDocID(id)
		if err != nil {
			return err
		}
		return fn(Difference{Where: where, Kind: kind, Key: k})
	}
	seen := map[string]bool{}
	err = x.eachID(ctx, func(id string) error {
		if _, ok := parseJobDocID(id); ok {
			return nil // below
		}
		seen[id] = true
		if !inArchive[id] && !pending[id] {
			return report("index", id)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for id := range inArchive {
		if !seen[id] && !pending[id] {
			if err := report("archive", id); err != nil {
				return 0, err
			}
		}
	}
	if logPending {
		return len(pending), nil
	}
	have, err := x.jobPositions(ctx)
	if err != nil {
		return 0, err
	}
	err = r.EachJobKeys(func(j archive.JobRef, keys []archive.Key) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		id := jobDocID(j)
		pos := have[id]
		delete(have, id)
		held := make(map[int]bool, len(pos))
		for _, p := range pos {
			held[p] = true
		}
		for i, k := range keys {
			if !held[i+1] {
				if err := fn(Difference{Where: "archive", Kind: logKind, Key: k}); err != nil {
					return err
				}
			}
		}
		for _, p := range pos {
			if p < 1 || p > len(keys) {
				if err := fn(Difference{Where: "index", Job: j, Detail: fmt.Sprintf("holds an item at position %d of a log of %d items", p-1, len(keys))}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, id := range slices.Sorted(maps.Keys(have)) {
		j, _ := parseJobDocID(id)
		if err := fn(Difference{Where: "index", Job: j, Detail: "is there, but the archive holds no log of the job"}); err != nil {
			return 0, err
		}
	}
	return len(pending), nil
}

// reader returns a reader of the index's current snapshot, to be closed.
func (x *Index) reader() (bindex.IndexReader, error) {
	adv, err := x.bi.Advanced()
	if err != nil {
		return nil, err
	}
	return adv.Reader()
}

// eachID calls fn with the ID of every document in the index, in the
// index's own order, reading the documents' IDs directly: one pass, however
// many documents there are.
func (x *Index) eachID(ctx context.Context, fn func(id string) error) error {
	rd, err := x.reader()
	if err != nil {
		return fmt.Errorf("list index documents: %w", err)
	}
	defer rd.Close()
	ids, err := rd.DocIDReaderAll()
	if err != nil {
		return fmt.Errorf("list index documents: %w", err)
	}
	defer ids.Close()
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		internal, err := ids.Next()
		if err != nil {
			return fmt.Errorf("list index documents: %w", err)
		}
		if internal == nil {
			return nil
		}
		id, err := rd.ExternalID(internal)
		if err != nil {
			return fmt.Errorf("list index documents: %w", err)
		}
		if err := fn(id); err != nil {
			return err
		}
	}
}

// Sync brings the index of the archive in dir up to the snapshot r: it
// creates the index if there is none, rebuilds it if it is damaged, was
// made in another layout or is ahead of the archive, and otherwise catches
// it up (see SyncWith). It returns the number of documents written or
// removed.
func Sync(ctx context.Context, dir string, r *archive.Reader, lockTimeout time.Duration) (int, error) {
	return SyncWith(ctx, dir, r, SyncOptions{LockTimeout: lockTimeout})
}

// NewMemory returns an empty index held in memory, with the same layout as
// one on disk: queries use it for records the disk index has not reached.
func NewMemory() (*Index, error) {
	m, err := newMapping()
	if err != nil {
		return nil, err
	}
	bi, err := bleve.NewMemOnly(m)
	if err != nil {
		return nil, fmt.Errorf("memory index: %w", err)
	}
	return &Index{bi: bi, path: "(memory)"}, nil
}

// Add indexes recs, without recording any position.
func (x *Index) Add(recs []archive.Record) error {
	bt, err := x.newBatcher()
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if err := bt.put(rec); err != nil {
			return err
		}
	}
	return bt.finish(bt.start())
}
