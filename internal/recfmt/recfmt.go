// Package recfmt is the byte layout of a stored archive record: a compact
// binary header carrying the record's provenance, followed by the AWS
// object's JSON bytes exactly as received.
//
//	byte 0     Marker (a stored value that starts with '{' is the older
//	           all-JSON layout)
//	byte 1     kind code: the kind's Code in the registry (package kinds)
//	uvarint    flags: FlagID, FlagJobID, FlagPos, FlagCaptured, FlagCluster,
//	           FlagImport
//	strings    ID (if FlagID), Region, Account, JobID (if FlagJobID),
//	           ClusterID (if FlagCluster), ImportFile and ImportSHA256 (if
//	           FlagImport), each a uvarint length and the bytes
//	uvarint    position in the job log (if FlagPos)
//	times      Time, CapturedAt (if FlagCaptured), FirstSeen, LastSeen,
//	           each a varint of Unix seconds and a uvarint of nanoseconds
//	rest       the data
//
// Existing fields never change: a different layout would get a new marker,
// and a schema migration would rewrite the records. New optional fields may
// be added behind new flags; a decoder refuses flags it does not know, and
// the schema version that introduces a flag keeps older binaries away.
package recfmt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/archiver-dev/archiver/archive/kinds"
)

// Marker opens every value in this layout.
const Marker = 0xA1

// Flags say which optional header fields are present.
const (
	FlagID       = 1 << 0
	FlagJobID    = 1 << 1
	FlagPos      = 1 << 2
	FlagCaptured = 1 << 3
	FlagCluster  = 1 << 4
	FlagImport   = 1 << 5

	knownFlags = FlagID | FlagJobID | FlagPos | FlagCaptured | FlagCluster | FlagImport
)

// Header is the provenance of one record.
type Header struct {
	Kind                      string
	ID, Region, Account       string
	JobID                     string
	Pos                       int
	HasPos                    bool
	Time, FirstSeen, LastSeen time.Time
	CapturedAt                time.Time
	HasCaptured               bool
	// ClusterID is the Snowball cluster of a cluster job.
	ClusterID string
	// ImportFile and ImportSHA256 name the file a record was imported
	// from; both are empty for records read from the API.
	ImportFile, ImportSHA256 string
}

// KindCode returns the stored code of a kind name.
func KindCode(kind string) (byte, error) {
	if s := kinds.Of(kinds.Kind(kind)); s != nil {
		return s.Code, nil
	}
	return 0, fmt.Errorf("unknown kind %q", kind)
}

// KindName returns the kind name of a stored code, and false for a code no
// kind has.
func KindName(code byte) (string, bool) {
	if s := kinds.ByCode(code); s != nil {
		return string(s.Kind), true
	}
	return "", false
}

// Append appends the value of a record with header h and data to dst.
func Append(dst []byte, h *Header, data []byte) ([]byte, error) {
	code, err := KindCode(h.Kind)
	if err != nil {
		return dst, err
	}
	var flags uint64
	if h.ID != "" {
		flags |= FlagID
	}
	if h.JobID != "" {
		flags |= FlagJobID
	}
	if h.HasPos {
		if h.Pos < 0 {
			return dst, fmt.Errorf("negative log position %d", h.Pos)
		}
		flags |= FlagPos
	}
	if h.HasCaptured {
		flags |= FlagCaptured
	}
	if h.ClusterID != "" {
		flags |= FlagCluster
	}
	if h.ImportFile != "" || h.ImportSHA256 != "" {
		flags |= FlagImport
	}
	dst = append(dst, Marker, code)
	dst = binary.AppendUvarint(dst, flags)
	if h.ID != "" {
		dst = appendString(dst, h.ID)
	}
	dst = appendString(dst, h.Region)
	dst = appendString(dst, h.Account)
	if h.JobID != "" {
		dst = appendString(dst, h.JobID)
	}
	if flags&FlagCluster != 0 {
		dst = appendString(dst, h.ClusterID)
	}
	if flags&FlagImport != 0 {
		dst = appendString(dst, h.ImportFile)
		dst = appendString(dst, h.ImportSHA256)
	}
	if h.HasPos {
		dst = binary.AppendUvarint(dst, uint64(h.Pos))
	}
	dst = appendTime(dst, h.Time)
	if h.HasCaptured {
		dst = appendTime(dst, h.CapturedAt)
	}
	dst = appendTime(dst, h.FirstSeen)
	dst = appendTime(dst, h.LastSeen)
	return append(dst, data...), nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// ErrLayout is returned for a value that is not in this layout.
var ErrLayout = errors.New("not a record in the binary layout")

// Decode reads a value. The data it returns is a slice of v.
func Decode(v []byte) (Header, []byte, error) {
	var h Header
	d := decoder{b: v}
	if len(v) < 2 || v[0] != Marker {
		return h, nil, ErrLayout
	}
	name, ok := KindName(v[1])
	if !ok {
		return h, nil, fmt.Errorf("%w: kind code %d", ErrLayout, v[1])
	}
	h.Kind = name
	d.i = 2
	flags := d.uvarint()
	if flags&^knownFlags != 0 {
		return h, nil, fmt.Errorf("%w: unknown header flags %#x", ErrLayout, flags&^knownFlags)
	}
	if flags&FlagID != 0 {
		h.ID = d.str()
	}
	h.Region = d.str()
	h.Account = d.str()
	if flags&FlagJobID != 0 {
		h.JobID = d.str()
	}
	if flags&FlagCluster != 0 {
		h.ClusterID = d.str()
	}
	if flags&FlagImport != 0 {
		h.ImportFile = d.str()
		h.ImportSHA256 = d.str()
	}
	if flags&FlagPos != 0 {
		p := d.uvarint()
		if p > 1<<31 {
			d.fail()
		}
		h.Pos, h.HasPos = int(p), true
	}
	h.Time = d.time()
	if flags&FlagCaptured != 0 {
		h.CapturedAt, h.HasCaptured = d.time(), true
	}
	h.FirstSeen = d.time()
	h.LastSeen = d.time()
	if d.bad {
		return Header{}, nil, fmt.Errorf("%w: header cut short or malformed", ErrLayout)
	}
	return h, v[d.i:], nil
}

type decoder struct {
	b   []byte
	i   int
	bad bool
}

func (d *decoder) fail() { d.bad, d.i = true, len(d.b) }

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b[d.i:])
	if n <= 0 {
		d.fail()
		return 0
	}
	d.i += n
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b[d.i:])
	if n <= 0 {
		d.fail()
		return 0
	}
	d.i += n
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)-d.i) {
		d.fail()
		return ""
	}
	s := string(d.b[d.i : d.i+int(n)])
	d.i += int(n)
	return s
}

// zeroUnix is time.Time{}.Unix(): the zero time round-trips as itself.
var zeroUnix = time.Time{}.Unix()

func (d *decoder) time() time.Time {
	sec := d.varint()
	nsec := d.uvarint()
	if nsec >= 1e9 {
		d.fail()
		return time.Time{}
	}
	if sec == zeroUnix && nsec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}
