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
	if err := b.Put(k[:], v); err != nil {
		return k, fmt.Errorf("put %s record %s: %w", rec.Kind, rec.name(), err)
	}
	w.note(OpPut, rec.Kind, k[:])
	return k, nil
}

// replace writes rec over the record at old. If rec's time moved, the
// record moves to a new key and the old one is deleted. It returns the key
// the record now has.
func (w *Writer) replace(b *bolt.Bucket, old Key, rec *Record) (Key, error) {
	if old.Time().UnixNano() != rec.Time.UnixNano() {
		if err := b.Delete(old[:]); err != nil {
			return old, fmt.Errorf("move %s record %s: %w", rec.Kind, rec.name(), err)
		}
		w.note(OpDelete, rec.Kind, old[:])
		return w.put(b, rec)
	}
	v, err := rec.encode()
	if err != nil {
		return old, err
	}
	if err := b.Put(old[:], v); err != nil {
		return old, fmt.Errorf("update %s record %s: %w", rec.Kind, rec.name(), err)
	}
	w.note(OpPut, rec.Kind, old[:])
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
	w.note(OpTouch, old.Kind, k[:])
	return b.Put(k[:], v)
}

// identityRef is where the archive keeps the current record of one
// identity (kind, ID, region, account): the kind's bucket, and the entry of
// the identity index that points into it.
type identityRef struct {
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
	ref := identityRef{b: b, ids: ids, id: identity(rec.Kind, rec.ID, rec.Region, rec.Account)}
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
	prev, err := decodeRecord(k[:], raw)
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
func (w *Writer) PutObservation(rec Record, fingerprint []byte) (Change, error) {
	ref, err := w.identityOf(&rec)
	if err != nil {
		return 0, err
	}
	if ref.val != nil && bytes.Equal(ref.val[KeyLen:], fingerprint) {
		old, prev, err := ref.current(&rec)
		if err != nil {
			return 0, err
		}
		return Unchanged, w.touch(ref.b, old, prev, rec.LastSeen)
	}
	k, err := w.put(ref.b, &rec)
	if err != nil {
		return 0, err
	}
	return Added, ref.ids.Put(ref.id, append(k[:], fingerprint...))
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

// lookupLog returns the index entry at lk, which belongs to job j, using
// and filling logged to skip the lookup for jobs without any entry.
func (w *Writer) lookupLog(c *bolt.Cursor, logged map[JobRef]bool, j JobRef, lk []byte) []byte {
	has, ok := logged[j]
	if !ok {
		prefix := jobPrefix(j)
		k, _ := c.Seek(prefix)
		has = k != nil && bytes.HasPrefix(k, prefix)
		logged[j] = has
	}
	if !has {
		return nil
	}
	k, v := c.Seek(lk)
	if k == nil || !bytes.Equal(k, lk) {
		return nil
	}
	return v
}

// kv is one pending bucket write.
type kv struct{ k, v []byte }

// PutLogItems keeps each item as the log item at its position, as
// PutLogItem does, and returns what each write did. Items are written in key
// order, bucket by bucket: bbolt inserts into a node by shifting the entries
// after the insertion point, so a large transaction written out of order
// costs time quadratic in its size. A position may appear only once.
func (w *Writer) PutLogItems(items []LogItem) ([]Change, error) {
	b, err := w.bucket(string(KindDRSJobLogItem))
	if err != nil {
		return nil, err
	}
	idx, err := w.bucket(bucketJobLog)
	if err != nil {
		return nil, err
	}
	changes := make([]Change, len(items))
	recPuts := make([]kv, 0, len(items))
	idxPuts := make([]kv, 0, len(items))
	putItems := make([]int, 0, len(items)) // the item of each index write
	var deletes [][]byte
	// Keys and values are cut from one growing arena rather than allocated
	// one by one; a slice cut before the arena grows stays valid.
	size := 0
	for i := range items {
		it := &items[i]
		size += len(it.Record.Data) + 2*(len(it.Job.JobID)+len(it.Job.Region)+len(it.Job.Account)) + 320
	}
	arena := make([]byte, 0, size)
	cut := func(start int) []byte { return arena[start:len(arena):len(arena)] }
	// logged says whether a job has any archived log item; a job with none
	// needs no lookup per item.
	logged := map[JobRef]bool{}
	c := idx.Cursor()
	for i := range items {
		it := &items[i]
		rec := it.Record
		rec.Kind, rec.JobID, rec.Region, rec.Account = KindDRSJobLogItem, it.Job.JobID, it.Job.Region, it.Job.Account
		p := it.Pos
		rec.Pos = &p
		start := len(arena)
		arena = binary.BigEndian.AppendUint32(appendJobPrefix(arena, it.Job), uint32(it.Pos))
		lk := cut(start)
		var old Key
		var prev *Record
		if v := w.lookupLog(c, logged, it.Job, lk); v != nil {
			copy(old[:], v)
			raw := b.Get(old[:])
			if raw == nil {
				return nil, fmt.Errorf("job log index of %s[%d] points at missing record %x", it.Job.JobID, it.Pos, old)
			}
			r, err := decodeRecord(old[:], raw)
			if err != nil {
				return nil, err
			}
			prev = &r
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
				deletes = append(deletes, old[:])
				if k, err = w.nextKey(rec.Time); err != nil {
					return nil, err
				}
			}
		}
		if changes[i] == Unchanged {
			w.note(OpTouch, KindDRSJobLogItem, k[:])
		} else {
			w.note(OpPut, KindDRSJobLogItem, k[:])
		}
		start = len(arena)
		arena = append(arena, k[:]...)
		kb := cut(start)
		start = len(arena)
		if arena, err = rec.appendEncoded(arena); err != nil {
			return nil, err
		}
		recPuts = append(recPuts, kv{kb, cut(start)})
		idxPuts = append(idxPuts, kv{lk, kb})
		putItems = append(putItems, i)
	}
	for _, d := range deletes {
		if err := b.Delete(d); err != nil {
			return nil, fmt.Errorf("replace log item: %w", err)
		}
		w.note(OpDelete, KindDRSJobLogItem, d)
	}
	if err := putInOrder(b, recPuts, recordOrder(recPuts)); err != nil {
		return nil, fmt.Errorf("put log items: %w", err)
	}
	if err := putInOrder(idx, idxPuts, logOrder(items, putItems)); err != nil {
		return nil, fmt.Errorf("index log items: %w", err)
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

// logOrder orders the job-log index writes of items: by job prefix, then
// position. put[i] is the index into items of write i.
func logOrder(items []LogItem, put []int) []int {
	var jobs []JobRef
	rank := map[JobRef]uint64{}
	for _, i := range put {
		if _, ok := rank[items[i].Job]; !ok {
			rank[items[i].Job] = 0
			jobs = append(jobs, items[i].Job)
		}
	}
	slices.SortFunc(jobs, func(x, y JobRef) int { return bytes.Compare(jobPrefix(x), jobPrefix(y)) })
	for r, j := range jobs {
		rank[j] = uint64(r)
	}
	ents := make([]sortEnt, len(put))
	for w, i := range put {
		ents[w] = sortEnt{rank[items[i].Job], uint64(uint32(items[i].Pos)), w}
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
	b, err := w.bucket(string(KindDRSJobLogItem))
	if err != nil {
		return 0, err
	}
	idx, err := w.bucket(bucketJobLog)
	if err != nil {
		return 0, err
	}
	prefix := jobPrefix(j)
	var doomed [][]byte
	c := idx.Cursor()
	for k, v := c.Seek(logKey(j, n)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		doomed = append(doomed, append([]byte(nil), k...), append([]byte(nil), v...))
	}
	for i := 0; i < len(doomed); i += 2 {
		if err := b.Delete(doomed[i+1]); err != nil {
			return 0, fmt.Errorf("trim log of %s: %w", j.JobID, err)
		}
		w.note(OpDelete, KindDRSJobLogItem, doomed[i+1])
		if err := idx.Delete(doomed[i]); err != nil {
			return 0, fmt.Errorf("trim log of %s: %w", j.JobID, err)
		}
	}
	return len(doomed) / 2, nil
}

// SetJobState records what sync knows about job j's log.
func (w *Writer) SetJobState(j JobRef, st JobState) error {
	b, err := w.bucket(bucketJobState)
	if err != nil {
		return err
	}
	v, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := b.Put(jobPrefix(j), v); err != nil {
		return fmt.Errorf("set state of job %s: %w", j.JobID, err)
	}
	return nil
}
