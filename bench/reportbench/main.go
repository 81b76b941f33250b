//go:build unix

// Command reportbench measures 'archiver report' on a large archive (such as
// the one 'querybench -generate' builds): the whole command in a process of
// its own per format, and, in process, its phases (reading the archive,
// computing, rendering each format), each as wall time and the CPU time the
// process spent, since on a busy machine wall time says little.
//
//	reportbench -archive DIR -archiver BIN [-from 2026-07-01 -to 2026-11-02] [-runs 3]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/archiver-dev/archiver/internal/buildinfo"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/report"
)

func main() {
	dir := flag.String("archive", "", "archive `directory` to report on")
	bin := flag.String("archiver", "", "archiver `binary` to time as a whole command (optional)")
	from := flag.String("from", "2026-07-01", "start of the period")
	to := flag.String("to", "2026-11-02", "end of the period")
	runs := flag.Int("runs", 3, "runs of each measure; the median is reported")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the in-process phases to this `file`")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "reportbench: %v\n", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "reportbench: -archive is required")
		os.Exit(2)
	}
	if err := run(*dir, *bin, *from, *to, *runs); err != nil {
		fmt.Fprintf(os.Stderr, "reportbench: %v\n", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// cpu returns the CPU time (user and system) this process or its waited
// children have used so far.
func cpu(who int) time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type sample struct{ wall, cpu time.Duration }

func median(s []sample) sample {
	slices.SortFunc(s, func(a, b sample) int { return int(a.wall - b.wall) })
	return s[len(s)/2]
}

func measure(runs, who int, fn func() error) (sample, error) {
	var out []sample
	for range runs {
		w, c := time.Now(), cpu(who)
		if err := fn(); err != nil {
			return sample{}, err
		}
		out = append(out, sample{time.Since(w), cpu(who) - c})
	}
	return median(out), nil
}

func run(dir, bin, from, to string, runs int) error {
	now := time.Now()
	r, err := query.ParseRange(from, to, now)
	if err != nil {
		return err
	}
	sel := report.Selection{Range: r}.Resolve(now)
	ctx := context.Background()
	var d *report.Data
	s, err := measure(runs, syscall.RUSAGE_SELF, func() (err error) {
		d, err = report.Gather(ctx, dir, time.Minute, sel, os.Stderr)
		return err
	})
	if err != nil {
		return err
	}
	items := 0
	for _, l := range d.Logs {
		items += len(l)
	}
	fmt.Printf("read the archive: %d jobs, %d log items of %d jobs, %d server observations, %d snapshots: %v wall, %v CPU\n",
		len(d.Jobs), items, len(d.Logs), len(d.Servers), len(d.Snapshots), s.wall.Round(time.Millisecond), s.cpu.Round(time.Millisecond))
	var rep *report.Report
	s, _ = measure(runs, syscall.RUSAGE_SELF, func() error {
		rep = report.Compute(d, sel, now, buildinfo.Info{})
		return nil
	})
	fmt.Printf("compute: %d servers, %d launches: %v wall, %v CPU\n", len(rep.Servers), rep.Summary.Launches, s.wall.Round(time.Millisecond), s.cpu.Round(time.Millisecond))
	for _, f := range report.Formats {
		var n countWriter
		s, err := measure(runs, syscall.RUSAGE_SELF, func() error { n = 0; return report.Write(&n, rep, f) })
		if err != nil {
			return err
		}
		fmt.Printf("render %s: %d bytes: %v wall, %v CPU\n", f, n, s.wall.Round(time.Millisecond), s.cpu.Round(time.Millisecond))
	}
	if bin == "" {
		return nil
	}
	for _, f := range report.Formats {
		s, err := measure(runs, syscall.RUSAGE_CHILDREN, func() error {
			cmd := exec.Command(bin, "--archive", dir, "report", "--from", from, "--to", to, "--format", f)
			cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
			return cmd.Run()
		})
		if err != nil {
			return err
		}
		fmt.Printf("archiver report --format %s > /dev/null: %v wall, %v CPU\n", f, s.wall.Round(time.Millisecond), s.cpu.Round(time.Millisecond))
	}
	return nil
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
