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
func (r *Reader) decode(k, v []byte) (Record, error) {
	return decodeValue(r.dicts(), k, v, false)
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
	return b.Put(k, sv)
}
