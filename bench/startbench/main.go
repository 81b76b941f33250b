// Command startbench times the start-up of whole processes, to show what
// each linked library adds to the time every archiver command pays before
// it does any work:
//
//	startbench [-runs 41] NAME=COMMAND [ARGS...] ...
//
// Each argument names a command line (split at spaces). The commands run
// in turn, round after round, so that the machine's drift touches them
// alike; each one's output goes to /dev/null. It prints, per command, the
// p50 and p90 wall time, the p50 of its CPU time and of its minor page
// faults, and its p50 beyond the first command's (the anchor: a Go program
// that does nothing). bench/startup.sh builds the programs and runs it.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/archiver-dev/archiver/bench/internal/rusage"
)

// command is one command line and what its runs measured.
type command struct {
	name   string
	argv   []string
	wall   []time.Duration
	cpu    []time.Duration
	faults []int64
}

func main() {
	runs := flag.Int("runs", 41, "runs of each command")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: startbench [-runs N] NAME=COMMAND [ARGS...] ...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 || *runs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	var cmds []*command
	for _, spec := range flag.Args() {
		name, line, ok := strings.Cut(spec, "=")
		argv := strings.Fields(line)
		if !ok || name == "" || len(argv) == 0 {
			fmt.Fprintf(os.Stderr, "startbench: %q is not NAME=COMMAND\n", spec)
			os.Exit(2)
		}
		cmds = append(cmds, &command{name: name, argv: argv})
	}
	for range *runs {
		for _, c := range cmds {
			if err := c.run(); err != nil {
				fmt.Fprintf(os.Stderr, "startbench: %s: %v\n", c.name, err)
				os.Exit(1)
			}
		}
	}
	anchor := p50(cmds[0].wall)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "command\tp50 ms\tp90 ms\tCPU p50 ms\tpage faults p50\tp50 beyond %s ms\t\n", cmds[0].name)
	for _, c := range cmds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t\n", c.name, ms(p50(c.wall)), ms(quantile(c.wall, 0.9)), ms(p50(c.cpu)),
			p50(c.faults), ms(p50(c.wall)-anchor))
	}
	tw.Flush()
	fmt.Printf("(%d runs of each, in turn)\n", *runs)
}

// run runs the command once and records what it measured.
func (c *command) run() error {
	cmd := exec.Command(c.argv[0], c.argv[1:]...)
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return err
	}
	c.wall = append(c.wall, time.Since(start))
	user, sys, faults, _ := rusage.Of(cmd.ProcessState)
	c.cpu = append(c.cpu, time.Duration(user+sys))
	c.faults = append(c.faults, faults)
	return nil
}

// quantile is the q-quantile of xs (nearest rank).
func quantile[T int64 | time.Duration](xs []T, q float64) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func p50[T int64 | time.Duration](xs []T) T { return quantile(xs, 0.5) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }
