package archive

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/reczip"
	"github.com/archiver-dev/archiver/migrations"
)

// Records are stored compressed with a dictionary of their kind (see
// values.go and package reczip). No one asks for it: a write transaction
// that leaves a kind without a dictionary holding trainAt records or more
// trains one from them, and from then on records of that kind are written
// compressed. Records stored before are compressed again in bounded
// transactions, a compressPerTx at a time: the transaction that trained
// the dictionary does the first, and CompressRecords (run at the end of a
// sync and by migrate) the rest. A record is valid stored either way and
// its hashes are of its logical value, so compressing one needs no link
// of the hash chain, and a process killed midway leaves a valid archive.

// trainAt is how many records a kind must have for its dictionary to be
// trained.
const trainAt = 2048

// trainSamples bounds the records a dictionary is trained from: the first
// ones, in key order. Training takes time in proportion to them, and the
// write that reaches trainAt records waits for it; 1,024 log items give a
// dictionary within 3% of what 4,096 give (log items in blocks of 16:
// 53.2 bytes an item against 51.6), in a quarter of the time.
const trainSamples = 1024

// compressPerTx bounds the records compressed again in one transaction,
// and scanWithin the records one transaction looks at to find them (tests
// lower them).
var (
	compressPerTx = 20000
	scanWithin    = 8 * compressPerTx
)

// metaCompressedPrefix, followed by a kind, is the meta key that holds the
// ID of the dictionary (8 bytes big-endian) with which every record of the
// kind stored before it was trained has been compressed again. Records
// written since were compressed as they were written.
const metaCompressedPrefix = "compressedWith:"

// autoCompress trains the dictionary of each kind w wrote that has enough
// records and no dictionary yet, and compresses the first of its records.
func (w *Writer) autoCompress() error {
	var seen [256]bool
	for _, m := range w.muts {
		if m.Op != OpPut {
			continue
		}
		code, err := kindCode(m.Kind)
		if err != nil || seen[code] {
			continue
		}
		seen[code] = true
		cur, err := w.dicts().Current(code)
		if err != nil {
			return err
		}
		if cur != 0 || w.tx.Bucket([]byte(reczip.Bucket)) == nil {
			continue
		}
		if _, _, _, err := w.trainKind(m.Kind, code, trainAt); err != nil {
			return err
		}
	}
	return nil
}

// trainKind trains the dictionary of kind (code code) if it has at least
// least records, and compresses the first of them (see compressBatch, whose last
// key and count it returns). It reports whether it trained one.
func (w *Writer) trainKind(kind Kind, code byte, least int) (trained bool, last []byte, n int, err error) {
	b, err := w.bucket(string(kind))
	if err != nil {
		return false, nil, 0, err
	}
	c := b.Cursor()
	have := 0
	for k, _ := c.First(); k != nil && have < least; k, _ = c.Next() {
		have++
	}
	if have < least || have < reczip.MinSamples {
		return false, nil, 0, nil
	}
	samples := make([][]byte, 0, trainSamples)
	for k, v := c.First(); k != nil && len(samples) < trainSamples; k, v = c.Next() {
		lv, fresh, err := w.logical(k, v)
		if err != nil {
			return false, nil, 0, fmt.Errorf("train %s dictionary: %w", kind, err)
		}
		if !fresh {
			lv = bytes.Clone(lv)
		}
		samples = append(samples, lv)
	}
	if _, err := w.dicts().Add(code, samples); err != nil {
		if errors.Is(err, reczip.ErrTrain) {
			// The kind stays plain, as valid; the write goes on.
			return false, nil, 0, nil
		}
		return false, nil, 0, fmt.Errorf("train %s dictionary: %w", kind, err)
	}
	last, n, err = w.compressBatch(kind, code, nil)
	return true, last, n, err
}

// compressBatch compresses, with the kind's current dictionary, the
// records of kind stored plainly after key after (from the first if nil),
// at most compressPerTx of them among the next scanWithin records. It
// returns the last key it looked at, nil once it reached the end of the
// bucket, and how many it compressed. Reaching the end, it notes in meta
// that every record of the kind is compressed with the current dictionary.
func (w *Writer) compressBatch(kind Kind, code byte, after []byte) ([]byte, int, error) {
	b, err := w.bucket(string(kind))
	if err != nil {
		return nil, 0, err
	}
	zt := w.dicts()
	cur, err := zt.Current(code)
	if err != nil || cur == 0 {
		return nil, 0, err
	}
	var puts []kv
	var last, prev []byte
	c := b.Cursor()
	k, v := c.First()
	if after != nil {
		k, v = c.Seek(after)
		if k != nil && bytes.Equal(k, after) {
			k, v = c.Next()
		}
	}
	for scanned := 0; k != nil; k, v = c.Next() {
		if scanned == scanWithin || len(puts) == compressPerTx {
			last = bytes.Clone(prev)
			break
		}
		scanned++
		prev = k
		if reczip.IsCompressed(v) || reczip.IsRef(v) {
			continue
		}
		puts = append(puts, kv{bytes.Clone(k), v})
	}
	// Every value is read before any is written: the plain ones stay
	// valid until the first Put.
	store := func() error { return storeCompressed(zt, code, puts) }
	if inBlocks(kind) {
		store = func() error { return w.storeBlocks(kind, code, puts) }
	}
	if err := store(); err != nil {
		return nil, 0, fmt.Errorf("compress %s records: %w", kind, err)
	}
	n := 0
	for _, p := range puts {
		if !reczip.IsCompressed(p.v) && !reczip.IsRef(p.v) {
			continue // no smaller compressed: left as it is
		}
		if err := b.Put(p.k, p.v); err != nil {
			return nil, 0, fmt.Errorf("compress %s record %x: %w", kind, p.k, err)
		}
		n++
	}
	if last == nil {
		meta, err := w.bucket(migrations.MetaBucket)
		if err != nil {
			return nil, 0, err
		}
		if err := meta.Put([]byte(metaCompressedPrefix+string(kind)), binary.BigEndian.AppendUint64(nil, cur)); err != nil {
			return nil, 0, err
		}
	}
	return last, n, nil
}

// compressedWith returns the dictionary every record of kind stored
// before it was compressed with (zero if none).
func (r *Reader) compressedWith(kind Kind) uint64 {
	meta, err := r.bucket(migrations.MetaBucket)
	if err != nil {
		return 0
	}
	v := meta.Get([]byte(metaCompressedPrefix + string(kind)))
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// CompressOptions control CompressRecords.
type CompressOptions struct {
	// TrainAt is the fewest records of a kind that get a dictionary;
	// zero means the default, 2048, which the archive's writes use too.
	// Lower values are for tests of small archives.
	TrainAt int

	// kinds, if set, are the only kinds looked at.
	kinds []Kind
}

// compressPending returns the kinds CompressRecords has work for: those
// with a dictionary whose records are not known to be all compressed with
// it, and those without one that have enough records to train one.
func (r *Reader) compressPending(o CompressOptions) ([]Kind, error) {
	if o.TrainAt <= 0 {
		o.TrainAt = trainAt
	}
	if r.tx.Bucket([]byte(reczip.Bucket)) == nil {
		return nil, nil
	}
	var todo []Kind
	for _, kind := range kinds.Names() {
		code, err := kindCode(kind)
		if err != nil {
			return nil, err
		}
		cur, err := r.dicts().Current(code)
		if err != nil {
			return nil, err
		}
		if cur != 0 {
			if r.compressedWith(kind) != cur {
				todo = append(todo, kind)
			}
			continue
		}
		b, err := r.bucket(string(kind))
		if err != nil {
			return nil, err
		}
		n, c := 0, b.Cursor()
		for k, _ := c.First(); k != nil && n < o.TrainAt; k, _ = c.Next() {
			n++
		}
		if n >= o.TrainAt && n >= reczip.MinSamples {
			todo = append(todo, kind)
		}
	}
	return todo, nil
}

// CompressResult says what a CompressRecords did.
type CompressResult struct {
	// Trained are the kinds whose dictionary it trained.
	Trained []Kind
	// Records is the number of records it compressed.
	Records int
	// Transactions is the number of write transactions it committed.
	Transactions int
}

// CompressRecords trains the dictionary of every kind that has enough
// records and none yet, and compresses the records stored plainly of each
// kind that has one, in transactions of at most compressPerTx records.
// A cancelled ctx stops the work between transactions. A kind whose records are all compressed with its current dictionary
// costs one read of meta.
func (s *Store) CompressRecords(ctx context.Context, o CompressOptions) (CompressResult, error) {
	return compressRecords(ctx, o, func(fn func(w *Writer) error) error { return s.Update(fn) })
}

// CompressRecordsIn is CompressRecords on the archive in dir, opened for
// each transaction and closed after it, so that readers and other writers
// get in between.
func CompressRecordsIn(ctx context.Context, dir string, o Options, co CompressOptions) (CompressResult, error) {
	// A look first, with a shared lock: most of the time there is nothing
	// to do, and no writer need wait.
	ro := o
	ro.ReadOnly = true
	st, err := Open(ctx, dir, ro)
	if err != nil {
		return CompressResult{}, err
	}
	var todo []Kind
	err = st.View(func(r *Reader) error {
		var err error
		todo, err = r.compressPending(co)
		return err
	})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil || len(todo) == 0 {
		return CompressResult{}, err
	}
	co.kinds = todo
	o.ReadOnly = false
	return compressRecords(ctx, co, func(fn func(w *Writer) error) error {
		st, err := Open(ctx, dir, o)
		if err != nil {
			return err
		}
		err = st.Update(fn)
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// compressHook, when set (by tests), is called after every committed
// transaction of compressRecords; an error stops the work there.
var compressHook func(res CompressResult) error

func compressRecords(ctx context.Context, o CompressOptions, update func(fn func(w *Writer) error) error) (CompressResult, error) {
	var res CompressResult
	if o.TrainAt <= 0 {
		o.TrainAt = trainAt
	}
	todo := o.kinds
	if todo == nil {
		todo = kinds.Names()
	}
	for _, kind := range todo {
		code, err := kindCode(kind)
		if err != nil {
			return res, err
		}
		var after []byte
		for first := true; ; first = false {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			var done, wrote bool
			err := update(func(w *Writer) error {
				if w.tx.Bucket([]byte(reczip.Bucket)) == nil {
					done = true
					return nil
				}
				cur, err := w.dicts().Current(code)
				if err != nil {
					return err
				}
				if cur == 0 {
					trained, last, n, err := w.trainKind(kind, code, o.TrainAt)
					if err != nil || !trained {
						done = true
						return err
					}
					res.Trained = append(res.Trained, kind)
					res.Records += n
					after, done, wrote = last, last == nil, true
					return nil
				}
				if first && w.compressedWith(kind) == cur {
					done = true
					return nil
				}
				last, n, err := w.compressBatch(kind, code, after)
				if err != nil {
					return err
				}
				res.Records += n
				after, done, wrote = last, last == nil, wrote || n > 0
				return nil
			})
			if err != nil {
				return res, fmt.Errorf("compress %s records: %w", kind, err)
			}
			if wrote {
				res.Transactions++
				if compressHook != nil {
					if err := compressHook(res); err != nil {
						return res, err
					}
				}
			}
			if done {
				break
			}
		}
	}
	return res, nil
}
