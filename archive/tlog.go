package archive

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/archiver-dev/archiver/internal/chain"
	"github.com/archiver-dev/archiver/migrations"
)

// The transparency log: every link of the hash chain (every record write,
// deleted-upstream mark and event such as a prune) is a leaf of an RFC 6962
// Merkle tree, whose state (its size and root hash) is what a checkpoint
// publishes outside the file. Leaf 0 anchors the chain as it stood when the
// log began (schema step 12): its head. Leaf i, for i ≥ 1, is link number
// start+i of the chain.
//
// The file keeps only the tree's right edge (a compact range: at most one
// hash per level), enough to add leaves and compute the root; verify
// recomputes every leaf from the change log and trusts nothing stored.
//
// Leaf data, whose RFC 6962 leaf hash (SHA-256 of 0x00 and the data) is the
// tree's leaf:
//
//	anchor  0x00, the chain head: 8-byte big-endian link count, its hash
//	link    0x01, op, kind code, 16-byte record key, SHA-256 of the stored
//	        value (zero for a delete)
//
// Both layouts, and the meta keys below, are spelled out in the schema step
// that starts the log too: they never change.
const (
	metaLogStart = "logStart" // 8 bytes: the number of links leaf 0 anchors
	metaLogRange = "logRange" // 8-byte tree size, then the right edge's hashes
	metaLogID    = "logID"    // the log's origin: a name unique to this archive

	leafAnchor = 0x00
	leafLink   = 0x01
)

// logHasher hashes leaves and nodes as RFC 6962 does.
var logHasher = rfc6962.DefaultHasher

var rangeFactory = compact.RangeFactory{Hash: logHasher.HashChildren}

// TreeHead is the state of the transparency log: how many leaves it has and
// its root hash.
type TreeHead struct {
	Size uint64
	Hash [32]byte
}

// AnchorLeaf returns the data of the leaf that anchors a chain with head h.
func AnchorLeaf(h chain.Head) []byte {
	return chain.AppendHead([]byte{leafAnchor}, h)
}

// LinkLeaf returns the data of the leaf of link l.
func LinkLeaf(l chain.Link) []byte {
	b := make([]byte, 0, 3+KeyLen+32)
	b = append(b, leafLink, l.Op, l.Kind)
	b = append(b, l.Key[:]...)
	return append(b, l.Sum[:]...)
}

// LeafHash returns the RFC 6962 leaf hash of leaf data.
func LeafHash(data []byte) []byte { return logHasher.HashLeaf(data) }

// LogID returns the log's origin: the name checkpoints of this archive carry.
func (r *Reader) LogID() (string, error) {
	meta, err := r.bucket(migrations.MetaBucket)
	if err != nil {
		return "", err
	}
	v := meta.Get([]byte(metaLogID))
	if len(v) == 0 {
		return "", fmt.Errorf("archive has no transparency log (meta %s)", metaLogID)
	}
	return string(v), nil
}

// logStart returns the number of chain links leaf 0 anchors.
func (r *Reader) logStart() (uint64, error) {
	meta, err := r.bucket(migrations.MetaBucket)
	if err != nil {
		return 0, err
	}
	v := meta.Get([]byte(metaLogStart))
	if len(v) != 8 {
		return 0, fmt.Errorf("archive has no transparency log (meta %s)", metaLogStart)
	}
	return binary.BigEndian.Uint64(v), nil
}

// logRange returns the stored right edge of the tree.
func (r *Reader) logRange() (*compact.Range, error) {
	meta, err := r.bucket(migrations.MetaBucket)
	if err != nil {
		return nil, err
	}
	return parseRange(meta.Get([]byte(metaLogRange)))
}

func parseRange(v []byte) (*compact.Range, error) {
	if len(v) < 8 || (len(v)-8)%32 != 0 {
		return nil, fmt.Errorf("transparency log: meta %s is malformed", metaLogRange)
	}
	size := binary.BigEndian.Uint64(v)
	var hashes [][]byte
	for i := 8; i < len(v); i += 32 {
		hashes = append(hashes, bytes.Clone(v[i:i+32]))
	}
	rg, err := rangeFactory.NewRange(0, size, hashes)
	if err != nil {
		return nil, fmt.Errorf("transparency log: meta %s: %w", metaLogRange, err)
	}
	return rg, nil
}

func appendRange(dst []byte, rg *compact.Range) []byte {
	dst = binary.BigEndian.AppendUint64(dst, rg.End())
	for _, h := range rg.Hashes() {
		dst = append(dst, h...)
	}
	return dst
}

// TreeHead returns the log's state as the file stores it.
func (r *Reader) TreeHead() (TreeHead, error) {
	rg, err := r.logRange()
	if err != nil {
		return TreeHead{}, err
	}
	return headOf(rg)
}

func headOf(rg *compact.Range) (TreeHead, error) {
	root, err := rg.GetRootHash(nil)
	if err != nil {
		return TreeHead{}, fmt.Errorf("transparency log: %w", err)
	}
	th := TreeHead{Size: rg.End()}
	copy(th.Hash[:], root)
	return th, nil
}

// appendLeaves adds the leaves of links to the log: called with the links
// a transaction appends to the chain.
func (w *Writer) appendLeaves(links []chain.Link) error {
	meta, err := w.bucket(migrations.MetaBucket)
	if err != nil {
		return err
	}
	rg, err := parseRange(meta.Get([]byte(metaLogRange)))
	if err != nil {
		return err
	}
	for _, l := range links {
		if err := rg.Append(LeafHash(LinkLeaf(l)), nil); err != nil {
			return fmt.Errorf("transparency log: %w", err)
		}
	}
	if err := meta.Put([]byte(metaLogRange), appendRange(nil, rg)); err != nil {
		return fmt.Errorf("transparency log: %w", err)
	}
	return nil
}

// ErrLogMismatch is wrapped by the errors of a log whose leaves, recomputed
// from the change log, do not give the tree a checkpoint or the file
// records.
var ErrLogMismatch = errors.New("the transparency log does not match")

// EachLeaf calls fn with the data of every leaf of the log, in order,
// recomputed from the change log alone (the anchor from the chain's links
// up to the log's start).
func (r *Reader) EachLeaf(fn func(data []byte) error) error {
	start, err := r.logStart()
	if err != nil {
		return err
	}
	b, err := r.bucket(bucketChanges)
	if err != nil {
		return err
	}
	cstart, err := r.chainStart()
	if err != nil {
		return err
	}
	var head chain.Head
	anchored := false
	if start == 0 {
		anchored = true
		if err := fn(AnchorLeaf(head)); err != nil {
			return err
		}
	}
	c := b.Cursor()
	for k, v := c.Seek(binary.BigEndian.AppendUint64(nil, cstart)); k != nil; k, v = c.Next() {
		links, _, err := chain.ParseEntry(v)
		if err != nil {
			return fmt.Errorf("transparency log: change-log entry %x: %w", k, err)
		}
		for _, l := range links {
			head = head.Next(l)
			var err error
			switch {
			case head.N == start:
				anchored = true
				err = fn(AnchorLeaf(head))
			case head.N > start:
				err = fn(LinkLeaf(l))
			}
			if err != nil {
				return err
			}
		}
	}
	if !anchored {
		return fmt.Errorf("%w: the chain has %d links, fewer than the %d the log's first leaf anchors", ErrLogMismatch, head.N, start)
	}
	return nil
}

// RecomputeLog rebuilds the tree from the change log alone, trusting no
// stored hash of the log, and calls at with the tree head at each size in
// sizes it reaches (in increasing order), then returns the head of the
// whole tree. A size beyond the tree is not reached. Once ctx is done it
// stops with ctx's error.
func (r *Reader) RecomputeLog(ctx context.Context, sizes []uint64, at func(TreeHead)) (TreeHead, error) {
	rg := rangeFactory.NewEmptyRange(0)
	next := 0
	stop := stopper{ctx: ctx}
	err := r.EachLeaf(func(data []byte) error {
		if err := stop.check(); err != nil {
			return err
		}
		if err := rg.Append(LeafHash(data), nil); err != nil {
			return fmt.Errorf("transparency log: %w", err)
		}
		for next < len(sizes) && sizes[next] == rg.End() {
			th, err := headOf(rg)
			if err != nil {
				return err
			}
			at(th)
			next++
		}
		return nil
	})
	if err != nil {
		return TreeHead{}, err
	}
	return headOf(rg)
}
