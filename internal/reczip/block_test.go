package reczip

import (
	"bytes"
	"errors"
	"testing"

	"github.com/archiver-dev/archiver/internal/recfmt"
)

// TestBlockRoundTrip: records stored together in a block read back as
// they were, each without room to grow into the next, and take less room
// than compressed one by one.
func TestBlockRoundTrip(t *testing.T) {
	_, zt := table(t)
	all := samples(t, 40)
	cases := []struct {
		name string
		recs [][]byte
	}{
		{"one record", all[:1]},
		{"two records", all[3:5]},
		{"a full block", all[10 : 10+MaxBlockRecords]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := zt.AppendBlock([]byte("prefix"), 1, c.recs)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(v, []byte("prefix")) {
				t.Fatalf("AppendBlock did not append")
			}
			v = v[len("prefix"):]
			if n, err := BlockLive(v); err != nil || n != len(c.recs) {
				t.Errorf("live: %d, %v; want %d", n, err, len(c.recs))
			}
			got, err := zt.BlockRecords(v)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.recs) {
				t.Fatalf("%d records read back, want %d", len(got), len(c.recs))
			}
			alone := 0
			for i := range got {
				if !bytes.Equal(got[i], c.recs[i]) {
					t.Errorf("record %d reads back %q, want %q", i, got[i], c.recs[i])
				}
				if cap(got[i]) != len(got[i]) {
					t.Errorf("record %d has room to grow into its neighbour", i)
				}
				sv, _, err := zt.AppendStored(nil, 1, c.recs[i])
				if err != nil {
					t.Fatal(err)
				}
				alone += len(sv)
			}
			if len(c.recs) == MaxBlockRecords && len(v) >= alone*3/4 {
				t.Errorf("a full block takes %d bytes, its records alone %d; want a quarter less at least", len(v), alone)
			}
			less, err := WithLive(v, 3)
			if err != nil {
				t.Fatal(err)
			}
			if n, err := BlockLive(less); err != nil || n != 3 {
				t.Errorf("live after WithLive(3): %d, %v", n, err)
			}
			if again, err := zt.BlockRecords(less); err != nil || len(again) != len(c.recs) {
				t.Errorf("a block with another count reads %d records, %v", len(again), err)
			}
		})
	}
	if _, err := zt.AppendBlock(nil, 1, all[:MaxBlockRecords+1]); err == nil {
		t.Errorf("a block of %d records was made", MaxBlockRecords+1)
	}
	if _, err := zt.AppendBlock(nil, 2, all[:2]); err == nil {
		t.Errorf("a block of a kind without a dictionary was made")
	}
}

func TestRefs(t *testing.T) {
	cases := []struct {
		v      []byte
		id     uint64
		i      int
		broken bool
	}{
		{v: AppendRef(nil, 1, 0), id: 1, i: 0},
		{v: AppendRef(nil, 1<<40, MaxBlockRecords-1), id: 1 << 40, i: MaxBlockRecords - 1},
		{v: AppendRef(nil, 7, MaxBlockRecords), broken: true},
		{v: AppendRef(nil, 0, 1), broken: true},
		{v: []byte{RefMarker}, broken: true},
		{v: []byte{RefMarker, 0x80}, broken: true},
		{v: append(AppendRef(nil, 3, 1), 0), broken: true},
		{v: []byte{Marker, 1, 2}, broken: true},
	}
	for _, c := range cases {
		id, i, err := ParseRef(c.v)
		switch {
		case c.broken && (err == nil || !errors.Is(err, ErrDamaged)):
			t.Errorf("%x: %d %d %v; want ErrDamaged", c.v, id, i, err)
		case !c.broken && (err != nil || id != c.id || i != c.i):
			t.Errorf("%x: %d %d %v; want %d %d", c.v, id, i, err, c.id, c.i)
		}
	}
}

// FuzzBlock: whatever a block's value or a reference holds, reading it
// gives records or an error, never a panic, and what reads without an
// error is records in the recfmt layout.
func FuzzBlock(f *testing.F) {
	_, zt := table(f)
	all := samples(f, 20)
	for _, n := range []int{1, 2, MaxBlockRecords} {
		v, err := zt.AppendBlock(nil, 1, all[:n])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(v)
	}
	f.Add(AppendRef(nil, 12, 3))
	f.Fuzz(func(t *testing.T, v []byte) {
		_, _, _ = ParseRef(v)
		_, _ = BlockLive(v)
		if w, err := WithLive(v, 1); err == nil {
			if n, err := BlockLive(w); err != nil || n != 1 {
				t.Fatalf("WithLive(1) of %x reads %d, %v", v, n, err)
			}
		}
		recs, err := zt.BlockRecords(v)
		if err != nil {
			return
		}
		if len(recs) == 0 || len(recs) > MaxBlockRecords {
			t.Fatalf("%x reads as %d records", v, len(recs))
		}
		for _, r := range recs {
			if len(r) == 0 || r[0] != recfmt.Marker {
				t.Fatalf("%x holds %x, not a record", v, r)
			}
		}
	})
}
