package status

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/archiver-dev/archiver/archive/kinds"
)

// timeLayout is how the table shows times: UTC, to the second.
const timeLayout = "2006-01-02 15:04:05 UTC"

// width is the width the table fits: an 80-column terminal. Only a
// word longer than a line, such as a long archive path, goes beyond it.
const width = 80

// kv is one line of the table: a key and its value.
type kv struct{ key, value string }

// writeKV writes pairs as two columns, each key indented by indent and
// padded to the longest, each value wrapped between words to fit
// width, its further lines under the first.
func writeKV(b *strings.Builder, indent string, pairs []kv) {
	keyWidth := 0
	for _, p := range pairs {
		keyWidth = max(keyWidth, len(p.key))
	}
	col := len(indent) + keyWidth + 2
	for _, p := range pairs {
		b.WriteString(indent + p.key + strings.Repeat(" ", col-len(indent)-len(p.key)))
		at := col
		for i, w := range strings.Fields(p.value) {
			switch {
			case i == 0:
			case at+1+len([]rune(w)) > width:
				b.WriteString("\n" + strings.Repeat(" ", col))
				at = col
			default:
				b.WriteByte(' ')
				at++
			}
			b.WriteString(w)
			at += len([]rune(w))
		}
		b.WriteByte('\n')
	}
}

// WriteTable writes rep as a table for people, 80 columns wide, with times
// relative to now.
func WriteTable(w io.Writer, rep Report, now time.Time) error {
	var b strings.Builder
	a := rep.Archive
	top := []kv{
		{"archive", a.Path},
		{"size", fmt.Sprintf("%s on disk (file %s)", humanize.IBytes(uint64(a.DiskBytes)), humanize.IBytes(uint64(a.SizeBytes)))},
		{"schema", fmt.Sprintf("%d, change %d", a.Schema, a.Position)},
		{"records", humanize.Comma(int64(a.Total))},
	}
	for _, k := range kinds.Names() {
		top = append(top, kv{"  " + string(k), humanize.Comma(int64(a.Records[k]))})
	}
	if len(a.Deleted) > 0 {
		total := 0
		for _, n := range a.Deleted {
			total += n
		}
		top = append(top, kv{"deleted upstream", humanize.Comma(int64(total))})
		for _, k := range kinds.Names() {
			if n := a.Deleted[k]; n > 0 {
				top = append(top, kv{"  " + string(k), humanize.Comma(int64(n))})
			}
		}
	}
	ix := rep.Index
	switch ix.State {
	case IndexCurrent:
		top = append(top, kv{"index", humanize.IBytes(uint64(ix.DiskBytes)) + " on disk, up to date"})
	case IndexBehind:
		top = append(top, kv{"index", fmt.Sprintf("%s, %s not indexed yet (%s behind); the next sync indexes them",
			humanize.IBytes(uint64(ix.DiskBytes))+" on disk", Plural(int64(ix.RecordsBehind), "record"), Plural(int64(ix.ChangesBehind), "commit"))})
	default:
		top = append(top, kv{"index", ix.Note})
	}
	if r := rep.Running; r != nil {
		top = append(top, kv{"sync", fmt.Sprintf("running since %s (%s, pid %d)", r.Since.UTC().Format(timeLayout), humanize.RelTime(r.Since, now, "ago", "from now"), r.PID)})
	}
	writeKV(&b, "", top)
	b.WriteByte('\n')
	if len(rep.Syncs) == 0 {
		b.WriteString("no sync recorded yet\n")
	}
	// One block a sync: a table of them would not fit 80 columns.
	for i, s := range rep.Syncs {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "last %s sync in %s, account %s\n", s.Source, orDash(s.Region), orDash(s.Account))
		last := "never"
		if s.LastSuccess != nil {
			last = s.LastSuccess.UTC().Format(timeLayout) + " (" + humanize.RelTime(*s.LastSuccess, now, "ago", "from now") + ")"
		}
		outcome := "ok"
		if s.Note != "" {
			outcome = "ok: " + s.Note
		}
		if !s.OK {
			outcome = "failed: " + s.Error
		}
		writeKV(&b, "  ", []kv{
			{"started", fmt.Sprintf("%s (%s), took %s", s.Started.UTC().Format(timeLayout), humanize.RelTime(s.Started, now, "ago", "from now"),
				roundDuration(time.Duration(s.DurationSeconds*float64(time.Second))))},
			{"read", fmt.Sprintf("%s items, added %s", humanize.Comma(s.ItemsRead), Plural(s.RecordsAdded, "record"))},
			{"outcome", outcome},
			{"last success", last},
		})
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// roundDuration shows a duration to the millisecond under a minute, to the
// second above.
func roundDuration(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Plural renders n with noun, in the plural unless n is 1.
func Plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return humanize.Comma(n) + " " + noun + "s"
}
