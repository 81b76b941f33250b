package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	archsync "github.com/archiver-dev/archiver/sync"
)

func isTTY(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// progress draws a bar of job logs read, with running counts, on a terminal.
// Off a terminal it only passes on "waiting for ..." messages, one line each.
type progress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	done  chan struct{}
	ended chan struct{}
	quiet bool
}

func startProgress(w io.Writer, stats *archsync.Stats, quiet bool) *progress {
	p := &progress{w: w, quiet: quiet}
	if quiet || !isTerminal(w) {
		return p
	}
	p.bar = progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("syncing"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("logs"),
		progressbar.OptionShowIts(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionFullWidth(),
	)
	p.done = make(chan struct{})
	p.ended = make(chan struct{})
	go func() {
		defer close(p.ended)
		t := time.NewTicker(150 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				if max := stats.JobLogsPending.Load(); max > 0 {
					p.bar.ChangeMax64(max)
				}
				_ = p.bar.Set64(stats.JobLogs.Load())
				desc := fmt.Sprintf("%s jobs, %s log items, %s servers",
					humanize.Comma(stats.Jobs.Load()), humanize.Comma(stats.LogItems.Load()), humanize.Comma(stats.Servers.Load()))
				if n := stats.SnowballJobs.Load(); n > 0 {
					desc += ", " + humanize.Comma(n) + " Snowball jobs"
				}
				if n := stats.SMSJobs.Load(); n > 0 {
					desc += ", " + humanize.Comma(n) + " SMS jobs"
				}
				p.bar.Describe(desc)
			}
		}
	}()
	return p
}

// say reports something sync is waiting for.
func (p *progress) say(msg string) {
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	if !p.quiet {
		fmt.Fprintf(p.w, "archiver: %s\n", msg)
	}
}

func (p *progress) stop() {
	if p.bar == nil {
		return
	}
	close(p.done)
	<-p.ended
	_ = p.bar.Finish()
}
