package reczip

import (
	"encoding/binary"
	"fmt"
	gosync "sync"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/internal/recfmt"
)

// Table is the dictionaries of one archive as one transaction sees them,
// and their codecs. Its reads (Logical, Current, AppendStored) are safe
// for concurrent use; Add is not.
type Table struct {
	mu      gosync.Mutex
	tx      *bolt.Tx
	loaded  bool
	err     error
	dicts   map[uint64]entry
	current map[byte]uint64
	codecs  map[uint64]*codec
}

type entry struct {
	kind byte
	dict []byte
}

// For returns the table of the archive tx belongs to. An archive without
// the dictionaries bucket (before schema 14) has no dictionaries.
func For(tx *bolt.Tx) *Table { return &Table{tx: tx} }

func (t *Table) load() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.loadLocked()
}

func (t *Table) loadLocked() error {
	if t.loaded {
		return t.err
	}
	t.loaded = true
	t.dicts, t.current, t.codecs = map[uint64]entry{}, map[byte]uint64{}, map[uint64]*codec{}
	b := t.tx.Bucket([]byte(Bucket))
	if b == nil {
		return nil
	}
	t.err = b.ForEach(func(k, v []byte) error {
		if len(k) != 8 || len(v) < 2 {
			return fmt.Errorf("dictionaries bucket: entry %x is malformed", k)
		}
		id := binary.BigEndian.Uint64(k)
		t.dicts[id] = entry{kind: v[0], dict: v[1:]}
		if id > t.current[v[0]] {
			t.current[v[0]] = id
		}
		return nil
	})
	return t.err
}

func (t *Table) codec(id uint64) (*codec, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.loadLocked(); err != nil {
		return nil, err
	}
	if c := t.codecs[id]; c != nil {
		return c, nil
	}
	e, ok := t.dicts[id]
	if !ok {
		return nil, fmt.Errorf("%w: dictionary %d is not in the archive", ErrDamaged, id)
	}
	c, err := cachedCodec(id, e.dict)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	t.codecs[id] = c
	return c, nil
}

// Logical returns the logical value of the stored value v: v itself when
// it is not compressed, else its decompression, which must be a record in
// the layout of package recfmt. A damaged value gives an error wrapping
// ErrDamaged.
func (t *Table) Logical(v []byte) ([]byte, error) {
	if !IsCompressed(v) {
		return v, nil
	}
	id, frame, err := Split(v)
	if err != nil {
		return nil, err
	}
	c, err := t.codec(id)
	if err != nil {
		return nil, err
	}
	out, err := c.decompress(frame)
	if err != nil {
		return nil, fmt.Errorf("dictionary %d: %w", id, err)
	}
	if len(out) == 0 || out[0] != recfmt.Marker {
		return nil, fmt.Errorf("%w: dictionary %d: the frame does not hold a record", ErrDamaged, id)
	}
	return out, nil
}

// Current returns the ID of the dictionary new records of the kind with
// code kind are compressed with, zero if there is none.
func (t *Table) Current(kind byte) (uint64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.loadLocked(); err != nil {
		return 0, err
	}
	return t.current[kind], nil
}

// AppendStored appends to dst the value to store for the logical value of
// a record of the kind with code kind: compressed with the kind's current
// dictionary when it has one and that makes the value smaller, else the
// logical value itself. It reports whether it compressed.
func (t *Table) AppendStored(dst []byte, kind byte, logical []byte) ([]byte, bool, error) {
	id, err := t.Current(kind)
	if err != nil {
		return dst, false, err
	}
	if id == 0 || len(logical) > MaxLogical {
		return append(dst, logical...), false, nil
	}
	c, err := t.codec(id)
	if err != nil {
		return dst, false, err
	}
	start := len(dst)
	out, err := c.appendCompressed(dst, logical)
	if err != nil {
		return dst, false, err
	}
	if len(out)-start >= len(logical) {
		return append(out[:start], logical...), false, nil
	}
	return out, true, nil
}

// Add trains a dictionary for the kind with code kind from samples (the
// logical values of records of that kind), writes it to the dictionaries
// bucket under a new ID, and makes it the kind's current dictionary. The
// transaction must be writable and the bucket must exist.
func (t *Table) Add(kind byte, samples [][]byte) (uint64, error) {
	if err := t.load(); err != nil {
		return 0, err
	}
	b := t.tx.Bucket([]byte(Bucket))
	if b == nil {
		return 0, fmt.Errorf("archive has no %s bucket", Bucket)
	}
	id, err := b.NextSequence()
	if err != nil {
		return 0, fmt.Errorf("new dictionary: %w", err)
	}
	dict, err := Train(samples, id)
	if err != nil {
		return 0, err
	}
	v := append([]byte{kind}, dict...)
	if err := b.Put(binary.BigEndian.AppendUint64(nil, id), v); err != nil {
		return 0, fmt.Errorf("new dictionary: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dicts[id] = entry{kind: kind, dict: v[1:]}
	t.current[kind] = id
	return id, nil
}

// Of reports whether t is the table of transaction tx.
func (t *Table) Of(tx *bolt.Tx) bool { return t.tx == tx }
