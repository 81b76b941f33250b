package archive

import (
	"encoding/binary"
	"time"
)

// KeyLen is the length of a record key: 8 bytes of time, 8 of sequence.
const KeyLen = 16

// Key is a record key: big-endian time then a file-wide sequence number.
type Key [KeyLen]byte

// makeKey builds the key for a record of time t with sequence seq. The sign
// bit of the nanosecond count is flipped so that times before 1970 still sort
// before later ones.
func makeKey(t time.Time, seq uint64) Key {
	var k Key
	binary.BigEndian.PutUint64(k[:8], uint64(t.UnixNano())^(1<<63))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

// Time returns the time encoded in the key.
func (k Key) Time() time.Time {
	return time.Unix(0, int64(k.TimeBits()^(1<<63))).UTC()
}

// TimeBits returns the time part of the key, its first 8 bytes, as a
// number: keys sort by it first.
func (k Key) TimeBits() uint64 { return binary.BigEndian.Uint64(k[:8]) }

// TimeBits returns the time part of the key of a record of time t (see
// Key.TimeBits), for bounds: a time before or after those a key can hold
// (1678 to 2262) gives the least or the greatest.
func TimeBits(t time.Time) uint64 {
	switch {
	case t.Before(time.Unix(0, -1<<63)):
		return 0
	case t.After(time.Unix(0, 1<<63-1)):
		return 1<<64 - 1
	}
	return uint64(t.UnixNano()) ^ (1 << 63)
}

// Seq returns the sequence number encoded in the key.
func (k Key) Seq() uint64 { return binary.BigEndian.Uint64(k[8:]) }

// identity builds the ids-bucket key of an object: kind, ID, region and
// account joined by NUL, ID first so that one ID can be found across regions
// with a prefix scan.
func identity(kind Kind, id, region, account string) []byte {
	b := make([]byte, 0, len(kind)+len(id)+len(region)+len(account)+3)
	b = append(b, kind...)
	b = append(b, 0)
	b = append(b, id...)
	b = append(b, 0)
	b = append(b, region...)
	b = append(b, 0)
	b = append(b, account...)
	return b
}

// jobPrefix is the joblog/jobstate key of one job: job ID, region and
// account, each followed by NUL.
func jobPrefix(j JobRef) []byte {
	b := make([]byte, 0, len(j.JobID)+len(j.Region)+len(j.Account)+3)
	b = append(b, j.JobID...)
	b = append(b, 0)
	b = append(b, j.Region...)
	b = append(b, 0)
	b = append(b, j.Account...)
	return append(b, 0)
}
