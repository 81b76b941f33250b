// Package chain is the byte layout of the archive's hash chain: every write
// of a record is one link, and each link's hash covers the one before it, so
// that changing, adding, removing or reordering any record or link breaks
// every hash after it.
//
// A link names the record (kind code, 16-byte record key), what happened to
// it (op), and the SHA-256 of the record's stored value after the write
// (zero for a delete). Its hash is
//
//	SHA-256(previous hash | link number, 8 bytes big-endian | op | kind | key | value SHA-256)
//
// with 32 zero bytes before the first link. Links are stored in the change
// log, one entry per write transaction: the links of the transaction, then
// the number and hash of the last one (Entry and Trailer).
//
// An entry is stored in one of two layouts, both read by ParseEntry:
//
//   - plain (archives before schema 15): each link as LinkLen bytes (op,
//     kind, key, sum), then the trailer;
//   - packed (AppendEntry, from schema 15 on): PackedMarker, a uvarint
//     count n of links; the links' ops and kinds as runs (a uvarint count
//     of runs, then for each its op, its kind and the uvarint number of
//     links in it); their keys (each half of a key, 8 bytes big-endian, as
//     the zigzag varint of its difference from the same half of the key
//     before, the first from zero); their sums (32 bytes each); then the
//     trailer. The links of one transaction are mostly of one op and kind,
//     with neighbouring keys, so a packed link takes about 39 bytes, not
//     50.
//
// Neither layout ever changes: the archive's schema migrations depend on
// them. The hashes are of the links, whatever the layout they are stored
// in.
package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// KeyLen is the length of a record key.
const KeyLen = 16

// LinkLen is the stored size of a link: op, kind code, key, value SHA-256.
const LinkLen = 2 + KeyLen + sha256.Size

// TrailerLen is the stored size of an entry's trailer: the number of the
// entry's last link and its hash.
const TrailerLen = 8 + sha256.Size

// Link is one record write.
type Link struct {
	Op   byte
	Kind byte
	Key  [KeyLen]byte
	Sum  [sha256.Size]byte // SHA-256 of the stored value; zero for a delete
}

// Head is the end of a chain: how many links it has and the last one's
// hash. The zero Head is the empty chain.
type Head struct {
	N    uint64
	Hash [sha256.Size]byte
}

// Next returns the head after l is appended to h.
func (h Head) Next(l Link) Head {
	var buf [sha256.Size + 8 + LinkLen]byte
	copy(buf[:], h.Hash[:])
	binary.BigEndian.PutUint64(buf[sha256.Size:], h.N+1)
	b := buf[sha256.Size+8:]
	b[0], b[1] = l.Op, l.Kind
	copy(b[2:], l.Key[:])
	copy(b[2+KeyLen:], l.Sum[:])
	return Head{N: h.N + 1, Hash: sha256.Sum256(buf[:])}
}

// PackedMarker opens an entry in the packed layout. A plain entry begins
// with an op (a small number) or, with no links, the trailer's link count
// (zero in its first byte for any count below 2^56).
const PackedMarker = 0xC1

// packedMin is the fewest bytes a packed link takes: two one-byte
// differences and the sum.
const packedMin = 2 + sha256.Size

// AppendEntry appends to dst the change-log entry of links appended to h,
// in the packed layout, and returns it with the new head.
func AppendEntry(dst []byte, h Head, links []Link) ([]byte, Head) {
	dst = append(dst, PackedMarker)
	dst = binary.AppendUvarint(dst, uint64(len(links)))
	runs := 0
	for i := range links {
		if i == 0 || links[i].Op != links[i-1].Op || links[i].Kind != links[i-1].Kind {
			runs++
		}
	}
	dst = binary.AppendUvarint(dst, uint64(runs))
	for i := 0; i < len(links); {
		j := i + 1
		for j < len(links) && links[j].Op == links[i].Op && links[j].Kind == links[i].Kind {
			j++
		}
		dst = append(dst, links[i].Op, links[i].Kind)
		dst = binary.AppendUvarint(dst, uint64(j-i))
		i = j
	}
	var hi, lo uint64
	for _, l := range links {
		nhi, nlo := binary.BigEndian.Uint64(l.Key[:8]), binary.BigEndian.Uint64(l.Key[8:])
		dst = binary.AppendVarint(dst, int64(nhi-hi))
		dst = binary.AppendVarint(dst, int64(nlo-lo))
		hi, lo = nhi, nlo
	}
	for _, l := range links {
		dst = append(dst, l.Sum[:]...)
		h = h.Next(l)
	}
	return AppendHead(dst, h), h
}

// AppendPlainEntry appends to dst the change-log entry of links appended
// to h in the plain layout of archives before schema 15, and returns it
// with the new head.
func AppendPlainEntry(dst []byte, h Head, links []Link) ([]byte, Head) {
	for _, l := range links {
		dst = append(dst, l.Op, l.Kind)
		dst = append(dst, l.Key[:]...)
		dst = append(dst, l.Sum[:]...)
		h = h.Next(l)
	}
	return AppendHead(dst, h), h
}

// AppendHead appends the stored form of h (also an entry's trailer).
func AppendHead(dst []byte, h Head) []byte {
	dst = binary.BigEndian.AppendUint64(dst, h.N)
	return append(dst, h.Hash[:]...)
}

// ErrLayout is returned for bytes that are not an entry or a head.
var ErrLayout = errors.New("not a hash-chain entry")

// ParseHead reads the stored form of a head.
func ParseHead(b []byte) (Head, error) {
	var h Head
	if len(b) != TrailerLen {
		return h, fmt.Errorf("%w: head of %d bytes", ErrLayout, len(b))
	}
	h.N = binary.BigEndian.Uint64(b)
	copy(h.Hash[:], b[8:])
	return h, nil
}

// ParseEntry reads a change-log entry, in either layout: its links and
// the head it ends on.
func ParseEntry(b []byte) ([]Link, Head, error) {
	if len(b) > 0 && b[0] == PackedMarker {
		return parsePacked(b)
	}
	if len(b) < TrailerLen || (len(b)-TrailerLen)%LinkLen != 0 {
		return nil, Head{}, fmt.Errorf("%w: entry of %d bytes", ErrLayout, len(b))
	}
	n := (len(b) - TrailerLen) / LinkLen
	links := make([]Link, n)
	for i := range links {
		p := b[i*LinkLen:]
		links[i].Op, links[i].Kind = p[0], p[1]
		copy(links[i].Key[:], p[2:])
		copy(links[i].Sum[:], p[2+KeyLen:])
	}
	h, err := ParseHead(b[n*LinkLen:])
	return links, h, err
}

// parsePacked reads an entry in the packed layout.
func parsePacked(b []byte) ([]Link, Head, error) {
	if len(b) < 1+TrailerLen {
		return nil, Head{}, fmt.Errorf("%w: packed entry of %d bytes", ErrLayout, len(b))
	}
	body := b[1 : len(b)-TrailerLen]
	n, w := binary.Uvarint(body)
	if w <= 0 || n > uint64(len(body)/packedMin) {
		return nil, Head{}, fmt.Errorf("%w: packed entry's link count is malformed", ErrLayout)
	}
	body = body[w:]
	runs, w := binary.Uvarint(body)
	if w <= 0 || runs > n || runs > uint64(len(body)/3) {
		return nil, Head{}, fmt.Errorf("%w: packed entry's count of op runs is malformed", ErrLayout)
	}
	body = body[w:]
	links := make([]Link, n)
	at := uint64(0)
	for range runs {
		if len(body) < 3 {
			return nil, Head{}, fmt.Errorf("%w: packed entry's op runs are cut short", ErrLayout)
		}
		op, kind := body[0], body[1]
		m, w := binary.Uvarint(body[2:])
		if w <= 0 || m == 0 || m > n-at {
			return nil, Head{}, fmt.Errorf("%w: packed entry's op runs are malformed", ErrLayout)
		}
		for i := at; i < at+m; i++ {
			links[i].Op, links[i].Kind = op, kind
		}
		at += m
		body = body[2+w:]
	}
	if at != n {
		return nil, Head{}, fmt.Errorf("%w: packed entry's op runs cover %d of %d links", ErrLayout, at, n)
	}
	var hi, lo uint64
	for i := range links {
		dhi, w1 := binary.Varint(body)
		if w1 <= 0 {
			return nil, Head{}, fmt.Errorf("%w: packed entry's key %d is malformed", ErrLayout, i)
		}
		dlo, w2 := binary.Varint(body[w1:])
		if w2 <= 0 {
			return nil, Head{}, fmt.Errorf("%w: packed entry's key %d is malformed", ErrLayout, i)
		}
		body = body[w1+w2:]
		hi, lo = hi+uint64(dhi), lo+uint64(dlo)
		binary.BigEndian.PutUint64(links[i].Key[:8], hi)
		binary.BigEndian.PutUint64(links[i].Key[8:], lo)
	}
	if uint64(len(body)) != n*sha256.Size {
		return nil, Head{}, fmt.Errorf("%w: packed entry holds %d bytes of sums for %d links", ErrLayout, len(body), n)
	}
	for i := range links {
		copy(links[i].Sum[:], body[i*sha256.Size:])
	}
	h, err := ParseHead(b[len(b)-TrailerLen:])
	return links, h, err
}
