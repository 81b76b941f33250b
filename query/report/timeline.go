package report

import (
	"bytes"
	"fmt"
	"image/color"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The timeline's rows, bottom up.
const (
	rowReplication = 0.5
	rowSnapshots   = 1.5
	rowLaunches    = 2.5
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

// unix is a time as the timeline's x value.
func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// Timeline draws a server's period as an SVG document: its replication
// state as a band, its recovery snapshots as marks with the largest gap
// drawn over them, and its drills, recoveries and failures as marks.
func Timeline(s Server, from, to time.Time) ([]byte, error) {
	p := plot.New()
	p.X.Min, p.X.Max = unix(from), unix(to)
	p.Y.Min, p.Y.Max = 0, 3
	format := "2006-01-02"
	if to.Sub(from) < 4*24*time.Hour {
		format = "01-02 15:04"
	}
	p.X.Tick.Marker = plot.TimeTicks{Format: format}
	p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{
		{Value: rowReplication, Label: "replication"},
		{Value: rowSnapshots, Label: "snapshots"},
		{Value: rowLaunches, Label: "launches"},
	})
	p.X.Label.Text = "UTC"
	p.Add(plotter.NewGrid())

	for _, sp := range s.Replication.Spans {
		poly, err := plotter.NewPolygon(plotter.XYs{
			{X: unix(sp.From), Y: 0.15}, {X: unix(sp.To), Y: 0.15}, {X: unix(sp.To), Y: 0.85}, {X: unix(sp.From), Y: 0.85},
		})
		if err != nil {
			return nil, err
		}
		poly.Color = stateColour(sp.State)
		poly.LineStyle.Width = 0
		p.Add(poly)
	}

	if n := len(s.Snapshots.Times); n > 0 {
		xys := make(plotter.XYs, n)
		for i, t := range s.Snapshots.Times {
			xys[i] = plotter.XY{X: unix(t), Y: rowSnapshots}
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: colourSnapshot, Radius: vg.Points(2), Shape: draw.BoxGlyph{}}
		p.Add(sc)
	}
	if s.Snapshots.GapFrom != nil {
		gap, err := plotter.NewLine(plotter.XYs{{X: unix(*s.Snapshots.GapFrom), Y: rowSnapshots - 0.25}, {X: unix(*s.Snapshots.GapTo), Y: rowSnapshots - 0.25}})
		if err != nil {
			return nil, err
		}
		gap.LineStyle = draw.LineStyle{Color: colourTrouble, Width: vg.Points(2)}
		p.Add(gap)
	}

	marks := map[string]plotter.XYs{}
	for _, l := range s.Launches {
		key := l.Kind
		if l.Result == ResultFailed || l.Result == ResultSkipped {
			key = "failure"
		}
		marks[key] = append(marks[key], plotter.XY{X: unix(l.JobStart), Y: rowLaunches})
	}
	styles := map[string]draw.GlyphStyle{
		KindDrill:    {Color: colourDrill, Radius: vg.Points(4), Shape: draw.CircleGlyph{}},
		KindRecovery: {Color: colourRecovery, Radius: vg.Points(4), Shape: draw.TriangleGlyph{}},
		"failure":    {Color: colourTrouble, Radius: vg.Points(5), Shape: draw.CrossGlyph{}},
	}
	for _, key := range []string{KindDrill, KindRecovery, "failure"} {
		if len(marks[key]) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(marks[key])
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = styles[key]
		p.Add(sc)
	}

	c := vgsvg.New(20*vg.Centimeter, 5*vg.Centimeter)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("draw the timeline of %s: %w", s.SourceServerID, err)
	}
	return inlineSVG(buf.Bytes()), nil
}

// inlineSVG makes an SVG document fit for an HTML page: no XML
// declaration or comment, and a size the page's CSS scales.
func inlineSVG(doc []byte) []byte {
	s := string(doc)
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	s = strings.Replace(s, "<svg ", `<svg class="timeline" role="img" `, 1)
	return []byte(s)
}
