// Package reczip stores archive records compressed: a record's stored value
// is either its logical value (the layout of package recfmt) or that value
// compressed with a zstd dictionary trained from the archive's own records
// of the same kind.
//
// A compressed value is
//
//	byte 0     Marker (0xA2)
//	uvarint    the dictionary's ID, a key of the dictionaries bucket
//	rest       a zstd frame of the logical value, without the frame's
//	           4-byte magic number (the same for every frame)
//
// Every hash of a record (its links in the hash chain, its leaves in the
// transparency log, export digests) is of the logical value, so a record
// can be compressed, or stored plainly again, without any link: both forms
// are valid and mean the same record.
//
// The dictionaries bucket maps an 8-byte big-endian ID to the kind code the
// dictionary was trained for followed by the dictionary (zstd's dictionary
// format, whose own dictionary ID is the same number). A dictionary is
// never changed or removed once written: a better one gets a new ID, and
// records compressed with the old one keep it.
package reczip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	gosync "sync"

	"github.com/klauspost/compress/zstd"
)

// Marker opens every compressed value.
const Marker = 0xA2

// Bucket is the name of the dictionaries bucket.
const Bucket = "dicts"

// MaxLogical is the largest logical value that is compressed; larger ones
// are stored as they are. It bounds what a decoder will produce from one
// frame, so a damaged frame cannot make it allocate without limit.
const MaxLogical = 1 << 20

// magic is what every zstd frame begins with; stored frames leave it out.
var magic = [4]byte{0x28, 0xB5, 0x2F, 0xFD}

// ErrDamaged is wrapped by the errors of values that claim to be
// compressed but cannot be read back.
var ErrDamaged = errors.New("damaged compressed record")

// IsCompressed reports whether a stored value is in the compressed layout.
func IsCompressed(v []byte) bool { return len(v) > 0 && v[0] == Marker }

// Split returns the dictionary ID and the frame (without its magic) of a
// compressed value.
func Split(v []byte) (uint64, []byte, error) {
	if !IsCompressed(v) {
		return 0, nil, fmt.Errorf("%w: no marker", ErrDamaged)
	}
	id, n := binary.Uvarint(v[1:])
	if n <= 0 {
		return 0, nil, fmt.Errorf("%w: dictionary ID cut short", ErrDamaged)
	}
	if id == 0 || id > 1<<32-1 {
		return 0, nil, fmt.Errorf("%w: dictionary ID %d out of range", ErrDamaged, id)
	}
	return id, v[1+n:], nil
}

// codec compresses and decompresses with one dictionary. Its encoder is
// made when first needed: most processes only read.
type codec struct {
	id      uint64
	dict    []byte
	dec     *zstd.Decoder
	encOnce gosync.Once
	enc     *zstd.Encoder
	encErr  error
}

// Level is the zstd level records are compressed at.
const Level = zstd.SpeedFastest

func newCodec(id uint64, dict []byte) (*codec, error) {
	n := runtime.GOMAXPROCS(0)
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderDicts(dict),
		zstd.WithDecoderConcurrency(n),
		zstd.WithDecoderMaxMemory(MaxLogical),
		zstd.WithDecoderMaxWindow(MaxLogical))
	if err != nil {
		return nil, fmt.Errorf("dictionary %d: %w", id, err)
	}
	return &codec{id: id, dict: dict, dec: dec}, nil
}

// encoder returns the codec's encoder, made on first use.
func (c *codec) encoder() (*zstd.Encoder, error) {
	c.encOnce.Do(func() {
		c.enc, c.encErr = zstd.NewWriter(nil,
			zstd.WithEncoderDict(c.dict),
			zstd.WithEncoderLevel(Level),
			zstd.WithEncoderCRC(false),
			zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithSingleSegment(true),
			zstd.WithWindowSize(MaxLogical))
		if c.encErr != nil {
			c.encErr = fmt.Errorf("dictionary %d: %w", c.id, c.encErr)
		}
	})
	return c.enc, c.encErr
}

// appendCompressed appends the compressed value of logical to dst.
func (c *codec) appendCompressed(dst, logical []byte) ([]byte, error) {
	dst = append(dst, Marker)
	dst = binary.AppendUvarint(dst, c.id)
	return c.appendFrame(dst, logical)
}

// appendFrame appends to dst the zstd frame of plain, without the frame's
// magic (the same for every frame).
func (c *codec) appendFrame(dst, plain []byte) ([]byte, error) {
	enc, err := c.encoder()
	if err != nil {
		return dst, err
	}
	start := len(dst)
	dst = enc.EncodeAll(plain, dst)
	// The magic is left out: shift the rest over it.
	n := copy(dst[start:], dst[start+len(magic):])
	return dst[:start+n], nil
}

// frames holds scratch buffers in which a stored frame gets its magic
// back before it is decoded.
var frames = gosync.Pool{New: func() any { return new([]byte) }}

// decompress returns the logical value of a frame stored without its magic.
func (c *codec) decompress(frame []byte) ([]byte, error) { return c.decompressTo(nil, frame) }

// decompressTo appends to dst the logical value of a frame stored without
// its magic.
func (c *codec) decompressTo(dst, frame []byte) ([]byte, error) {
	buf := frames.Get().(*[]byte)
	in := append(append((*buf)[:0], magic[:]...), frame...)
	out, err := c.dec.DecodeAll(in, dst)
	*buf = in
	frames.Put(buf)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	return out, nil
}

// codecs caches a codec for each dictionary content seen by this process,
// so that every transaction need not build them again. Dictionaries are
// never changed once written, so the content identifies the codec. The
// cache is emptied when it grows past a bound (tests open many archives).
var codecs struct {
	mu gosync.Mutex
	m  map[string]*codec
}

const maxCodecs = 32

func cachedCodec(id uint64, dict []byte) (*codec, error) {
	codecs.mu.Lock()
	defer codecs.mu.Unlock()
	key := make([]byte, 0, 8+len(dict))
	key = binary.BigEndian.AppendUint64(key, id)
	key = append(key, dict...)
	if c, ok := codecs.m[string(key)]; ok {
		return c, nil
	}
	// The codec keeps the dictionary: it gets the copy, never a slice of
	// the file's memory, which is gone when the transaction ends.
	c, err := newCodec(id, key[8:])
	if err != nil {
		return nil, err
	}
	if codecs.m == nil || len(codecs.m) >= maxCodecs {
		codecs.m = map[string]*codec{}
	}
	codecs.m[string(key)] = c
	return c, nil
}
