package archive

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/chain"
	"github.com/archiver-dev/archiver/migrations"
)

// Change says what a write did to the archive.
type Change int

// The outcomes of a write.
const (
	// Unchanged: the same state was already archived; only lastSeen moved.
	Unchanged Change = iota
	// Added: a new record was written.
	Added
	// Updated: an existing record took a new state in place.
	Updated
)

// Writer writes within one transaction. It also reads, seeing its own writes.
type Writer struct {
	Reader
	// muts is what this transaction did, for the change log.
	muts []Mutation
	// extra are the links of this transaction that write no record (events
	// such as prunes, job states), linked after muts.
	extra []chain.Link
	// steps is set for a Writer of UpdateInSteps, and written counts the
	// bytes written since its last commit.
	steps   *stepper
	written int
}

func (w *Writer) nextKey(t time.Time) (Key, error) {
	meta, err := w.bucket(migrations.MetaBucket)
	if err != nil {
		return Key{}, err
	}
	seq, err := meta.NextSequence()
	if err != nil {
		return Key{}, fmt.Errorf("next record sequence: %w", err)
	}
	return makeKey(t, seq), nil
}

// put stores rec under a fresh key and returns the key.
func (w *Writer) put(b *bolt.Bucket, rec *Record) (Key, error) {
	k, err := w.nextKey(rec.Time)
	if err != nil {
		return k, err
	}
	v, err := rec.encode()
	if err != nil {
		return k, err
	}
	if err := w.putValue(b, rec.Kind, k[:], v); err != nil {
		return k, fmt.Errorf("put %s record %s: %w", rec.Kind, rec.name(), err)
	}
	w.note(OpPut, rec.Kind, k[:], v)
	return k, nil
}

// replace writes rec over the record at old. If rec's time moved, the
// record moves to a new key and the old one is deleted. It returns the key
// the record now has.
func (w *Writer) replace(b *bolt.Bucket, old Key, rec *Record) (Key, error) {
	if old.Time().UnixNano() != rec.Time.UnixNano() {
		if err := w.deleteRecord(b, old[:]); err != nil {
			return old, fmt.Errorf("move %s record %s: %w", rec.Kind, rec.name(), err)
		}
		w.note(OpDelete, rec.Kind, old[:], nil)
		return w.put(b, rec)
	}
	v, err := rec.encode()
	if err != nil {
		return old, err
	}
	if err := w.putValue(b, rec.Kind, old[:], v); err != nil {
		return old, fmt.Errorf("update %s record %s: %w", rec.Kind, rec.name(), err)
	}
	w.note(OpPut, rec.Kind, old[:], v)
	return old, nil
}

// touch sets the lastSeen of the stored record at k to seen.
func (w *Writer) touch(b *bolt.Bucket, k Key, old Record, seen time.Time) error {
	if !seen.After(old.LastSeen) {
		return nil
	}
	old.LastSeen = seen
	v, err := old.encode()
	if err != nil {
		return err
	}
	w.note(OpTouch, old.Kind, k[:], v)
	return w.putValue(b, old.Kind, k[:], v)
}

// identityRef is where the archive keeps the current record of one
// identity (kind, ID, region, account): the kind's bucket, and the entry of
// the identity index that points into it.
type identityRef struct {
	w      *Writer
	b, ids *bolt.Bucket
	id     []byte
	val    []byte // the index entry: record key, then any fingerprint; nil if new
}

// identityOf finds the identity of rec in the archive.
func (w *Writer) identityOf(rec *Record) (identityRef, error) {
	if rec.ID == "" {
		return identityRef{}, fmt.Errorf("put %s record: no ID", rec.Kind)
	}
	b, err := w.bucket(string(rec.Kind))
	if err != nil {
		return identityRef{}, err
	}
	ids, err := w.bucket(bucketIDs)
	if err != nil {
		return identityRef{}, err
	}
	ref := identityRef{w: w, b: b, ids: ids, id: identity(rec.Kind, rec.ID, rec.Region, rec.Account)}
	ref.val = ids.Get(ref.id)
	return ref, nil
}

// current reads the record the identity points at.
func (ref identityRef) current(rec *Record) (Key, Record, error) {
	var k Key
	copy(k[:], ref.val)
	raw := ref.b.Get(k[:])
	if raw == nil {
		return k, Record{}, fmt.Errorf("identity %s %s points at missing record %x", rec.Kind, rec.ID, k)
	}
	prev, err := ref.w.decode(k[:], raw)
	return k, prev, err
}

// PutLatest keeps rec as the one current state of its identity (kind, ID,
// region, account). rec.FirstSeen and rec.LastSeen should both be the time of
// this sync; an existing record keeps its FirstSeen.
func (w *Writer) PutLatest(rec Record) (Change, error) {
	ref, err := w.identityOf(&rec)
	if err != nil {
		return 0, err
	}
	if ref.val != nil {
		old, prev, err := ref.current(&rec)
		if err != nil {
			return 0, err
		}
		if bytes.Equal(prev.Data, rec.Data) {
			return Unchanged, w.touch(ref.b, old, prev, rec.LastSeen)
		}
		rec.FirstSeen = prev.FirstSeen
		k, err := w.replace(ref.b, old, &rec)
		if err != nil {
			return 0, err
		}
		return Updated, ref.ids.Put(ref.id, k[:])
	}
	k, err := w.put(ref.b, &rec)
	if err != nil {
		return 0, err
	}
	return Added, ref.ids.Put(ref.id, k[:])
}

// PutObservation keeps rec as a new observation of its identity unless the
// last observation had the same fingerprint, in which case only that
// observation's lastSeen moves. The fingerprint is whatever the caller
// decides makes two states the same.
//
// An observation captured before the current one (an import of old AWS CLI
// output, say) is kept as history and does not become the current one.
func (w *Writer) PutObservation(rec Record, fingerprint []byte) (Change, error) {
	ch, _, err := w.PutObservationSame(rec, fingerprint, nil)
	return ch, err
}

// PutObservationSame is PutObservation with a second test of sameness for
// when the fingerprints differ: same (if not nil) is asked about the current
// observation, and when it says the two hold the same state, rec is no new
// state either: the current observation's lastSeen moves, and fingerprint
// becomes the one its identity is compared by. An observation imported from
// saved AWS CLI output lacks the members the CLI drops, so its fingerprint
// is not the one a sync computes of the same state. It returns the key of
// the record written or touched.
func (w *Writer) PutObservationSame(rec Record, fingerprint []byte, same func(cur Record) bool) (Change, Key, error) {
	ref, err := w.identityOf(&rec)
	if err != nil {
		return 0, Key{}, err
	}
	if ref.val != nil {
		old, prev, err := ref.current(&rec)
		if err != nil {
			return 0, old, err
		}
		if bytes.Equal(ref.val[KeyLen:], fingerprint) {
			return Unchanged, old, w.touch(ref.b, old, prev, rec.LastSeen)
		}
		if same != nil && same(prev) {
			if err := w.touch(ref.b, old, prev, rec.LastSeen); err != nil {
				return 0, old, err
			}
			return Unchanged, old, ref.ids.Put(ref.id, append(old[:], fingerprint...))
		}
		if rec.CapturedAt != nil && prev.CapturedAt != nil && rec.CapturedAt.Before(*prev.CapturedAt) {
			k, err := w.put(ref.b, &rec)
			return Added, k, err
		}
	}
	k, err := w.put(ref.b, &rec)
	if err != nil {
		return 0, k, err
	}
	return Added, k, ref.ids.Put(ref.id, append(k[:], fingerprint...))
}

// Widen widens the seen times of the record of kind at k to cover first
// and last, and reports whether they moved.
func (w *Writer) Widen(kind Kind, k Key, first, last time.Time) (bool, error) {
	b, err := w.bucket(string(kind))
	if err != nil {
		return false, err
	}
	raw := b.Get(k[:])
	if raw == nil {
		return false, fmt.Errorf("widen %s record %x: no such record", kind, k)
	}
	rec, err := w.decode(k[:], raw)
	if err != nil {
		return false, err
	}
	moved := false
	if !first.IsZero() && first.Before(rec.FirstSeen) {
		rec.FirstSeen, moved = first, true
	}
	if last.After(rec.LastSeen) {
		rec.LastSeen, moved = last, true
	}
	if !moved {
		return false, nil
	}
	v, err := rec.encode()
	if err != nil {
		return false, err
	}
	w.note(OpTouch, kind, k[:], v)
	return true, w.putValue(b, kind, k[:], v)
}

// MergeLatest is PutLatest for a record that may be older than the one
// archived, such as one imported from saved AWS CLI output. same says
// whether the archived record holds rec's state. The same state widens the
// archived record's seen times to cover rec's; another state replaces the
// archived one only if rec was seen after it.
func (w *Writer) MergeLatest(rec Record, same func(prev Record) bool) (Change, error) {
	ref, err := w.identityOf(&rec)
	if err != nil {
		return 0, err
	}
	if ref.val == nil {
		k, err := w.put(ref.b, &rec)
		if err != nil {
			return 0, err
		}
		return Added, ref.ids.Put(ref.id, k[:])
	}
	old, prev, err := ref.current(&rec)
	if err != nil {
		return 0, err
	}
	if same(prev) {
		if !rec.FirstSeen.Before(prev.FirstSeen) && !rec.LastSeen.After(prev.LastSeen) {
			return Unchanged, nil
		}
		if rec.FirstSeen.Before(prev.FirstSeen) {
			prev.FirstSeen = rec.FirstSeen
		}
		if rec.LastSeen.After(prev.LastSeen) {
			prev.LastSeen = rec.LastSeen
		}
		v, err := prev.encode()
		if err != nil {
			return 0, err
		}
		w.note(OpTouch, prev.Kind, old[:], v)
		return Unchanged, w.putValue(ref.b, prev.Kind, old[:], v)
	}
	if !rec.LastSeen.After(prev.LastSeen) {
		return Unchanged, nil // the archive holds a later state
	}
	rec.FirstSeen = prev.FirstSeen
	k, err := w.replace(ref.b, old, &rec)
	if err != nil {
		return 0, err
	}
	return Updated, ref.ids.Put(ref.id, k[:])
}

// PutLogItem keeps rec as the log item at position pos of job j. A
// different item already at that position is replaced.
func (w *Writer) PutLogItem(j JobRef, pos int, rec Record) (Change, error) {
	ch, err := w.PutLogItems([]LogItem{{Job: j, Pos: pos, Record: rec}})
	if err != nil {
		return 0, err
	}
	return ch[0], nil
}

// LogItem is one log item to archive: the item at position Pos in the log
// of Job.
type LogItem struct {
	Job    JobRef
	Pos    int
	Record Record
}

// kv is one pending bucket write.
type kv struct{ k, v []byte }

// PutLogItems keeps each item as the log item at its position, as
// PutLogItem does, and returns what each write did. A job's items must come
// in position order, each position at most once, without gaps after what
// the job's log already holds.
//
// Records are written in key order: bbolt inserts into a node by shifting
// the entries after the insertion point, so a large transaction written out
// of order costs time quadratic in its size. The job-log index gets one
// write per job.
func (w *Writer) PutLogItems(items []LogItem) ([]Change, error) {
	lb := w.LogBatch()
	changes, err := lb.Put(items)
	if err != nil {
		return nil, err
	}
	return changes, lb.Flush()
}

// LogBatches writes log items in batches, as PutLogItems does, and the
// job-log index of each job once, at Flush: a log too long to hold in
// memory whole is written a batch at a time, and the index, which lists
// every record key of a job's log, is not written again for every batch.
// Until Flush, the archive's job-log index does not list the items put.
type LogBatches struct {
	w *Writer
	// logs holds each job's list of record keys as the batches leave it.
	logs  map[JobRef][]Key
	order []JobRef
}

// LogBatch returns an empty LogBatches of w.
func (w *Writer) LogBatch() *LogBatches {
	return &LogBatches{w: w, logs: map[JobRef][]Key{}}
}

// Flush writes the job-log index of every job the batches put items of.
func (lb *LogBatches) Flush() error {
	idx, err := lb.w.bucket(bucketJobLog)
	if err != nil {
		return err
	}
	idxPuts := make([]kv, len(lb.order))
	for i, j := range lb.order {
		idxPuts[i] = kv{jobPrefix(j), encodeJobList(lb.logs[j])}
	}
	slices.SortFunc(idxPuts, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
	for _, p := range idxPuts {
		if err := idx.Put(p.k, p.v); err != nil {
			return fmt.Errorf("index log items: %w", err)
		}
	}
	lb.logs, lb.order = map[JobRef][]Key{}, nil
	return nil
}

// Put writes one batch of log items, as PutLogItems does, after those of
// the batches before it.
func (lb *LogBatches) Put(items []LogItem) ([]Change, error) {
	w := lb.w
	b, err := w.bucket(string(kinds.DRSJobLogItem))
	if err != nil {
		return nil, err
	}
	idx, err := w.bucket(bucketJobLog)
	if err != nil {
		return nil, err
	}
	logCode, err := kindCode(kinds.DRSJobLogItem)
	if err != nil {
		return nil, err
	}
	changes := make([]Change, len(items))
	recPuts := make([]kv, 0, len(items))
	var deletes [][]byte
	// Keys and values are cut from one arena rather than allocated one by
	// one; a slice cut before the arena grows stays valid.
	size := 0
	for i := range items {
		size += len(items[i].Record.Data) + 128
	}
	arena := make([]byte, 0, size)
	cut := func(start int) []byte { return arena[start:len(arena):len(arena)] }
	logs := lb.logs
	for i := range items {
		it := &items[i]
		list, ok := logs[it.Job]
		if !ok {
			if list, err = jobList(idx, it.Job); err != nil {
				return nil, err
			}
			lb.order = append(lb.order, it.Job)
		}
		n := len(list)
		if it.Pos < 0 || it.Pos > n {
			return nil, fmt.Errorf("log item %s[%d]: the log holds %d items; positions must follow on", it.Job.JobID, it.Pos, n)
		}
		rec := it.Record
		rec.Kind, rec.JobID, rec.Region, rec.Account = kinds.DRSJobLogItem, it.Job.JobID, it.Job.Region, it.Job.Account
		p := it.Pos
		rec.Pos = &p
		var old Key
		var prev *Record
		var prevRaw []byte
		if it.Pos < n {
			old = list[it.Pos]
			raw := b.Get(old[:])
			if raw == nil {
				return nil, fmt.Errorf("job log index of %s[%d] points at missing record %x", it.Job.JobID, it.Pos, old)
			}
			r, err := w.decode(old[:], raw)
			if err != nil {
				return nil, err
			}
			prev = &r
			prevRaw = raw
		}
		var k Key
		switch {
		case prev == nil:
			if k, err = w.nextKey(rec.Time); err != nil {
				return nil, err
			}
			changes[i] = Added
		case bytes.Equal(prev.Data, rec.Data):
			// Unchanged: only lastSeen may move.
			changes[i] = Unchanged
			if !rec.LastSeen.After(prev.LastSeen) {
				logs[it.Job] = list
				continue
			}
			prev.LastSeen = rec.LastSeen
			rec, k = *prev, old
		default:
			rec.FirstSeen = prev.FirstSeen
			changes[i] = Updated
			if old.Time().UnixNano() == rec.Time.UnixNano() {
				k = old
			} else {
				deletes = append(deletes, append([]byte(nil), old[:]...))
				if k, err = w.nextKey(rec.Time); err != nil {
					return nil, err
				}
			}
		}
		if prev != nil && k == old {
			// Written over: it no longer holds its place in a block.
			if err := w.release(prevRaw); err != nil {
				return nil, err
			}
		}
		if it.Pos < n {
			list[it.Pos] = k
		} else {
			list = append(list, k)
		}
		logs[it.Job] = list
		start := len(arena)
		arena = append(arena, k[:]...)
		kb := cut(start)
		start = len(arena)
		if arena, err = rec.appendEncoded(arena); err != nil {
			return nil, err
		}
		vb := cut(start)
		if changes[i] == Unchanged {
			w.note(OpTouch, kinds.DRSJobLogItem, k[:], vb)
		} else {
			w.note(OpPut, kinds.DRSJobLogItem, k[:], vb)
		}
		// The chain's sum is of the logical value vb; the bucket gets
		// the stored one, made below.
		recPuts = append(recPuts, kv{kb, vb})
	}
	if err := w.storeBlocks(kinds.DRSJobLogItem, logCode, recPuts); err != nil {
		return nil, fmt.Errorf("compress log items: %w", err)
	}
	for _, d := range deletes {
		if err := w.deleteRecord(b, d); err != nil {
			return nil, fmt.Errorf("replace log item: %w", err)
		}
		w.note(OpDelete, kinds.DRSJobLogItem, d, nil)
	}
	if err := putInOrder(b, recPuts, recordOrder(recPuts)); err != nil {
		return nil, fmt.Errorf("put log items: %w", err)
	}
	return changes, nil
}

// sortEnt is the sort key of one pending write: two numbers that order the
// writes as their byte keys would, and the write's place in its slice.
// Comparing numbers is much cheaper than comparing keys byte by byte.
type sortEnt struct {
	a, b uint64
	i    int
}

func sortEnts(ents []sortEnt) []int {
	slices.SortFunc(ents, func(x, y sortEnt) int {
		if c := cmp.Compare(x.a, y.a); c != 0 {
			return c
		}
		return cmp.Compare(x.b, y.b)
	})
	order := make([]int, len(ents))
	for i, e := range ents {
		order[i] = e.i
	}
	return order
}

// recordOrder orders writes of record keys (KeyLen bytes).
func recordOrder(puts []kv) []int {
	ents := make([]sortEnt, len(puts))
	for i, p := range puts {
		ents[i] = sortEnt{binary.BigEndian.Uint64(p.k), binary.BigEndian.Uint64(p.k[8:]), i}
	}
	return sortEnts(ents)
}

// putInOrder writes puts into b in the given order, which must be key
// order. A key given twice is an error.
func putInOrder(b *bolt.Bucket, puts []kv, order []int) error {
	for n, i := range order {
		p := puts[i]
		if n > 0 && bytes.Equal(p.k, puts[order[n-1]].k) {
			return fmt.Errorf("key %x written twice", p.k)
		}
		if err := b.Put(p.k, p.v); err != nil {
			return err
		}
	}
	return nil
}

// TrimLog removes the log items of job j at positions n and beyond, so that
// the archive holds exactly the n items AWS lists now. It returns how many
// it removed.
func (w *Writer) TrimLog(j JobRef, n int) (int, error) {
	b, err := w.bucket(string(kinds.DRSJobLogItem))
	if err != nil {
		return 0, err
	}
	idx, err := w.bucket(bucketJobLog)
	if err != nil {
		return 0, err
	}
	list, err := jobList(idx, j)
	if err != nil {
		return 0, err
	}
	if n < 0 || len(list) <= n {
		return 0, nil
	}
	doomed := list[n:]
	for _, k := range doomed {
		if err := w.deleteRecord(b, k[:]); err != nil {
			return 0, fmt.Errorf("trim log of %s: %w", j.JobID, err)
		}
		w.note(OpDelete, kinds.DRSJobLogItem, k[:], nil)
	}
	prefix := jobPrefix(j)
	if n == 0 {
		err = idx.Delete(prefix)
	} else {
		err = idx.Put(prefix, encodeJobList(list[:n]))
	}
	if err != nil {
		return 0, fmt.Errorf("trim log of %s: %w", j.JobID, err)
	}
	return len(doomed), nil
}

// SetJobState records what sync knows about job j's log. A state that
// changes is a link of the hash chain (OpJobState); the same state again
// writes nothing.
func (w *Writer) SetJobState(j JobRef, st JobState) error {
	b, err := w.bucket(bucketJobState)
	if err != nil {
		return err
	}
	v, err := json.Marshal(st)
	if err != nil {
		return err
	}
	prefix := jobPrefix(j)
	if bytes.Equal(b.Get(prefix), v) {
		return nil
	}
	if err := b.Put(prefix, v); err != nil {
		return fmt.Errorf("set state of job %s: %w", j.JobID, err)
	}
	w.noteState(prefix, v)
	return nil
}
