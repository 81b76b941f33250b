package archive

import (
	"testing"
	"time"
)

// TestTimeBits: the time part of a record's key is TimeBits of its time,
// ordered as the times are, and bounds beyond the times a key can hold
// give the least and the greatest.
func TestTimeBits(t *testing.T) {
	times := []time.Time{
		time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Unix(0, 0).UTC(),
		time.Date(2026, 9, 16, 11, 55, 0, 1, time.UTC),
		time.Date(2260, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for i, at := range times {
		k := makeKey(at, 7)
		if k.TimeBits() != TimeBits(at) {
			t.Errorf("%s: key time bits %x, TimeBits %x", at, k.TimeBits(), TimeBits(at))
		}
		if !k.Time().Equal(at) {
			t.Errorf("%s: key gives back %s", at, k.Time())
		}
		if i > 0 && TimeBits(times[i-1]) >= TimeBits(at) {
			t.Errorf("TimeBits(%s) is not below TimeBits(%s)", times[i-1], at)
		}
	}
	for _, tc := range []struct {
		at   time.Time
		want uint64
	}{
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Date(1000, 6, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), 1<<64 - 1},
	} {
		if got := TimeBits(tc.at); got != tc.want {
			t.Errorf("TimeBits(%s) = %x, want %x", tc.at, got, tc.want)
		}
	}
}
