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
// The layout never changes: the archive's schema migrations depend on it.
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

// AppendEntry appends to dst the change-log entry of links appended to h,
// and returns it with the new head.
func AppendEntry(dst []byte, h Head, links []Link) ([]byte, Head) {
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

// ParseEntry reads a change-log entry: its links and the head it ends on.
func ParseEntry(b []byte) ([]Link, Head, error) {
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
