package report

import (
	"bytes"
	"fmt"
	"html"
	"image/color"
	"strconv"
	"time"
)

// The timeline's rows, bottom up, in row units: the plot is three rows high.
const (
	rowReplication = 0.5
	rowSnapshots   = 1.5
	rowLaunches    = 2.5
	rows           = 3
)

// The timeline's geometry, in SVG user units (CSS pixels, 96 to the
// inch): 20 by 5 cm, with room on the left for the row names and below
// for the times.
const (
	tlWidth  = 756
	tlHeight = 189
	tlLeft   = 78
	tlRight  = 12
	tlTop    = 8
	tlBottom = 40
	tlPlotW  = tlWidth - tlLeft - tlRight
	tlPlotH  = tlHeight - tlTop - tlBottom
	// tlMaxTicks is the most time labels under the plot.
	tlMaxTicks = 7
)

// Colours of the timeline, also used by the HTML legend.
var (
	colourContinuous = color.RGBA{R: 0x2e, G: 0x9e, B: 0x4f, A: 0xff}
	colourCatchingUp = color.RGBA{R: 0xe3, G: 0xb5, B: 0x0b, A: 0xff}
	colourTrouble    = color.RGBA{R: 0xd6, G: 0x3a, B: 0x2f, A: 0xff}
	colourIdle       = color.RGBA{R: 0x9a, G: 0x9a, B: 0x9a, A: 0xff}
	colourDrill      = color.RGBA{R: 0x1f, G: 0x5f, B: 0xbf, A: 0xff}
	colourRecovery   = color.RGBA{R: 0x7a, G: 0x3f, B: 0xb0, A: 0xff}
	colourSnapshot   = color.RGBA{R: 0x44, G: 0x44, B: 0x44, A: 0xff}
	colourGrid       = color.RGBA{R: 0xdd, G: 0xdd, B: 0xdd, A: 0xff}
	colourAxis       = color.RGBA{R: 0x33, G: 0x33, B: 0x33, A: 0xff}
)

// stateColour is the band colour of a dataReplicationState.
func stateColour(state string) color.Color {
	switch state {
	case "CONTINUOUS":
		return colourContinuous
	case "INITIAL_SYNC", "BACKLOG", "CREATING_SNAPSHOT", "RESCAN", "INITIATING":
		return colourCatchingUp
	case "PAUSED", "STOPPED", "NOT_STARTED":
		return colourIdle
	}
	return colourTrouble
}

// timeline maps times and rows of one period onto the drawing.
type timeline struct {
	from, to time.Time
	buf      bytes.Buffer
}

// x is where t lies across the plot, clamped to the period.
func (tl *timeline) x(t time.Time) float64 {
	span := tl.to.Sub(tl.from)
	if span <= 0 {
		return tlLeft
	}
	f := float64(t.Sub(tl.from)) / float64(span)
	return tlLeft + min(max(f, 0), 1)*tlPlotW
}

// y is where a row value lies down the plot (row 0 is at the bottom).
func (tl *timeline) y(row float64) float64 {
	return tlTop + (rows-row)/rows*tlPlotH
}

// printf writes to the drawing.
func (tl *timeline) printf(format string, args ...any) { fmt.Fprintf(&tl.buf, format, args...) }

// num is a coordinate as the drawing writes it.
func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// titleTime is a time as titles and data-time attributes give it.
func titleTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Timeline draws a server's period as an SVG element for an HTML page:
// its replication state as a band, its recovery snapshots as marks with
// the largest gap drawn under them, and its drills, recoveries and failures
// as marks. Every band and mark carries a title (shown on hover) with its
// times and, for launches, the job; times are UTC.
func Timeline(s Server, from, to time.Time) []byte {
	tl := &timeline{from: from, to: to}
	tl.printf(`<svg class="timeline" role="img" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`,
		tlWidth, tlHeight, tlWidth, tlHeight)
	tl.printf(`<title>%s</title>`, html.EscapeString("Timeline of "+s.SourceServerID+" from "+titleTime(from)+" to "+titleTime(to)))
	tl.axes()
	tl.replication(s.Replication.Spans)
	tl.snapshots(s.Snapshots)
	tl.launches(s.Launches)
	tl.printf(`</svg>`)
	return tl.buf.Bytes()
}

// axes draws the grid, the row names, the time labels and the frame.
func (tl *timeline) axes() {
	top, bottom := num(tl.y(rows)), num(tl.y(0))
	ticks, layout := timeTicks(tl.from, tl.to)
	for _, t := range ticks {
		x := num(tl.x(t))
		// A label at the right edge ends there, not past the drawing.
		anchor := "middle"
		if tl.x(t) > tlLeft+tlPlotW-tlRight-24 {
			anchor = "end"
		}
		tl.printf(`<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"/>`, x, top, x, bottom, cssColour(colourGrid))
		tl.printf(`<text class="tick" data-time="%s" x="%s" y="%s" text-anchor="%s">%s</text>`,
			titleTime(t), x, num(tl.y(0)+14), anchor, html.EscapeString(t.UTC().Format(layout)))
	}
	for _, r := range []struct {
		row  float64
		name string
	}{{rowReplication, "replication"}, {rowSnapshots, "snapshots"}, {rowLaunches, "launches"}} {
		y := num(tl.y(r.row))
		tl.printf(`<line class="grid" x1="%d" y1="%s" x2="%d" y2="%s" stroke="%s"/>`, tlLeft, y, tlLeft+tlPlotW, y, cssColour(colourGrid))
		tl.printf(`<text x="%d" y="%s" text-anchor="end" dominant-baseline="middle">%s</text>`, tlLeft-6, y, r.name)
	}
	tl.printf(`<rect class="frame" x="%d" y="%s" width="%d" height="%d" fill="none" stroke="%s"/>`, tlLeft, top, tlPlotW, tlPlotH, cssColour(colourAxis))
	tl.printf(`<text x="%d" y="%d" text-anchor="middle">UTC</text>`, tlLeft+tlPlotW/2, tlHeight-6)
}

// replication draws the spans of replication state as a band, each span
// clipped to the period.
func (tl *timeline) replication(spans []Span) {
	y0, y1 := tl.y(rowReplication+0.35), tl.y(rowReplication-0.35)
	for _, sp := range spans {
		if !sp.To.After(tl.from) || !sp.From.Before(tl.to) {
			continue
		}
		x0, x1 := tl.x(sp.From), tl.x(sp.To)
		tl.printf(`<rect class="band" data-state="%s" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`,
			html.EscapeString(sp.State), num(x0), num(y0), num(max(x1-x0, 0.5)), num(y1-y0), cssColour(stateColour(sp.State)),
			html.EscapeString(sp.State+" from "+titleTime(sp.From)+" to "+titleTime(sp.To)))
	}
}

// snapshots draws a mark for every recovery snapshot and
// a line under the largest gap between two of them.
func (tl *timeline) snapshots(sn Snapshots) {
	y := tl.y(rowSnapshots)
	if sn.GapFrom != nil && sn.GapTo != nil {
		gy := num(tl.y(rowSnapshots - 0.25))
		tl.printf(`<line class="gap" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2.7"><title>%s</title></line>`,
			num(tl.x(*sn.GapFrom)), gy, num(tl.x(*sn.GapTo)), gy, cssColour(colourTrouble),
			html.EscapeString("largest gap between snapshots, from "+titleTime(*sn.GapFrom)+" to "+titleTime(*sn.GapTo)))
	}
	const side = 5.4
	for _, t := range sn.Times {
		tl.printf(`<rect class="snapshot" data-time="%s" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>snapshot %s</title></rect>`,
			titleTime(t), num(tl.x(t)-side/2), num(y-side/2), num(side), num(side), cssColour(colourSnapshot), titleTime(t))
	}
}

// launches draws a mark for every drill, recovery and failed or skipped
// launch, at its job start (at the period's edge for a job created in the
// period that started after it): a circle, a triangle or a cross.
func (tl *timeline) launches(ls []Launch) {
	y := tl.y(rowLaunches)
	for _, l := range ls {
		x := tl.x(l.JobStart)
		title := html.EscapeString(l.Kind + " " + l.JobID + ", started " + titleTime(l.JobStart) + ": " + l.Result)
		at := titleTime(l.JobStart)
		switch {
		case l.Result == ResultFailed || l.Result == ResultSkipped:
			const r = 5.3
			tl.printf(`<path class="failure" data-time="%s" d="M%s %sL%s %sM%s %sL%s %s" stroke="%s" stroke-width="2"><title>%s</title></path>`,
				at, num(x-r), num(y-r), num(x+r), num(y+r), num(x-r), num(y+r), num(x+r), num(y-r), cssColour(colourTrouble), title)
		case l.Kind == KindRecovery:
			const r = 5.3
			tl.printf(`<path class="recovery" data-time="%s" d="M%s %sL%s %sL%s %sZ" fill="%s"><title>%s</title></path>`,
				at, num(x), num(y-r), num(x+r), num(y+r*0.7), num(x-r), num(y+r*0.7), cssColour(colourRecovery), title)
		default:
			tl.printf(`<circle class="drill" data-time="%s" cx="%s" cy="%s" r="5.3" fill="%s"><title>%s</title></circle>`,
				at, num(x), num(y), cssColour(colourDrill), title)
		}
	}
}

// tickSteps are the spacings between time labels, shortest first; the
// timeline uses the shortest that gives at most tlMaxTicks labels.
var tickSteps = []struct {
	d      time.Duration
	months int
}{
	{d: time.Hour}, {d: 2 * time.Hour}, {d: 3 * time.Hour}, {d: 6 * time.Hour}, {d: 12 * time.Hour},
	{d: 24 * time.Hour}, {d: 2 * 24 * time.Hour}, {d: 7 * 24 * time.Hour}, {d: 14 * 24 * time.Hour},
	{months: 1}, {months: 2}, {months: 3}, {months: 6}, {months: 12}, {months: 24}, {months: 60}, {months: 120},
}

// timeTicks are the times to label under a timeline from from to to, at a
// round spacing (whole hours, UTC midnights, or the first of a month), and
// the layout to print them in: dates for a period of four days or more,
// else month, day and time. A period too short for two round times is
// labelled at its two ends.
func timeTicks(from, to time.Time) ([]time.Time, string) {
	layout := "2006-01-02"
	if to.Sub(from) < 4*24*time.Hour {
		layout = "01-02 15:04"
	}
	from, to = from.UTC(), to.UTC()
	for _, st := range tickSteps {
		var first time.Time
		next := func(t time.Time) time.Time { return t.Add(st.d) }
		switch {
		case st.months > 0:
			first = time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
			for (int(first.Month())-1)%st.months != 0 {
				first = first.AddDate(0, -1, 0)
			}
			next = func(t time.Time) time.Time { return t.AddDate(0, st.months, 0) }
		case st.d >= 24*time.Hour:
			first = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
		default:
			first = from.Truncate(st.d)
		}
		for first.Before(from) {
			first = next(first)
		}
		var ticks []time.Time
		for t := first; !t.After(to) && len(ticks) <= tlMaxTicks; t = next(t) {
			ticks = append(ticks, t)
		}
		if len(ticks) < 2 {
			// A period shorter than two of the shortest spacings: its
			// two ends.
			break
		}
		if len(ticks) <= tlMaxTicks {
			return ticks, layout
		}
	}
	return []time.Time{from, to}, layout
}
