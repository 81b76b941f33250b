package joblist

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

type key [KeyLen]byte

// mk builds the key of a record of time t with sequence seq, as the
// archive does.
func mk(t time.Time, seq uint64) key {
	return mkNano(t.UnixNano(), seq)
}

func mkNano(ns int64, seq uint64) key {
	var k key
	binary.BigEndian.PutUint64(k[:8], uint64(ns)^(1<<63))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

var t0 = time.Date(2025, 9, 1, 2, 10, 35, 14471000, time.UTC)

// logOf is a job log as sync writes it: items a few seconds apart, to the
// microsecond, with consecutive sequence numbers from seq.
func logOf(n int, seq uint64) []key {
	var keys []key
	for i := range n {
		keys = append(keys, mk(t0.Add(time.Duration(i)*(3*time.Second+17*time.Microsecond)), seq+uint64(i)))
	}
	return keys
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		keys []key
		// unit is the unit exponent the list must get.
		unit int
	}{
		{"empty", nil, maxUnit},
		{"one key", logOf(1, 7), 3},
		{"a log to the microsecond", logOf(200, 1_000_000), 3},
		{"whole seconds", []key{mk(t0.Truncate(time.Second), 1), mk(t0.Truncate(time.Second).Add(time.Minute), 2)}, 9},
		{"milliseconds", []key{mk(t0.Truncate(time.Second).Add(251*time.Millisecond), 1), mk(t0.Truncate(time.Second).Add(1502*time.Millisecond), 2)}, 6},
		{"one time to the nanosecond", append(logOf(5, 10), mk(t0.Add(time.Nanosecond), 99)), 0},
		{"times out of order", []key{mk(t0.Add(time.Hour), 5), mk(t0, 6), mk(t0.Add(-48*time.Hour), 7), mk(t0.Add(time.Minute), 8)}, 3},
		{"sequences out of order", []key{mk(t0, 900), mk(t0.Add(time.Second), 3), mk(t0.Add(2*time.Second), 901), mk(t0.Add(3*time.Second), 0)}, 3},
		{"equal times", []key{mk(t0, 1), mk(t0, 2), mk(t0, 3)}, 3},
		{"the same key twice", []key{mk(t0, 1), mk(t0, 1)}, 3},
		{"before 1970", []key{mk(time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC), 1), mk(time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), 2), mk(t0, 3)}, 3},
		{"time 0", []key{mkNano(0, 0), mkNano(0, 1)}, maxUnit},
		{"huge differences", []key{
			mkNano(math.MinInt64, math.MaxUint64), mkNano(math.MaxInt64, 0), mkNano(math.MinInt64, math.MaxUint64),
			mkNano(-1, 1<<63), mkNano(1, 1<<63-1), mkNano(math.MaxInt64, math.MaxUint64),
		}, 0},
		{"huge differences in whole seconds", []key{mkNano(-4e18, 0), mkNano(4e18, math.MaxUint64), mkNano(-4e18, 0)}, 9},
		// The difference of -9e18 and 9e18 wraps: it is no multiple of a second.
		{"differences that wrap", []key{mkNano(-9e18, 0), mkNano(9e18, math.MaxUint64), mkNano(-9e18, 0)}, 0},
		{"all bits", []key{{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, {}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Append(nil, tt.keys)
			if !IsPacked(v) || v[0] != Marker {
				t.Fatalf("packed value %x: length %d, marker %#x", v, len(v), v[0])
			}
			if int(v[1]) != tt.unit {
				t.Errorf("unit 10^%d ns, want 10^%d", v[1], tt.unit)
			}
			got, err := Decode[key](nil, v)
			if err != nil {
				t.Fatalf("decode %x: %v", v, err)
			}
			if !slices.Equal(got, tt.keys) {
				t.Errorf("decoded %x\nwant    %x", got, tt.keys)
			}
			// Appending to a buffer that holds something keeps it.
			prefix := []byte("before")
			w := Append(bytes.Clone(prefix), tt.keys)
			if !bytes.HasPrefix(w, prefix) || !bytes.Equal(w[len(prefix):], v) {
				t.Errorf("Append after %q gave %x, want the prefix then %x", prefix, w, v)
			}
			more, err := Decode(logOf(2, 1), v)
			if err != nil || !slices.Equal(more, append(logOf(2, 1), tt.keys...)) {
				t.Errorf("Decode after two keys: %x, %v", more, err)
			}
		})
	}
}

// TestSize: a log as sync writes it takes about 5 bytes a key, not 16.
func TestSize(t *testing.T) {
	keys := logOf(100, 1_000_000)
	v := Append(nil, keys)
	// Each key after the first: 3 s 17 us is 3000017 us, zigzag 6000034,
	// a 4-byte uvarint; the sequence difference 1, zigzag 2, one byte.
	first := len(Append(nil, keys[:1]))
	if want := first + 99*(4+1); len(v) != want && len(v) != want+1 {
		t.Errorf("100 keys packed in %d bytes, want %d (and maybe a pad byte)", len(v), want)
	}
	if len(v) > 6*len(keys) {
		t.Errorf("%d keys packed in %d bytes", len(keys), len(v))
	}
}

// TestNeverAMultipleOfKeyLen: a packed value is never as long as a list of
// raw keys, the pad byte seeing to it; many lists need the pad.
func TestNeverAMultipleOfKeyLen(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	padded := 0
	for range 5000 {
		keys := make([]key, r.IntN(12))
		for i := range keys {
			keys[i] = mkNano(int64(r.Uint64()>>r.IntN(64)), r.Uint64()>>r.IntN(64))
		}
		v := Append(nil, keys)
		if !IsPacked(v) {
			t.Fatalf("%d keys packed in %d bytes, a multiple of %d", len(keys), len(v), KeyLen)
		}
		if (len(v)-1)%KeyLen == 0 && v[len(v)-1] == 0 {
			padded++
		}
		got, err := Decode[key](nil, v)
		if err != nil || !slices.Equal(got, keys) {
			t.Fatalf("%x decoded to %x, %v; want %x", v, got, err, keys)
		}
	}
	if padded == 0 {
		t.Error("no list needed the pad byte: the test proves nothing of it")
	}
}

func TestDamaged(t *testing.T) {
	good := Append(nil, logOf(3, 40))
	tests := []struct {
		name string
		v    []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"raw keys", bytes.Repeat([]byte{0x97}, 2*KeyLen), "a list of raw keys"},
		{"marker only", []byte{Marker}, "too short"},
		{"no marker", append([]byte{0xA1}, good[1:]...), "no marker"},
		{"unit too large", append([]byte{Marker, 10}, good[2:]...), "10^10 ns out of range"},
		{"count cut short", []byte{Marker, 3, 0x80}, "key count malformed"},
		{"count too large", append([]byte{Marker, 3, 4}, 2, 2, 2, 2, 2, 2), "4 keys cannot fit in 6 bytes"},
		{"huge count", append([]byte{Marker, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}, 2, 2), "cannot fit"},
		{"count overflows", []byte{Marker, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}, "key count malformed"},
		{"key cut short", good[:len(good)-1], "key 2 malformed"},
		{"byte after the last key", append(bytes.Clone(good), 2), "1 bytes after the last key"},
		{"pad byte where none is needed", []byte{Marker, 0, 1, 2, 2, 0}, "1 bytes after the last key"},
		{"time difference out of range", []byte{Marker, 9, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0}, "time difference out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := Decode[key](nil, tt.v)
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode(%x) = %x, %v; want an error saying %q", tt.v, keys, err, tt.want)
			}
		})
	}
}

// FuzzDecode: any bytes either decode into at most half as many keys as
// the value has bytes, which pack again into a value that decodes to the
// same keys, or give ErrDamaged; Decode never panics. The seed corpus is
// in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add(Append(nil, logOf(4, 1)))
	f.Add(Append(nil, []key(nil)))
	f.Fuzz(func(t *testing.T, v []byte) {
		keys, err := Decode[key](nil, v)
		if err != nil {
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("Decode(%x): %v does not wrap ErrDamaged", v, err)
			}
			return
		}
		if !IsPacked(v) || len(keys) > len(v)/2 {
			t.Fatalf("%d bytes decoded into %d keys", len(v), len(keys))
		}
		again, err := Decode[key](nil, Append(nil, keys))
		if err != nil || !slices.Equal(again, keys) {
			t.Fatalf("%x decoded to %x, packed again to %x, %v", v, keys, again, err)
		}
	})
}

// FuzzAppend: any keys round-trip.
func FuzzAppend(f *testing.F) {
	f.Add([]byte(nil))
	f.Add(bytes.Repeat([]byte{0xFF}, 3*KeyLen))
	f.Fuzz(func(t *testing.T, b []byte) {
		var keys []key
		for i := 0; i+KeyLen <= len(b); i += KeyLen {
			keys = append(keys, key(b[i:i+KeyLen]))
		}
		v := Append(nil, keys)
		got, err := Decode[key](nil, v)
		if err != nil || !slices.Equal(got, keys) {
			t.Fatalf("%x packed to %x, decoded to %x, %v", keys, v, got, err)
		}
	})
}

// BenchmarkDecode decodes the list of a log of 100 items as sync writes it.
func BenchmarkDecode(b *testing.B) {
	v := Append(nil, logOf(100, 1_000_000))
	dst := make([]key, 0, 100)
	b.SetBytes(100 * KeyLen)
	for b.Loop() {
		if _, err := Decode(dst[:0], v); err != nil {
			b.Fatal(err)
		}
	}
}
