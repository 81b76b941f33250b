package main

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	archsync "github.com/archiver-dev/archiver/sync"
)

// frames splits what progress wrote into the lines it drew (each starts
// with "\r" and ends with "clear to end of line") and the messages.
func frames(t *testing.T, out string) []string {
	t.Helper()
	var lines []string
	for _, f := range strings.Split(out, "\r") {
		// A drawn line ends in "clear to end of line"; a message starts
		// with it, after the "\r" that clears the drawn line away.
		f = strings.TrimPrefix(strings.TrimSuffix(f, "\x1b[K"), "\x1b[K")
		if f == "" {
			continue
		}
		lines = append(lines, f)
	}
	return lines
}

// TestProgressLine drives the progress line through a sync whose total of
// job logs grows while they are read (jobs listed page by page), at
// terminal widths from narrow to wide, and checks every line drawn: it fits
// in the width less one column (so it never wraps or scrolls), it holds no
// newline, its percentage appears only once the total is final and then
// never decreases, and the bar's fill never shrinks.
func TestProgressLine(t *testing.T) {
	// Each step: job logs read, job logs known, job listings done (of 2).
	steps := []struct{ done, total, listed int64 }{
		{0, 0, 0}, {3, 10, 0}, {9, 10, 0}, {10, 50, 0}, {40, 120, 1}, {119, 120, 1},
		{120, 1500, 1}, {900, 12000, 1}, {900, 12000, 2}, {4000, 12000, 2}, {11999, 12000, 2}, {12000, 12000, 2},
	}
	pctRE := regexp.MustCompile(`(\d+)% `)
	for _, cols := range []int{20, 40, 60, 80, 100, 200} {
		t.Run(strconv.Itoa(cols), func(t *testing.T) {
			var stats archsync.Stats
			stats.JobListings.Store(2)
			var buf bytes.Buffer
			start := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
			p := &progress{w: &buf, width: func() int { return cols }, stats: &stats, start: start}
			finals := 0
			for i, s := range steps {
				stats.JobLogs.Store(s.done)
				stats.JobLogsPending.Store(s.total)
				stats.JobListingsDone.Store(s.listed)
				for k, n := range map[archive.Kind]int64{kinds.DRSJob: s.total * 3, kinds.DRSJobLogItem: s.done * 21,
					kinds.DRSSourceServer: 1234, kinds.SnowballJob: 7} {
					stats.AddRead(k, n-stats.Read(k))
				}
				p.draw(start.Add(time.Duration(i) * 61 * time.Second))
				if s.listed == 2 {
					finals++
				}
				if i == 5 {
					p.say("DescribeJobs: connection refused at http://127.0.0.1:9; retrying (attempt 2 of 12)")
				}
			}
			p.mu.Lock()
			p.clear()
			p.mu.Unlock()
			lines := frames(t, buf.String())
			if len(lines) != len(steps)+1 {
				t.Fatalf("%d lines drawn, want %d:\n%q", len(lines), len(steps)+1, buf.String())
			}
			t.Logf("%d columns:\n%s", cols, strings.Join(lines, "\n"))
			lastPct, lastFill, pcts := -1, -1, 0
			for i, l := range lines {
				if strings.HasPrefix(l, "archiver: ") {
					if !strings.HasSuffix(l, "\n") || strings.Count(l, "\n") != 1 {
						t.Errorf("message %q is not one line of its own", l)
					}
					continue
				}
				if strings.Contains(l, "\n") {
					t.Errorf("line %d holds a newline: %q", i, l)
				}
				if w := width(l); w > cols-1 {
					t.Errorf("line %d is %d columns on a %d-column terminal: %q", i, w, cols, l)
				}
				m := pctRE.FindStringSubmatch(l)
				if m == nil {
					continue
				}
				pcts++
				pct, _ := strconv.Atoi(m[1])
				if pct < lastPct {
					t.Errorf("line %d: %d%% after %d%%: %q", i, pct, lastPct, l)
				}
				lastPct = pct
				if fill := strings.Count(l, "█"); strings.Contains(l, "[") && fill < lastFill {
					t.Errorf("line %d: the bar shrank from %d to %d: %q", i, lastFill, fill, l)
				} else if strings.Contains(l, "[") {
					lastFill = fill
				}
			}
			// Only the lines drawn once both listings were done carry a
			// percentage (where the width leaves room for one).
			if cols >= 40 && pcts != finals {
				t.Errorf("%d lines with a percentage, want the %d drawn once the total was final:\n%s", pcts, finals, strings.Join(lines, "\n"))
			}
			if cols >= 40 && lastPct != 100 {
				t.Errorf("the last percentage is %d, want 100", lastPct)
			}
			if cols >= 80 && !strings.Contains(lines[len(lines)-1], "12,000/12,000 job logs") {
				t.Errorf("the last line does not show the final count: %q", lines[len(lines)-1])
			}
		})
	}
}
