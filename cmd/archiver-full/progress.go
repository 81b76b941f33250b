package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	gosync "sync"
	"time"
	"unicode/utf8"

	"github.com/dustin/go-humanize"
	"golang.org/x/term"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/cliapp"
	archsync "github.com/archiver-dev/archiver/sync"
)

func isTTY(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// progress draws one line of sync progress on a terminal, redrawn in place:
// job logs read, running counts and the time taken. Off a terminal it only
// passes on messages (waits, retries), one line each.
//
// The line never wraps and never goes backwards. It is cut to the
// terminal's width, read at every redraw, less one column (a terminal that
// wraps at the last column would scroll). While job listings still add job
// logs to read, it shows the count read and the total so far ("120/1,500+
// job logs"), with a spinner; once the total is final it shows a bar and a percentage, which
// only grow.
type progress struct {
	w     io.Writer
	width func() int // the terminal's columns
	stats *archsync.Stats
	quiet bool

	mu      gosync.Mutex // serialises drawing and messages
	drawn   bool         // a progress line is on screen
	frame   int          // spinner position
	lastPct int
	start   time.Time

	done  chan struct{}
	ended chan struct{}
}

// defaultWidth is the width assumed when the terminal does not say.
const defaultWidth = 80

func startProgress(w io.Writer, stats *archsync.Stats, quiet bool) *progress {
	p := &progress{w: w, quiet: quiet}
	if quiet || !cliapp.IsTerminal(w) {
		return p
	}
	f := w.(*os.File)
	p.width = func() int {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
		return defaultWidth
	}
	p.stats, p.start = stats, time.Now()
	p.done, p.ended = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.ended)
		t := time.NewTicker(150 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				p.draw(time.Now())
			}
		}
	}()
	return p
}

// draw redraws the progress line.
func (p *progress) draw(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frame++
	fmt.Fprint(p.w, "\r"+p.line(now)+"\x1b[K")
	p.drawn = true
}

var spinner = []string{"|", "/", "-", `\`}

// line renders the progress line for now, at most width-1 columns.
func (p *progress) line(now time.Time) string {
	s := p.stats
	limit := p.width() - 1
	if limit < 1 {
		limit = 1
	}
	done, total := s.JobLogs.Load(), s.JobLogsPending.Load()
	listings := s.JobListings.Load()
	final := listings > 0 && s.JobListingsDone.Load() >= listings
	if done > total {
		total = done
	}

	// What must be said, then what is said if it fits.
	var head string
	pct := -1
	switch {
	case final && total > 0:
		pct = int(done * 100 / total)
		if pct < p.lastPct {
			pct = p.lastPct
		}
		p.lastPct = pct
		head = fmt.Sprintf("%3d%% %s/%s job logs", pct, humanize.Comma(done), humanize.Comma(total))
	case final:
		head = "no job logs to read"
	case total > 0 || listings > 0:
		// "+": job listings are still adding job logs to read.
		head = fmt.Sprintf("%s/%s+ job logs", humanize.Comma(done), humanize.Comma(total))
	}
	// The counts of the kinds the line names: DRS's once job listings
	// run (there is DRS in this sync), the others' once there are some.
	var extras []string
	for _, spec := range kinds.All() {
		n := s.Read(spec.Kind)
		if spec.Progress != "" && (spec.Source == kinds.SourceDRS && listings > 0 || spec.Source != kinds.SourceDRS && n > 0) {
			extras = append(extras, plural(n, spec.Progress))
		}
	}
	elapsed := now.Sub(p.start).Round(time.Second).String()

	// The bar's width depends on the terminal's alone, so that its fill
	// only grows with the percentage.
	barCols := 0
	if pct >= 0 && limit >= 60 {
		barCols = min(limit/4, 40) + 3 // "[", "]" and a space
	}
	var b strings.Builder
	b.WriteString("syncing ")
	if pct < 0 {
		b.WriteString(spinner[p.frame%len(spinner)] + " ")
	}
	text, full := head, false
	add := func(part string) { // in order, until one does not fit
		sep := ", "
		if text == "" {
			sep = ""
		}
		if full || width(b.String())+barCols+width(text+sep+part) > limit {
			full = true
			return
		}
		text += sep + part
	}
	add(elapsed)
	for _, e := range extras {
		add(e)
	}
	if barCols > 0 {
		n := barCols - 3
		fill := n * pct / 100
		b.WriteString("[" + strings.Repeat("█", fill) + strings.Repeat("░", n-fill) + "] ")
	}
	b.WriteString(text)
	return clipWidth(b.String(), limit)
}

// width is the number of columns s takes: one a rune, as every rune
// progress writes is one column wide.
func width(s string) int { return utf8.RuneCountInString(s) }

// clipWidth cuts s to limit columns, ending in "…" when it cut.
func clipWidth(s string, limit int) string {
	if width(s) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:limit-1]) + "…"
}

// clear removes the progress line, if one is drawn.
func (p *progress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// say reports something sync is waiting for or retrying.
func (p *progress) say(msg string) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintf(p.w, "archiver: %s\n", msg)
}

func (p *progress) stop() {
	if p.done == nil {
		return
	}
	close(p.done)
	<-p.ended
	p.mu.Lock()
	p.clear()
	p.mu.Unlock()
}
