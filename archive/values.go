package archive

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/internal/reczip"
)

// A record's stored value is its logical value (the layout of package
// recfmt: header, then the verbatim data) or that value compressed with a
// dictionary of its kind (package reczip). Every hash of a record is of its
// logical value, and every read of a stored value goes through logical, so
// nothing above this file sees whether a record is compressed.

// dicts returns the compression dictionaries as r's transaction sees them.
func (r *Reader) dicts() *reczip.Table {
	if r.zt == nil || !r.zt.Of(r.tx) {
		r.zt = reczip.For(r.tx)
	}
	return r.zt
}

// logical returns the logical value of the stored value v of the record at
// key k. It is v itself unless v is compressed; fresh says it is a new
// slice, the caller's to keep. A damaged compressed value gives an error
// naming the record.
func (r *Reader) logical(k, v []byte) (out []byte, fresh bool, err error) {
	if reczip.IsRef(v) {
		// A slice of a cached block, not the caller's to keep: a reader
		// is used by one goroutine, and the block's memory is reused only
		// once eight other blocks have been read.
		err = r.blockRecord(k, v, func(lv []byte) error {
			out = lv
			return nil
		})
		return out, false, err
	}
	if !reczip.IsCompressed(v) {
		return v, false, nil
	}
	out, err = r.dicts().Logical(v)
	if err != nil {
		return nil, false, fmt.Errorf("record %x: %w", k, err)
	}
	return out, true, nil
}

// decode parses the stored value v of the record at key k.
func (r *Reader) decode(k, v []byte) (Record, error) { return r.decodeAs(k, v, false) }

// decodeBorrowed is decode for a caller that keeps nothing of the
// record's data past its next read of r (see EachBorrowed): the data is a
// slice of v, or of the block v refers to, not a copy.
func (r *Reader) decodeBorrowed(k, v []byte) (Record, error) { return r.decodeAs(k, v, true) }

// decodeAs is decode, or decodeBorrowed if borrow is set.
func (r *Reader) decodeAs(k, v []byte, borrow bool) (Record, error) {
	if reczip.IsRef(v) {
		var rec Record
		var derr error
		err := r.blockRecord(k, v, func(lv []byte) error {
			// Unless borrowed, the record copies what it keeps of lv.
			rec, derr = decodeRecord(k, lv, borrow)
			return nil
		})
		if err != nil {
			return Record{}, fmt.Errorf("decode record %x: %w", k, err)
		}
		return rec, derr
	}
	return decodeValue(r.dicts(), k, v, borrow)
}

// decodeValue parses the stored value v of the record at key k with the
// dictionaries of zt; owned says v is the caller's to keep, so that the
// record's data may be a slice of it.
func decodeValue(zt *reczip.Table, k, v []byte, owned bool) (Record, error) {
	lv := v
	if reczip.IsCompressed(v) {
		var err error
		if lv, err = zt.Logical(v); err != nil {
			return Record{}, fmt.Errorf("decode record %x: %w", k, err)
		}
		owned = true
	}
	return decodeRecord(k, lv, owned)
}

// storedValue returns the value to store for the logical value v of a
// record of kind: compressed when the kind has a dictionary.
func (w *Writer) storedValue(kind Kind, v []byte) ([]byte, error) {
	code, err := kindCode(kind)
	if err != nil {
		return nil, err
	}
	out, _, err := w.dicts().AppendStored(nil, code, v)
	if err != nil {
		return nil, fmt.Errorf("compress %s record: %w", kind, err)
	}
	return out, nil
}

// putValue stores the record of kind with logical value v at key k.
func (w *Writer) putValue(b *bolt.Bucket, kind Kind, k, v []byte) error {
	sv, err := w.storedValue(kind, v)
	if err != nil {
		return err
	}
	if inBlocks(kind) {
		// Written over, a record kept in a block leaves it.
		if err := w.release(b.Get(k)); err != nil {
			return err
		}
	}
	return b.Put(k, sv)
}

// parallelFrom is the fewest values storeCompressed shares among
// goroutines; fewer are compressed in line.
const parallelFrom = 256

// storeCompressed replaces each put's logical value with the value to
// store for it (compressed with the current dictionary of the kind with
// code kind, when it has one). Compressing is most of the CPU a write of
// new records costs, and each value is compressed on its own, so a batch
// is shared among the machine's cores. Each goroutine cuts its values
// from an arena of its own; the logical values are left as they are.
func storeCompressed(zt *reczip.Table, kind byte, puts []kv) error {
	if id, err := zt.Current(kind); err != nil || id == 0 {
		return err // nothing to compress with: stored as they are
	}
	return eachShare(len(puts), parallelFrom, func(lo, hi int) error {
		return compressPuts(zt, kind, puts[lo:hi])
	})
}

// compressPuts is storeCompressed on one goroutine.
func compressPuts(zt *reczip.Table, kind byte, puts []kv) error {
	size := 0
	for _, p := range puts {
		size += len(p.v) + 16
	}
	arena := make([]byte, 0, size)
	for i := range puts {
		start := len(arena)
		var err error
		if arena, _, err = zt.AppendStored(arena, kind, puts[i].v); err != nil {
			return fmt.Errorf("record %x: %w", puts[i].k, err)
		}
		// A slice cut before the arena grows stays valid.
		puts[i].v = arena[start:len(arena):len(arena)]
	}
	return nil
}
