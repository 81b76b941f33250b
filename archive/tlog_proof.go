package archive

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"

	"github.com/archiver-dev/archiver/internal/chain"
	"github.com/archiver-dev/archiver/internal/recfmt"
)

// LogTree is the transparency log held whole in memory, recomputed from the
// change log: every level of the tree, and the leaf of each record's
// latest write. It proves records' inclusion (RecordProof).
type LogTree struct {
	levels [][][]byte // levels[0] the leaf hashes, levels[l][i] perfect subtrees
	latest map[[1 + KeyLen]byte]latestLeaf
}

// latestLeaf is the leaf of a record's latest write, and the write's op.
type latestLeaf struct {
	index uint64
	op    byte
}

// LogTree recomputes the log from the change log (see EachLeaf).
func (r *Reader) LogTree() (*LogTree, error) {
	t := &LogTree{levels: [][][]byte{nil}, latest: map[[1 + KeyLen]byte]latestLeaf{}}
	err := r.EachLeaf(func(data []byte) error {
		i := uint64(len(t.levels[0]))
		if len(data) == 3+KeyLen+sha256.Size && data[0] == leafLink {
			var id [1 + KeyLen]byte
			id[0] = data[2]
			copy(id[1:], data[3:3+KeyLen])
			switch op := Op(data[1]); {
			case op == OpDelete:
				delete(t.latest, id)
			case op.writesRecord():
				t.latest[id] = latestLeaf{index: i, op: data[1]}
			}
		}
		t.add(LeafHash(data))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// add appends a leaf hash and every perfect subtree it completes.
func (t *LogTree) add(h []byte) {
	t.levels[0] = append(t.levels[0], h)
	for l := 0; len(t.levels[l])%2 == 0; l++ {
		if l+1 == len(t.levels) {
			t.levels = append(t.levels, nil)
		}
		n := len(t.levels[l])
		t.levels[l+1] = append(t.levels[l+1], logHasher.HashChildren(t.levels[l][n-2], t.levels[l][n-1]))
	}
}

// Size is the number of leaves.
func (t *LogTree) Size() uint64 { return uint64(len(t.levels[0])) }

// RecordProof is what proves one record's stored value is a leaf of the
// log at a checkpoint: the leaf's index, the write's op, the stored header
// that precedes the data in the value, and the RFC 6962 inclusion proof.
type RecordProof struct {
	Index  uint64
	Op     byte
	Header []byte
	Path   [][]byte
}

// ErrNoLeaf is returned for a record whose latest write is no leaf of the
// log (a record written before the log began, which the anchor leaf covers
// only as a whole).
var ErrNoLeaf = errors.New("the record's latest write is no leaf of the log")

// RecordProof proves rec (read from the archive the tree was built from),
// whose stored value is stored, is in the tree of the first size leaves.
func (t *LogTree) RecordProof(rec Record, stored []byte, size uint64) (RecordProof, error) {
	code, err := kindCode(rec.Kind)
	if err != nil {
		return RecordProof{}, err
	}
	var id [1 + KeyLen]byte
	id[0] = code
	copy(id[1:], rec.Key[:])
	l, ok := t.latest[id]
	if !ok || l.index >= size {
		return RecordProof{}, ErrNoLeaf
	}
	nodes, err := proof.Inclusion(l.index, size)
	if err != nil {
		return RecordProof{}, err
	}
	hashes := make([][]byte, len(nodes.IDs))
	for i, n := range nodes.IDs {
		if int(n.Level) >= len(t.levels) || n.Index >= uint64(len(t.levels[n.Level])) {
			return RecordProof{}, fmt.Errorf("transparency log: no node %d/%d", n.Level, n.Index)
		}
		hashes[i] = t.levels[n.Level][n.Index]
	}
	path, err := nodes.Rehash(hashes, logHasher.HashChildren)
	if err != nil {
		return RecordProof{}, err
	}
	return RecordProof{Index: l.index, Op: l.op, Header: stored[:len(stored)-len(rec.Data)], Path: path}, nil
}

// Stored returns the logical value of the record of kind at key k: its
// header and data, as the change log's links hash it, decompressed if the
// record is stored compressed.
func (r *Reader) Stored(kind Kind, k Key) ([]byte, error) {
	b, err := r.bucket(string(kind))
	if err != nil {
		return nil, err
	}
	v := b.Get(k[:])
	if v == nil {
		return nil, fmt.Errorf("%s record %x is not archived", kind, k)
	}
	lv, fresh, err := r.logical(k[:], v)
	if err != nil {
		return nil, fmt.Errorf("%s %w", kind, err)
	}
	if fresh {
		return lv, nil
	}
	return append([]byte(nil), lv...), nil
}

// ErrNotInLog is wrapped by VerifyRecordProof's error for a record that is
// not, as the line shows it, in the log at the checkpoint.
var ErrNotInLog = errors.New("not in the log at the checkpoint")

// VerifyRecordProof checks, offline, that a record whose stored value is
// p.Header followed by data, of kind at key k, is leaf p.Index of the log
// whose checkpoint has size and root. It returns the decoded header, for
// the caller to compare with what the record says of itself.
func VerifyRecordProof(kind Kind, k Key, data []byte, p RecordProof, size uint64, root []byte) (recfmt.Header, error) {
	value := append(append([]byte(nil), p.Header...), data...)
	h, body, err := recfmt.Decode(value)
	if err != nil {
		return h, fmt.Errorf("the proof's stored header: %w", err)
	}
	if len(body) != len(data) || h.Kind != string(kind) {
		return h, fmt.Errorf("the proof's stored header is not that of a %s record", kind)
	}
	code, err := kindCode(kind)
	if err != nil {
		return h, err
	}
	leaf := LinkLeaf(chain.Link{Op: p.Op, Kind: code, Key: k, Sum: sha256.Sum256(value)})
	if err := proof.VerifyInclusion(logHasher, p.Index, size, LeafHash(leaf), p.Path, root); err != nil {
		// The library's error lists both roots byte by byte: say it plainly.
		return h, fmt.Errorf("%w: its inclusion proof (leaf %d of %d) does not lead to the checkpoint's root", ErrNotInLog, p.Index, size)
	}
	return h, nil
}
