package archive

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/archiver-dev/archiver/internal/chain"
	"github.com/archiver-dev/archiver/internal/recfmt"
	"github.com/archiver-dev/archiver/migrations"
)

// bucketChanges is the change log: one entry per write transaction, in
// commit order, listing every record the transaction put, touched or
// deleted. Derived data (the full-text index) follows the archive by
// reading it from the position it last reached.
//
// From schema 6 on, the change log is also the archive's hash chain
// (package chain): each listed write carries the SHA-256 of the record's
// stored value, and each entry ends with the chain's head after it. Entries
// from before (positions below the meta key chainStart) list writes only.
const bucketChanges = "changes"

// Meta keys of the hash chain.
const (
	metaChainStart = "chainStart" // first change-log position in the chain layout
	metaChainHead  = "chainHead"  // the chain's head (chain.AppendHead)
)

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
	// OpAnchor: the record existed when the hash chain began; nothing
	// changed.
	OpAnchor Op = 4
	// OpEvent: not a record but an event of the archive's life (a prune),
	// whose note is kept in meta. Events are links of the hash chain only;
	// MutationsSince leaves them out.
	OpEvent Op = 5
)

// eventKind is the kind code of event links.
const eventKind = 0xFF

// writesRecord reports whether a link of op is a write of a record (and so
// a mutation the index follows), not a marking, event or job state.
func (o Op) writesRecord() bool {
	switch o {
	case OpPut, OpTouch, OpDelete, OpAnchor:
		return true
	}
	return false
}

// Mutation is one entry of the change log: what happened to which record.
type Mutation struct {
	Op   Op
	Kind Kind
	Key  Key
	// Sum is the SHA-256 of the record's stored value after the write; zero
	// for deletes and for entries from before the hash chain.
	Sum [sha256.Size]byte
}

// mutationLen is the encoded size of a Mutation from before the hash chain:
// op, kind code, key.
const mutationLen = 2 + KeyLen

// kindCode numbers kinds for the change log, as records do (recfmt).
func kindCode(k Kind) (byte, error) { return recfmt.KindCode(string(k)) }

// note records a mutation of the current transaction: op on the record of
// kind at k, whose stored value is now value (nil for a delete).
func (w *Writer) note(op Op, kind Kind, k []byte, value []byte) {
	var m Mutation
	m.Op, m.Kind = op, kind
	copy(m.Key[:], k)
	if value != nil {
		m.Sum = sha256.Sum256(value)
	}
	w.muts = append(w.muts, m)
	w.written += len(k) + len(value)
}

// flushMutations appends the transaction's mutations to the change log,
// linked into the hash chain.
func (w *Writer) flushMutations() error {
	if len(w.muts) == 0 && len(w.extra) == 0 {
		return nil
	}
	b, err := w.bucket(bucketChanges)
	if err != nil {
		return err
	}
	meta, err := w.bucket(migrations.MetaBucket)
	if err != nil {
		return err
	}
	head, err := w.ChainHead()
	if err != nil {
		return err
	}
	links := make([]chain.Link, len(w.muts))
	for i, m := range w.muts {
		code, err := kindCode(m.Kind)
		if err != nil {
			return err
		}
		links[i] = chain.Link{Op: byte(m.Op), Kind: code, Key: m.Key, Sum: m.Sum}
	}
	links = append(links, w.extra...)
	v, head := chain.AppendEntry(make([]byte, 0, len(links)*(chain.LinkLen-8)+chain.TrailerLen+16), head, links)
	if err := w.appendLeaves(links); err != nil {
		return err
	}
	if err := meta.Put([]byte(metaChainHead), chain.AppendHead(nil, head)); err != nil {
		return fmt.Errorf("hash chain: %w", err)
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

// ChainHead returns the head of the archive's hash chain: the number of
// links and the last one's hash. An archive with no write since the chain
// began has the zero head.
func (r *Reader) ChainHead() (chain.Head, error) {
	meta, err := r.bucket(migrations.MetaBucket)
	if err != nil {
		return chain.Head{}, err
	}
	v := meta.Get([]byte(metaChainHead))
	if v == nil {
		return chain.Head{}, nil
	}
	h, err := chain.ParseHead(v)
	if err != nil {
		return h, fmt.Errorf("hash chain head: %w", err)
	}
	return h, nil
}

// chainStart returns the first change-log position in the chain layout.
func (r *Reader) chainStart() (uint64, error) {
	meta, err := r.bucket(migrations.MetaBucket)
	if err != nil {
		return 0, err
	}
	v := meta.Get([]byte(metaChainStart))
	if len(v) != 8 {
		return 0, fmt.Errorf("archive has no hash chain start (meta %s)", metaChainStart)
	}
	return binary.BigEndian.Uint64(v), nil
}

// MutationsSince calls fn with each change-log entry after position pos, in
// order, with the entry's own position.
func (r *Reader) MutationsSince(pos uint64, fn func(pos uint64, muts []Mutation) error) error {
	b, err := r.bucket(bucketChanges)
	if err != nil {
		return err
	}
	start, err := r.chainStart()
	if err != nil {
		return err
	}
	var from [8]byte
	binary.BigEndian.PutUint64(from[:], pos+1)
	c := b.Cursor()
	for k, v := c.Seek(from[:]); k != nil; k, v = c.Next() {
		if len(k) != 8 {
			return fmt.Errorf("change log entry %x is malformed", k)
		}
		if at := binary.BigEndian.Uint64(k); at >= start {
			muts, err := chainMutations(v)
			if err != nil {
				return fmt.Errorf("change log entry %d: %w", at, err)
			}
			if err := fn(at, muts); err != nil {
				return err
			}
			continue
		}
		if len(v)%mutationLen != 0 {
			return fmt.Errorf("change log entry %x is malformed", k)
		}
		muts := make([]Mutation, 0, len(v)/mutationLen)
		for i := 0; i < len(v); i += mutationLen {
			code := v[i+1]
			name, ok := recfmt.KindName(code)
			if !ok {
				return fmt.Errorf("change log entry %x names kind %d, which this archiver does not know", k, code)
			}
			m := Mutation{Op: Op(v[i]), Kind: Kind(name)}
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
func (r *Reader) Get(kind Kind, k Key) (Record, bool, error) { return r.get(kind, k, false) }

// GetBorrowed is Get for a caller that keeps nothing of the record's data
// past its next read of r (see EachBorrowed): the data is not copied.
func (r *Reader) GetBorrowed(kind Kind, k Key) (Record, bool, error) { return r.get(kind, k, true) }

func (r *Reader) get(kind Kind, k Key, borrow bool) (Record, bool, error) {
	b, err := r.bucket(string(kind))
	if err != nil {
		return Record{}, false, err
	}
	v := b.Get(k[:])
	if v == nil {
		return Record{}, false, nil
	}
	rec, err := r.decodeAs(k[:], v, borrow)
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
		return fn(key, func() (Record, error) { return r.decode(k, v) })
	})
}

// chainMutations reads a change-log entry in the chain layout.
func chainMutations(v []byte) ([]Mutation, error) {
	links, _, err := chain.ParseEntry(v)
	if err != nil {
		return nil, err
	}
	muts := make([]Mutation, 0, len(links))
	for _, l := range links {
		if !Op(l.Op).writesRecord() {
			continue
		}
		name, ok := recfmt.KindName(byte(l.Kind))
		if !ok {
			return nil, fmt.Errorf("names kind %d, which this archiver does not know", l.Kind)
		}
		muts = append(muts, Mutation{Op: Op(l.Op), Kind: Kind(name), Key: l.Key, Sum: l.Sum})
	}
	return muts, nil
}
