package archive

import (
	"fmt"
	"runtime"
	gosync "sync"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/recfmt"
	"github.com/archiver-dev/archiver/internal/reczip"
)

// Log items are written once, a page of one job's log at a time, and a
// page's items are much alike; so they are stored in blocks (see package
// reczip): a block holds up to reczip.MaxBlockRecords items compressed
// together, and each item's value in its bucket refers to its place in
// the block. Other kinds are rewritten as their objects change, and
// their records stay compressed one by one.

// inBlocks reports whether records of kind are stored in blocks.
func inBlocks(kind Kind) bool {
	spec := kinds.Of(kind)
	return spec != nil && spec.Class == kinds.LogItem
}

// blockCache holds the records of the blocks a Reader read last. Records
// are mostly read in key order, which is time order: a block's records
// are neighbours there, among those of the few other jobs logging at the
// same time, so a few blocks cover a read in key order. The block dropped
// lends its memory to the one read next: a long read makes no new memory
// for its blocks once the cache is full.
type blockCache struct {
	mu gosync.Mutex
	// recent holds the blocks, the latest read first.
	recent [blockCacheSize]cachedBlock
}

// blockCacheSize is how many blocks a Reader keeps.
const blockCacheSize = 8

type cachedBlock struct {
	id uint64
	// plain is the decompressed block and recs its records, slices of it.
	plain []byte
	recs  [][]byte
}

// blockRecord calls fn, with the cache locked, with the logical value of
// the record at key k whose stored value v refers to a block. The value is
// a slice of the block as the cache holds it: it stays as it is until the
// cache drops the block and reuses its memory, after eight other blocks
// are read. A reader is used by one goroutine at a time; what is kept
// longer is copied.
func (r *Reader) blockRecord(k, v []byte, fn func(lv []byte) error) error {
	id, i, err := reczip.ParseRef(v)
	if err != nil {
		return fmt.Errorf("record %x: %w", k, err)
	}
	c := &r.blocks
	c.mu.Lock()
	defer c.mu.Unlock()
	recs, err := r.block(id)
	if err != nil {
		return fmt.Errorf("record %x: %w", k, err)
	}
	if i >= len(recs) {
		return fmt.Errorf("record %x: %w: block %d holds %d records, not %d", k, reczip.ErrDamaged, id, len(recs), i+1)
	}
	return fn(recs[i])
}

// block returns the records of block id. The caller holds r.blocks.mu.
func (r *Reader) block(id uint64) ([][]byte, error) {
	c := &r.blocks
	for i := range c.recent {
		if e := c.recent[i]; e.id == id && e.recs != nil {
			copy(c.recent[1:i+1], c.recent[:i])
			c.recent[0] = e
			return e.recs, nil
		}
	}
	b := r.tx.Bucket([]byte(reczip.BlocksBucket))
	if b == nil {
		return nil, fmt.Errorf("%w: the archive has no %s bucket", reczip.ErrDamaged, reczip.BlocksBucket)
	}
	v := b.Get(reczip.BlockKey(id))
	if v == nil {
		return nil, fmt.Errorf("%w: block %d is missing", reczip.ErrDamaged, id)
	}
	// The oldest block is dropped, and its memory reused.
	old := c.recent[blockCacheSize-1]
	c.recent[blockCacheSize-1] = cachedBlock{}
	plain, recs, err := r.dicts().ReadBlock(old.plain, old.recs, v)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", id, err)
	}
	copy(c.recent[1:], c.recent[:blockCacheSize-1])
	c.recent[0] = cachedBlock{id: id, plain: plain, recs: recs}
	return recs, nil
}

// forgetBlock drops block id from the cache.
func (r *Reader) forgetBlock(id uint64) {
	c := &r.blocks
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.recent {
		if c.recent[i].id == id {
			c.recent[i] = cachedBlock{}
		}
	}
}

// release notes that the record whose stored value was v no longer holds
// it (it is written again or removed): if v refers to a block, the block
// has one record fewer referring to it, and is removed with its last.
// A reference to a block that is missing or damaged releases nothing:
// verify reports such damage, and removing the record must not fail.
func (w *Writer) release(v []byte) error {
	if !reczip.IsRef(v) {
		return nil
	}
	id, _, err := reczip.ParseRef(v)
	if err != nil {
		return nil
	}
	bb := w.tx.Bucket([]byte(reczip.BlocksBucket))
	if bb == nil {
		return nil
	}
	key := reczip.BlockKey(id)
	bv := bb.Get(key)
	if bv == nil {
		return nil
	}
	live, err := reczip.BlockLive(bv)
	if err != nil {
		return nil
	}
	if live <= 1 {
		w.forgetBlock(id)
		if err := bb.Delete(key); err != nil {
			return fmt.Errorf("remove block %d: %w", id, err)
		}
		return nil
	}
	nv, err := reczip.WithLive(bv, live-1)
	if err != nil {
		return nil
	}
	if err := bb.Put(key, nv); err != nil {
		return fmt.Errorf("block %d: %w", id, err)
	}
	return nil
}

// deleteRecord removes the record at key k from its kind's bucket b,
// releasing its block.
func (w *Writer) deleteRecord(b *bolt.Bucket, k []byte) error {
	if err := w.release(b.Get(k)); err != nil {
		return err
	}
	return b.Delete(k)
}

// blockRun is a run of puts stored together: in one block, or one record
// alone (to).
type blockRun struct {
	from, to int
	id       uint64 // the block's ID; zero for a record alone
	value    []byte // the block's value
}

// storeBlocks replaces each put's logical value (records of kind, whose
// code is code, stored in blocks) with the value to store for it: runs of
// puts, in their order, are compressed together in blocks, written to
// the blocks bucket, and each put's value becomes its reference. A run of
// one record, and a record the kind's StoreAlone picks, is compressed
// alone. Runs are compressed on every core.
// Without a dictionary for the kind, the values are stored as they are.
func (w *Writer) storeBlocks(kind Kind, code byte, puts []kv) error {
	zt := w.dicts()
	cur, err := zt.Current(code)
	if err != nil || cur == 0 {
		return err
	}
	bb, err := w.bucket(reczip.BlocksBucket)
	if err != nil {
		// An archive from before blocks: records compressed alone.
		return storeCompressed(zt, code, puts)
	}
	var alone func([]byte) bool
	if spec := kinds.Of(kind); spec != nil {
		alone = spec.StoreAlone
	}
	single := func(v []byte) bool {
		if alone == nil {
			return false
		}
		_, data, err := recfmt.Decode(v)
		return err == nil && alone(data)
	}
	var runs []blockRun
	for i := 0; i < len(puts); {
		j, size := i, 0
		for j < len(puts) && j-i < reczip.MaxBlockRecords && size+len(puts[j].v) <= reczip.MaxBlockBytes && !single(puts[j].v) {
			size += len(puts[j].v)
			j++
		}
		if j == i {
			j = i + 1 // larger than a block, or stored alone by its kind's rule
		}
		run := blockRun{from: i, to: j}
		if j-i > 1 {
			if run.id, err = bb.NextSequence(); err != nil {
				return fmt.Errorf("new block: %w", err)
			}
		}
		runs = append(runs, run)
		i = j
	}
	err = eachShare(len(runs), parallelFrom/reczip.MaxBlockRecords, func(lo, hi int) error {
		var logicals [][]byte
		for r := lo; r < hi; r++ {
			run := &runs[r]
			if run.id == 0 {
				if err := compressPuts(zt, code, puts[run.from:run.to]); err != nil {
					return err
				}
				continue
			}
			logicals = logicals[:0]
			for _, p := range puts[run.from:run.to] {
				logicals = append(logicals, p.v)
			}
			v, err := zt.AppendBlock(nil, code, logicals)
			if err != nil {
				return fmt.Errorf("block of records %x to %x: %w", puts[run.from].k, puts[run.to-1].k, err)
			}
			run.value = v
		}
		return nil
	})
	if err != nil {
		return err
	}
	refs := make([]byte, 0, len(puts)*8)
	for _, run := range runs {
		if run.id == 0 {
			continue
		}
		if err := bb.Put(reczip.BlockKey(run.id), run.value); err != nil {
			return fmt.Errorf("block %d: %w", run.id, err)
		}
		for i := run.from; i < run.to; i++ {
			start := len(refs)
			refs = reczip.AppendRef(refs, run.id, i-run.from)
			// A slice cut before refs grows stays valid.
			puts[i].v = refs[start:len(refs):len(refs)]
		}
	}
	return nil
}

// eachShare calls fn with shares [lo, hi) of n items, at least least in
// each, on up to GOMAXPROCS goroutines at once, and returns the first
// error.
func eachShare(n, least int, fn func(lo, hi int) error) error {
	workers := min(runtime.GOMAXPROCS(0), (n+least-1)/least)
	if workers <= 1 {
		return fn(0, n)
	}
	errs := make([]error, workers)
	var wg gosync.WaitGroup
	per := (n + workers - 1) / workers
	for i := range workers {
		lo, hi := min(i*per, n), min((i+1)*per, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(lo, hi)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
