package report_test

import (
	"encoding/xml"
	"math"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/report"
)

// svgNode is one element of a drawn timeline.
type svgNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []svgNode  `xml:",any"`
	Text     string     `xml:",chardata"`
}

func (n svgNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n svgNode) num(t *testing.T, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(n.attr(name), 64)
	if err != nil {
		t.Fatalf("<%s> %s=%q: %v", n.XMLName.Local, name, n.attr(name), err)
	}
	return v
}

// byClass parses a timeline and returns its elements by class.
func byClass(t *testing.T, svg []byte) map[string][]svgNode {
	t.Helper()
	var root svgNode
	if err := xml.Unmarshal(svg, &root); err != nil {
		t.Fatalf("the timeline is not XML: %v\n%s", err, svg)
	}
	if root.XMLName.Local != "svg" || root.attr("class") != "timeline" {
		t.Fatalf("the timeline's root is <%s class=%q>", root.XMLName.Local, root.attr("class"))
	}
	out := map[string][]svgNode{}
	var walk func(n svgNode)
	walk = func(n svgNode) {
		if c := n.attr("class"); c != "" {
			out[c] = append(out[c], n)
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(root)
	return out
}

var pathNumbers = regexp.MustCompile(`-?[0-9.]+`)

// centreX is the horizontal centre of a mark: a circle's cx, a square's
// middle, a path's mean x.
func centreX(t *testing.T, n svgNode) float64 {
	t.Helper()
	switch n.XMLName.Local {
	case "circle":
		return n.num(t, "cx")
	case "rect":
		return n.num(t, "x") + n.num(t, "width")/2
	case "path":
		nums := pathNumbers.FindAllString(n.attr("d"), -1)
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := 0; i < len(nums); i += 2 {
			x, _ := strconv.ParseFloat(nums[i], 64)
			lo, hi = min(lo, x), max(hi, x)
		}
		return (lo + hi) / 2
	}
	t.Fatalf("mark <%s> has no centre", n.XMLName.Local)
	return 0
}

// TestTimeline draws the timeline of every server of a report on the
// emulated history and checks, against the emulator's jobs and logs, that
// every launch has its mark (drill, recovery or failure) where its job
// start lies across the frame, and that the replication bands, snapshot
// marks, largest gap and time labels lie where their times do.
func TestTimeline(t *testing.T) {
	h := emulated(t)
	last := h.syncs[len(h.syncs)-1]
	drawn := map[string]int{}
	sixty := query.Range{From: emulator.DefaultNow.Add(-60 * 24 * time.Hour), To: last}
	// The report's sixty days drawn whole, and drawn from between the first
	// two syncs and from between the last two: that cuts the replication
	// spans they observed or leaves them out, and puts older marks at the
	// left edge.
	drawTimelines(t, h, sixty, sixty, drawn)
	drawTimelines(t, h, sixty, query.Range{From: h.syncs[0].Add(3 * time.Hour), To: last}, drawn)
	drawTimelines(t, h, sixty, query.Range{From: h.syncs[1].Add(3 * time.Hour), To: last}, drawn)
	for _, class := range []string{report.KindDrill, report.KindRecovery, "failure", "snapshot", "gap", "band", "cut band", "band left out"} {
		if drawn[class] == 0 {
			t.Errorf("no %s drawn in any timeline: the test proves nothing of them", class)
		}
	}
}

// drawTimelines draws the timeline of every server of a report over period
// across window and checks it; drawn counts the marks of each class it
// checked.
func drawTimelines(t *testing.T, h *history, period, window query.Range, drawn map[string]int) {
	t.Helper()
	rep := makeReport(t, h, report.Selection{Range: period})
	byServer := launchesIn(t, h, expectLaunches(t, h, rep.Filters.To), rep.Filters.From)
	from, to := window.From, window.To
	for _, s := range rep.Servers {
		els := byClass(t, report.Timeline(s, from, to))
		if len(els["frame"]) != 1 {
			t.Fatalf("%s: %d frames", s.SourceServerID, len(els["frame"]))
		}
		left, width := els["frame"][0].num(t, "x"), els["frame"][0].num(t, "width")
		xAt := func(tm time.Time) float64 {
			f := float64(tm.Sub(from)) / float64(to.Sub(from))
			return left + min(max(f, 0), 1)*width
		}
		near := func(what string, got, want float64) {
			t.Helper()
			if math.Abs(got-want) > 0.11 {
				t.Errorf("%s: %s at x=%.2f, want %.2f", s.SourceServerID, what, got, want)
			}
		}
		at := func(n svgNode) time.Time {
			t.Helper()
			tm, err := time.Parse(time.RFC3339, n.attr("data-time"))
			if err != nil {
				t.Fatalf("%s: <%s class=%q> data-time: %v", s.SourceServerID, n.XMLName.Local, n.attr("class"), err)
			}
			return tm
		}

		want := map[string][]string{}
		for _, w := range byServer[s.SourceServerID] {
			class := w.kind
			if w.result == report.ResultFailed || w.result == report.ResultSkipped {
				class = "failure"
			}
			want[class] = append(want[class], w.start.UTC().Format(time.RFC3339))
		}
		for _, class := range []string{report.KindDrill, report.KindRecovery, "failure"} {
			var got []string
			for _, n := range els[class] {
				got = append(got, n.attr("data-time"))
				near(class+" "+n.attr("data-time"), centreX(t, n), xAt(at(n)))
			}
			slices.Sort(got)
			slices.Sort(want[class])
			if !slices.Equal(got, want[class]) {
				t.Errorf("%s: %s marks at %v, want %v", s.SourceServerID, class, got, want[class])
			}
			drawn[class] += len(got)
		}

		if len(els["snapshot"]) != len(s.Snapshots.Times) {
			t.Errorf("%s: %d snapshot marks, %d snapshots", s.SourceServerID, len(els["snapshot"]), len(s.Snapshots.Times))
		}
		for _, n := range els["snapshot"] {
			near("snapshot", centreX(t, n), xAt(at(n)))
		}
		drawn["snapshot"] += len(els["snapshot"])

		switch g := els["gap"]; {
		case s.Snapshots.GapFrom == nil && len(g) != 0:
			t.Errorf("%s: a gap is drawn but the report has none", s.SourceServerID)
		case s.Snapshots.GapFrom != nil && len(g) != 1:
			t.Errorf("%s: %d gaps drawn, want 1", s.SourceServerID, len(g))
		case len(g) == 1:
			near("gap start", g[0].num(t, "x1"), xAt(*s.Snapshots.GapFrom))
			near("gap end", g[0].num(t, "x2"), xAt(*s.Snapshots.GapTo))
			drawn["gap"]++
		}

		var spans []report.Span
		for _, sp := range s.Replication.Spans {
			if sp.To.After(from) && sp.From.Before(to) {
				spans = append(spans, sp)
			}
		}
		if len(els["band"]) != len(spans) {
			t.Fatalf("%s: %d replication bands, %d spans in the period", s.SourceServerID, len(els["band"]), len(spans))
		}
		for i, n := range els["band"] {
			if n.attr("data-state") != spans[i].State {
				t.Errorf("%s: band %d is %s, span %s", s.SourceServerID, i, n.attr("data-state"), spans[i].State)
			}
			near("band start", n.num(t, "x"), xAt(spans[i].From))
			if w := xAt(spans[i].To) - xAt(spans[i].From); w >= 0.5 {
				near("band end", n.num(t, "x")+n.num(t, "width"), xAt(spans[i].To))
			}
		}
		drawn["band"] += len(spans)
		drawn["band left out"] += len(s.Replication.Spans) - len(spans)
		for _, sp := range spans {
			if sp.From.Before(from) || sp.To.After(to) {
				drawn["cut band"]++
			}
		}

		ticks := els["tick"]
		if len(ticks) < 2 {
			t.Errorf("%s: %d time labels", s.SourceServerID, len(ticks))
		}
		for _, n := range ticks {
			tm := at(n)
			if tm.Before(from) || tm.After(to) {
				t.Errorf("%s: time label %v outside the period", s.SourceServerID, tm)
			}
			layout := "2006-01-02"
			if to.Sub(from) < 4*24*time.Hour {
				layout = "01-02 15:04"
			}
			if n.Text != tm.Format(layout) {
				t.Errorf("%s: time label %q for %v", s.SourceServerID, n.Text, tm)
			}
			near("time label", n.num(t, "x"), xAt(tm))
		}
	}
}
