package emulator

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Layouts DRS uses for its ISO 8601 timestamps. Most carry microseconds and a
// numeric offset; some carry whole seconds or a short fraction with "Z".
const (
	layoutMicro  = "2006-01-02T15:04:05.000000-07:00"
	layoutSecond = "2006-01-02T15:04:05Z07:00"
	layoutFrac   = "2006-01-02T15:04:05.999999999Z07:00"
)

// stamp is a timestamp as served: s is the text, t the instant s denotes.
type stamp struct {
	t time.Time
	s string
}

// renderStamp formats t with layout and reads the text back, so that t of the
// result is exactly what a client parsing s would see.
func renderStamp(t time.Time, layout string) stamp {
	s := t.UTC().Format(layout)
	p, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// All layouts above are RFC 3339; keep the instant if that ever changes.
		p = t
	}
	return stamp{t: p.UTC(), s: s}
}

// newStamp renders t in one of the layouts, chosen the way DRS mixes them.
func newStamp(r *rand.Rand, t time.Time) stamp {
	switch x := r.IntN(100); {
	case x < 80:
		return renderStamp(t.Truncate(time.Microsecond), layoutMicro)
	case x < 92:
		return renderStamp(t.Truncate(time.Second), layoutSecond)
	default:
		return renderStamp(t.Truncate(100*time.Millisecond), layoutFrac)
	}
}

// stampAfter renders t like newStamp but guarantees the served instant is
// strictly after prev, falling back to microsecond precision when a coarser
// layout would collide. t must be after prev at microsecond precision.
func stampAfter(r *rand.Rand, t, prev time.Time) stamp {
	st := newStamp(r, t)
	if !st.t.After(prev) {
		st = renderStamp(t.Truncate(time.Microsecond), layoutMicro)
	}
	return st
}

// filterTimeLayouts are accepted for the fromDate and toDate filters. Values
// without a zone are read as UTC.
var filterTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
}

// parseFilterTime reads an ISO 8601 date-time given in a request filter.
func parseFilterTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range filterTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date-time", s)
}

// isoDuration renders d as an ISO 8601 duration such as "PT2M" or
// "P12DT3H4M5S", to whole seconds.
func isoDuration(d time.Duration) string {
	secs := max(int64(d/time.Second), 0)
	days, secs := secs/86400, secs%86400
	h, m, s := secs/3600, secs%3600/60, secs%60
	var b strings.Builder
	b.WriteByte('P')
	if days > 0 {
		b.WriteString(strconv.FormatInt(days, 10) + "D")
		if h == 0 && m == 0 && s == 0 {
			return b.String()
		}
	}
	b.WriteByte('T')
	if h > 0 {
		b.WriteString(strconv.FormatInt(h, 10) + "H")
	}
	if m > 0 {
		b.WriteString(strconv.FormatInt(m, 10) + "M")
	}
	if s > 0 || (h == 0 && m == 0) {
		b.WriteString(strconv.FormatInt(s, 10) + "S")
	}
	return b.String()
}

// spread places one instant per gap after start, each gap after the
// previous instant. When the gaps add up to more than limit-start they are
// scaled down to fit; no gap shrinks below a microsecond, so the instants
// are strictly increasing even when the window is too small.
func spread(start, limit time.Time, gaps []time.Duration) []time.Time {
	var total time.Duration
	for _, g := range gaps {
		total += g
	}
	scale := 1.0
	if avail := limit.Sub(start); total > avail && total > 0 {
		scale = max(float64(avail), 0) / float64(total)
	}
	out := make([]time.Time, len(gaps))
	t := start.Truncate(time.Microsecond)
	for i, g := range gaps {
		step := time.Duration(float64(g) * scale).Truncate(time.Microsecond)
		t = t.Add(max(step, time.Microsecond))
		out[i] = t
	}
	return out
}

// between returns a random duration in [lo, hi), at microsecond precision.
func between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return (lo + time.Duration(r.Int64N(int64(hi-lo)))).Truncate(time.Microsecond)
}

// epochStamp is a timestamp as the JSON 1.1 services serve it: s is the
// JSON number of epoch seconds, t the instant s denotes.
type epochStamp struct {
	t time.Time
	s string
}

// renderEpoch renders t, truncated to the millisecond, as epoch seconds
// with three decimals, such as 1480475524.335.
func renderEpoch(t time.Time) epochStamp {
	t = t.UTC().Truncate(time.Millisecond)
	ms := t.UnixMilli()
	return epochStamp{t: t, s: fmt.Sprintf("%d.%03d", ms/1000, ms%1000)}
}

// epochWithin renders a random instant strictly after lo and no later than
// hi, which must be at least a millisecond after lo.
func epochWithin(r *rand.Rand, lo, hi time.Time) epochStamp {
	lo = lo.Truncate(time.Millisecond)
	span := hi.Sub(lo).Truncate(time.Millisecond)
	if span < time.Millisecond {
		return renderEpoch(lo.Add(time.Millisecond))
	}
	return renderEpoch(lo.Add(time.Millisecond + time.Duration(r.Int64N(int64(span/time.Millisecond)))*time.Millisecond))
}
