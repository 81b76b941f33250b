package archive

import (
	"encoding/binary"
	"fmt"

	"github.com/archiver-dev/archiver/internal/recfmt"
)

// bucketChanges is the change log: one entry per write transaction, in
// commit order, listing every record the transaction put, touched or
// deleted. Derived data (the full-text index) follows the archive by
// reading it from the position it last reached.
const bucketChanges = "changes"

// Op says what a write transaction did to one record.
type Op byte

// The operations of the change log.
const (
	// OpPut: the record was written, new or with new contents.
	OpPut Op = 1
	// OpTouch: only the record's lastSeen moved.
	OpTouch Op = 2
	// OpDelete: the record was removed.
	OpDelete Op = 3
)

// Mutation is one entry of the change log: what happened to which record.
type Mutation struct {
	Op   Op
	Kind Kind
	Key  Key
}

// mutationLen is the encoded size of a Mutation: op, kind code, key.
const mutationLen = 2 + KeyLen

// kindCode numbers kinds for the change log, as records do (recfmt).
func kindCode(k Kind) (byte, error) { return recfmt.KindCode(string(k)) }

// note records a mutation of the current transaction.
func (w *Writer) note(op Op, kind Kind, k []byte) {
	var m Mutation
	m.Op, m.Kind = op, kind
	copy(m.Key[:], k)
	w.muts = append(w.muts, m)
}

// flushMutations appends the transaction's mutations to the change log.
func (w *Writer) flushMutations() error {
	if len(w.muts) == 0 {
		return nil
	}
	b, err := w.bucket(bucketChanges)
	if err != nil {
		return err
	}
	v := make([]byte, 0, len(w.muts)*mutationLen)
	for _, m := range w.muts {
		code, err := kindCode(m.Kind)
		if err != nil {
			return err
		}
		v = append(v, byte(m.Op), code)
		v = append(v, m.Key[:]...)
	}
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("change log: %w", err)
	}
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	if err := b.Put(k[:], v); err != nil {
		return fmt.Errorf("change log: %w", err)
	}
	return nil
}

// Position returns the position of the last change-log entry: it grows with
// every write transaction. Zero means nothing was ever written.
func (r *Reader) Position() (uint64, error) {
	b, err := r.bucket(bucketChanges)
	if err != nil {
		return 0, err
	}
	return b.Sequence(), nil
}

// MutationsSince calls fn with each change-log entry after position pos, in
// order, with the entry's own position.
func (r *Reader) MutationsSince(pos uint64, fn func(pos uint64, muts []Mutation) error) error {
	b, err := r.bucket(bucketChanges)
	if err != nil {
		return err
	}
	var start [8]byte
	binary.BigEndian.PutUint64(start[:], pos+1)
	c := b.Cursor()
	for k, v := c.Seek(start[:]); k != nil; k, v = c.Next() {
		if len(k) != 8 || len(v)%mutationLen != 0 {
			return fmt.Errorf("change log entry %x is malformed", k)
		}
		muts := make([]Mutation, 0, len(v)/mutationLen)
		for i := 0; i < len(v); i += mutationLen {
			code := int(v[i+1])
			if code >= len(recfmt.KindNames) {
				return fmt.Errorf("change log entry %x names kind %d, which this archiver does not know", k, code)
			}
			m := Mutation{Op: Op(v[i]), Kind: Kind(recfmt.KindNames[code])}
			copy(m.Key[:], v[i+2:i+mutationLen])
			muts = append(muts, m)
		}
		if err := fn(binary.BigEndian.Uint64(k), muts); err != nil {
			return err
		}
	}
	return nil
}

// Get returns the record of kind at key k, and whether there is one.
func (r *Reader) Get(kind Kind, k Key) (Record, bool, error) {
	b, err := r.bucket(string(kind))
	if err != nil {
		return Record{}, false, err
	}
	v := b.Get(k[:])
	if v == nil {
		return Record{}, false, nil
	}
	rec, err := decodeRecord(k[:], v)
	return rec, err == nil, err
}

// EachKey is Each with the key of every record; records are decoded only
// when fn asks for them through the second argument.
func (r *Reader) EachKey(kind Kind, fn func(k Key, decode func() (Record, error)) error) error {
	b, err := r.bucket(string(kind))
	if err != nil {
		return err
	}
	return b.ForEach(func(k, v []byte) error {
		var key Key
		copy(key[:], k)
		return fn(key, func() (Record, error) { return decodeRecord(k, v) })
	})
}
