package reczip

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/archiver-dev/archiver/internal/recfmt"
)

// Records written together, such as the log items of one job read from
// one page, are much alike: the same job, servers and instances, times a
// few seconds apart. Compressed one by one, each frame pays again for
// what its neighbours share; compressed together, they take about 40%
// less room, and one frame costs less CPU than many. So such records are
// stored in blocks: the block's value, in the blocks bucket (BlocksBucket)
// under an 8-byte big-endian ID, is
//
//	byte 0     BlockMarker (0xA3)
//	uvarint    the dictionary's ID
//	uvarint    live: how many records still refer to the block
//	rest       a zstd frame without its magic (see the package doc) of
//	           uvarint n, n uvarint lengths, then the n logical values
//
// and each record's stored value is a reference to its place in a block:
//
//	byte 0     RefMarker (0xA4)
//	uvarint    the block's ID
//	uvarint    the record's index in the block, below n
//
// A record that is written again or removed no longer refers to its
// block; a block no record refers to is removed. Hashes stay those of
// the logical values, as for every stored form.

// BlockMarker opens the value of a block.
const BlockMarker = 0xA3

// RefMarker opens the stored value of a record kept in a block.
const RefMarker = 0xA4

// BlocksBucket is the name of the bucket of blocks.
const BlocksBucket = "blocks"

// MaxBlockRecords is the most records one block holds, and MaxBlockBytes
// the most bytes of logical values: a block is decompressed whole to read
// any of its records.
const (
	MaxBlockRecords = 16
	MaxBlockBytes   = 64 << 10
)

// IsRef reports whether a stored value is a reference to a block.
func IsRef(v []byte) bool { return len(v) > 0 && v[0] == RefMarker }

// AppendRef appends to dst the stored value of the record at index i of
// block id.
func AppendRef(dst []byte, id uint64, i int) []byte {
	dst = append(dst, RefMarker)
	dst = binary.AppendUvarint(dst, id)
	return binary.AppendUvarint(dst, uint64(i))
}

// ParseRef returns the block ID and index of a reference.
func ParseRef(v []byte) (id uint64, i int, err error) {
	if !IsRef(v) {
		return 0, 0, fmt.Errorf("%w: no reference marker", ErrDamaged)
	}
	id, n := binary.Uvarint(v[1:])
	if n <= 0 || id == 0 {
		return 0, 0, fmt.Errorf("%w: block reference without a block ID", ErrDamaged)
	}
	idx, m := binary.Uvarint(v[1+n:])
	if m <= 0 || idx >= MaxBlockRecords || 1+n+m != len(v) {
		return 0, 0, fmt.Errorf("%w: block reference %d is malformed", ErrDamaged, id)
	}
	return id, int(idx), nil
}

// BlockKey is the key of block id in the blocks bucket.
func BlockKey(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

// blockHeader splits a block's value into its dictionary ID, live count,
// the length of what comes before the frame, and the frame.
func blockHeader(v []byte) (dict uint64, live int, head int, frame []byte, err error) {
	if len(v) == 0 || v[0] != BlockMarker {
		return 0, 0, 0, nil, fmt.Errorf("%w: block without its marker", ErrDamaged)
	}
	dict, n := binary.Uvarint(v[1:])
	if n <= 0 || dict == 0 || dict > math.MaxUint32 {
		return 0, 0, 0, nil, fmt.Errorf("%w: block's dictionary ID is malformed", ErrDamaged)
	}
	l, m := binary.Uvarint(v[1+n:])
	if m <= 0 || l > MaxBlockRecords {
		return 0, 0, 0, nil, fmt.Errorf("%w: block's count of records is malformed", ErrDamaged)
	}
	head = 1 + n + m
	return dict, int(l), head, v[head:], nil
}

// BlockLive returns how many records refer to the block of value v.
func BlockLive(v []byte) (int, error) {
	_, live, _, _, err := blockHeader(v)
	return live, err
}

// WithLive returns a copy of the block value v whose count of records that
// refer to it is live.
func WithLive(v []byte, live int) ([]byte, error) {
	dict, _, head, frame, err := blockHeader(v)
	if err != nil {
		return nil, err
	}
	if live < 0 || live > MaxBlockRecords {
		return nil, fmt.Errorf("block with %d records referring to it", live)
	}
	out := make([]byte, 0, head+len(frame)+1)
	out = append(out, BlockMarker)
	out = binary.AppendUvarint(out, dict)
	out = binary.AppendUvarint(out, uint64(live))
	return append(out, frame...), nil
}

// AppendBlock appends to dst the value of a block of logicals (at most
// MaxBlockRecords values of at most MaxBlockBytes in all, of records of
// the kind with code kind) compressed with the kind's current dictionary,
// every one of them referring to it.
func (t *Table) AppendBlock(dst []byte, kind byte, logicals [][]byte) ([]byte, error) {
	if len(logicals) == 0 || len(logicals) > MaxBlockRecords {
		return dst, fmt.Errorf("block of %d records", len(logicals))
	}
	size := 0
	for _, l := range logicals {
		size += len(l)
	}
	if size > MaxBlockBytes {
		return dst, fmt.Errorf("block of %d bytes", size)
	}
	id, err := t.Current(kind)
	if err != nil {
		return dst, err
	}
	if id == 0 {
		return dst, fmt.Errorf("no dictionary for kind %d", kind)
	}
	c, err := t.codec(id)
	if err != nil {
		return dst, err
	}
	plain := make([]byte, 0, size+binary.MaxVarintLen64*(len(logicals)+1))
	plain = binary.AppendUvarint(plain, uint64(len(logicals)))
	for _, l := range logicals {
		plain = binary.AppendUvarint(plain, uint64(len(l)))
	}
	for _, l := range logicals {
		plain = append(plain, l...)
	}
	dst = append(dst, BlockMarker)
	dst = binary.AppendUvarint(dst, id)
	dst = binary.AppendUvarint(dst, uint64(len(logicals)))
	return c.appendFrame(dst, plain)
}

// BlockRecords returns the logical values of the records of the block of
// value v, each a slice of one new buffer that no later call reuses, with
// no room to grow into its neighbour. A damaged block gives an error
// wrapping ErrDamaged.
func (t *Table) BlockRecords(v []byte) ([][]byte, error) {
	_, recs, err := t.ReadBlock(nil, nil, v)
	return recs, err
}

// ReadBlock is BlockRecords decompressing into buf and listing the
// records in recs, reusing their memory (a reader that keeps a few blocks
// gives it those of the one it drops). It returns the buffer the records
// are slices of and their list; neither buf nor recs may be used after.
func (t *Table) ReadBlock(buf []byte, recs [][]byte, v []byte) ([]byte, [][]byte, error) {
	id, _, _, frame, err := blockHeader(v)
	if err != nil {
		return buf, recs, err
	}
	c, err := t.codec(id)
	if err != nil {
		return buf, recs, err
	}
	plain, err := c.decompressTo(buf[:0], frame)
	if err != nil {
		return buf, recs, fmt.Errorf("block, dictionary %d: %w", id, err)
	}
	recs, err = splitBlock(plain, recs[:0])
	return plain, recs, err
}

// splitBlock appends to out the records of the decompressed content of a
// block, each a slice of plain with no room to grow into its neighbour.
func splitBlock(plain []byte, out [][]byte) ([][]byte, error) {
	n, w := binary.Uvarint(plain)
	if w <= 0 || n == 0 || n > MaxBlockRecords {
		return out, fmt.Errorf("%w: block's record count is malformed", ErrDamaged)
	}
	// The lengths are read twice, to check they add up before any slice
	// is cut, rather than kept in a list of their own.
	at, total := w, uint64(0)
	for range n {
		l, w := binary.Uvarint(plain[at:])
		if w <= 0 || l > uint64(len(plain)) {
			return out, fmt.Errorf("%w: block's record lengths are malformed", ErrDamaged)
		}
		at += w
		total += l
	}
	if total != uint64(len(plain)-at) {
		return out, fmt.Errorf("%w: block's record lengths do not add up", ErrDamaged)
	}
	lens := w
	for i := range int(n) {
		l, w := binary.Uvarint(plain[lens:])
		lens += w
		rec := plain[at : at+int(l) : at+int(l)]
		at += int(l)
		if l == 0 || rec[0] != recfmt.Marker {
			return out, fmt.Errorf("%w: block's record %d is not a record", ErrDamaged, i)
		}
		out = append(out, rec)
	}
	return out, nil
}
