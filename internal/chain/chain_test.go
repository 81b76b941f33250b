package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"math/rand"
	"reflect"
	"testing"
)

// links returns n links as a transaction's are: mostly puts of one kind,
// keys following on (times a few seconds apart, sequence numbers one
// apart), with random sums.
func links(rnd *rand.Rand, n int) []Link {
	out := make([]Link, n)
	t := uint64(1<<63) + 1_780_000_000_000_000_000
	seq := uint64(1000)
	for i := range out {
		t += uint64(rnd.Int63n(5e9))
		seq++
		out[i].Op, out[i].Kind = 1, 1
		if i%40 == 39 {
			out[i].Op, out[i].Kind = byte(2+i%2), byte(i%3)
		}
		binary.BigEndian.PutUint64(out[i].Key[:8], t)
		binary.BigEndian.PutUint64(out[i].Key[8:], seq)
		if out[i].Op != 3 {
			rnd.Read(out[i].Sum[:])
		}
	}
	return out
}

func TestEntryLayouts(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	extreme := []Link{{Op: 1, Kind: 255}, {Op: 5}, {Op: 2}}
	binary.BigEndian.PutUint64(extreme[0].Key[:8], math.MaxUint64)
	binary.BigEndian.PutUint64(extreme[0].Key[8:], math.MaxUint64)
	binary.BigEndian.PutUint64(extreme[2].Key[:8], 1<<63)
	backwards := links(rnd, 20)
	for i, j := 0, len(backwards)-1; i < j; i, j = i+1, j-1 {
		backwards[i], backwards[j] = backwards[j], backwards[i]
	}
	cases := []struct {
		name  string
		links []Link
	}{
		{"no links", nil},
		{"one link", links(rnd, 1)},
		{"a transaction's links", links(rnd, 500)},
		{"keys going back", backwards},
		{"extreme keys", extreme},
	}
	start := Head{N: 41, Hash: sha256.Sum256([]byte("before"))}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			packed, h := AppendEntry([]byte("x"), start, c.links)
			plain, h2 := AppendPlainEntry(nil, start, c.links)
			if h != h2 || h.N != start.N+uint64(len(c.links)) {
				t.Fatalf("heads %v and %v after %d links from %d", h, h2, len(c.links), start.N)
			}
			want := start
			for _, l := range c.links {
				want = want.Next(l)
			}
			if h != want {
				t.Errorf("head %v, the links hash to %v", h, want)
			}
			for name, b := range map[string][]byte{"packed": packed[1:], "plain": plain} {
				got, gh, err := ParseEntry(b)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if len(got) != len(c.links) || (len(got) > 0 && !reflect.DeepEqual(got, c.links)) || gh != h {
					t.Errorf("%s: reads back other links or head", name)
				}
			}
			if len(c.links) == 500 && len(packed)-1 > 40*500+TrailerLen {
				t.Errorf("packed: %d bytes for 500 links of neighbouring keys; want at most 40 a link", len(packed)-1)
			}
		})
	}
}

// TestDamagedEntries: an entry cut short, lengthened or with a count it
// cannot hold is an error wrapping ErrLayout.
func TestDamagedEntries(t *testing.T) {
	packed, _ := AppendEntry(nil, Head{}, links(rand.New(rand.NewSource(2)), 10))
	huge := append([]byte{PackedMarker}, binary.AppendUvarint(nil, 1<<40)...)
	huge = append(huge, make([]byte, TrailerLen)...)
	cases := map[string][]byte{
		"empty":                nil,
		"marker alone":         {PackedMarker},
		"cut short":            packed[:len(packed)-1],
		"cut in the keys":      append(append([]byte(nil), packed[:40]...), make([]byte, TrailerLen)...),
		"a byte more":          append(append([]byte(nil), packed...), 0),
		"count it cannot hold": huge,
		"plain, a byte more":   make([]byte, TrailerLen+LinkLen+1),
		"plain, cut in a head": make([]byte, TrailerLen-1),
		"count with no varint": append([]byte{PackedMarker, 0x80}, make([]byte, TrailerLen)...),
	}
	for name, b := range cases {
		if _, _, err := ParseEntry(b); !errors.Is(err, ErrLayout) {
			t.Errorf("%s: %v; want ErrLayout", name, err)
		}
	}
}

// FuzzParseEntry: whatever a change-log entry holds, reading it gives
// links or an error, never a panic; links read without an error pack to
// an entry that reads back the same.
func FuzzParseEntry(f *testing.F) {
	rnd := rand.New(rand.NewSource(3))
	for _, n := range []int{0, 1, 3} {
		p, _ := AppendEntry(nil, Head{}, links(rnd, n))
		f.Add(p)
		q, _ := AppendPlainEntry(nil, Head{}, links(rnd, n))
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ls, _, err := ParseEntry(b)
		if err != nil {
			return
		}
		again, _ := AppendEntry(nil, Head{}, ls)
		got, _, err := ParseEntry(again)
		if err != nil || len(got) != len(ls) || (len(ls) > 0 && !reflect.DeepEqual(got, ls)) {
			t.Fatalf("links of %x do not pack and read back: %v", b, err)
		}
	})
}
