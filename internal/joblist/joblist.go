// Package joblist is the byte layout of an entry of the job-log index: the
// keys of one job's log items, in log position order, packed.
//
// A record key is 16 bytes: the Unix nanosecond count of the record's time,
// 8 bytes big-endian with the sign bit flipped, then an 8-byte big-endian
// sequence number. The items of one job are close in time and were mostly
// written one after another, so each key is stored as its difference from
// the key before it:
//
//	byte 0     Marker
//	byte 1     unit: e, from 0 to 9; every time difference is a multiple of
//	           10^e nanoseconds and is stored divided by it
//	uvarint    n, the number of keys
//	n times    uvarint  zigzag(dt / 10^e), where dt is the key's time (as a
//	                    signed nanosecond count, the sign bit flipped back)
//	                    minus the time of the key before it
//	           uvarint  zigzag(ds), where ds is the key's sequence number
//	                    minus that of the key before it, as a signed number
//	rest       nothing, or one 0 byte when the value would otherwise be a
//	           multiple of 16 bytes long
//
// The first key's differences are from time 0 (1970) and sequence 0.
// Differences are taken modulo 2^64, so any keys at all, in any order,
// round-trip; zigzag(x) is x<<1 for x >= 0 and -x<<1 - 1 for x < 0, as
// encoding/binary's varints. The unit is the largest that divides every
// time difference: AWS gives log times to the microsecond, which makes
// it 3 (or more) for a real log.
//
// A packed value is never a multiple of 16 bytes long, so it is never
// taken for a list of raw 16-byte keys, the layout of schemas 4 to 14
// (IsPacked). The layout never changes: a different one would get a new
// marker, and a schema migration would rewrite the index.
package joblist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Marker opens every packed list.
const Marker = 0xA3

// KeyLen is the length of a record key.
const KeyLen = 16

// maxUnit is the largest unit exponent: differences are in at most 10^9
// nanoseconds, whole seconds.
const maxUnit = 9

var pow10 = [maxUnit + 1]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

// ErrDamaged is wrapped by the errors of values that are not packed lists.
var ErrDamaged = errors.New("damaged job-log list")

// IsPacked reports whether v is in this layout rather than a list of raw
// keys; it does not say whether v decodes.
func IsPacked(v []byte) bool { return len(v)%KeyLen != 0 }

func keyTime(k [KeyLen]byte) int64 { return int64(binary.BigEndian.Uint64(k[:8]) ^ (1 << 63)) }

func zigzag(x int64) uint64 { return uint64(x<<1) ^ uint64(x>>63) }

func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// Append appends the packed list of keys to dst and returns it.
func Append[K ~[KeyLen]byte](dst []byte, keys []K) []byte {
	// The unit: the largest power of ten that divides every difference.
	e := maxUnit
	var prev int64
	for i := range keys {
		t := keyTime([KeyLen]byte(keys[i]))
		for d := t - prev; e > 0 && d%pow10[e] != 0; {
			e--
		}
		prev = t
	}
	start := len(dst)
	dst = append(dst, Marker, byte(e))
	dst = binary.AppendUvarint(dst, uint64(len(keys)))
	var pt int64
	var ps uint64
	for i := range keys {
		k := [KeyLen]byte(keys[i])
		t, s := keyTime(k), binary.BigEndian.Uint64(k[8:])
		dst = binary.AppendUvarint(dst, zigzag((t-pt)/pow10[e]))
		dst = binary.AppendUvarint(dst, zigzag(int64(s-ps)))
		pt, ps = t, s
	}
	if (len(dst)-start)%KeyLen == 0 {
		dst = append(dst, 0)
	}
	return dst
}

// Decode appends the keys of the packed list v to dst and returns it. A
// value that is not a whole packed list is an error wrapping ErrDamaged;
// Decode allocates at most n keys, and n is at most half the value's
// length (each key takes two bytes or more).
func Decode[K ~[KeyLen]byte](dst []K, v []byte) ([]K, error) {
	switch {
	case len(v) < 3:
		return dst, fmt.Errorf("%w: %d bytes, too short", ErrDamaged, len(v))
	case !IsPacked(v):
		return dst, fmt.Errorf("%w: %d bytes, a multiple of %d: a list of raw keys, not a packed one", ErrDamaged, len(v), KeyLen)
	case v[0] != Marker:
		return dst, fmt.Errorf("%w: no marker", ErrDamaged)
	case v[1] > maxUnit:
		return dst, fmt.Errorf("%w: time unit 10^%d ns out of range", ErrDamaged, v[1])
	}
	p := pow10[v[1]]
	n, l := binary.Uvarint(v[2:])
	if l <= 0 {
		return dst, fmt.Errorf("%w: key count malformed", ErrDamaged)
	}
	rest := v[2+l:]
	if n > uint64(len(rest)/2) {
		return dst, fmt.Errorf("%w: %d keys cannot fit in %d bytes", ErrDamaged, n, len(rest))
	}
	dst = slices.Grow(dst, int(n))
	var t int64
	var s uint64
	for i := range int(n) {
		dt, l := binary.Uvarint(rest)
		if l <= 0 {
			return dst, fmt.Errorf("%w: key %d malformed", ErrDamaged, i)
		}
		rest = rest[l:]
		ds, l := binary.Uvarint(rest)
		if l <= 0 {
			return dst, fmt.Errorf("%w: key %d malformed", ErrDamaged, i)
		}
		rest = rest[l:]
		q := unzigzag(dt)
		if q > math.MaxInt64/p || q < math.MinInt64/p {
			return dst, fmt.Errorf("%w: key %d: time difference out of range", ErrDamaged, i)
		}
		t += q * p
		s += uint64(unzigzag(ds))
		var k [KeyLen]byte
		binary.BigEndian.PutUint64(k[:8], uint64(t)^(1<<63))
		binary.BigEndian.PutUint64(k[8:], s)
		dst = append(dst, K(k))
	}
	switch {
	case len(rest) == 0:
	case len(rest) == 1 && rest[0] == 0 && (len(v)-1)%KeyLen == 0:
	default:
		return dst, fmt.Errorf("%w: %d bytes after the last key", ErrDamaged, len(rest))
	}
	return dst, nil
}
