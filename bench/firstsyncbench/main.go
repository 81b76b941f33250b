// Command firstsyncbench measures queries started while a first sync runs:
// it serves an emulated history, runs 'archiver sync' into a new archive,
// and while it runs asks 'archiver query' with --event, --status, --text
// and --job-id, one after the other, timing each answer. It also times the
// same sync with no query beside it. Each archiver binary given is measured
// the same way, so that two builds can be set side by side.
//
//	go run ./bench/firstsyncbench -archiver before=OLD,after=NEW -log-items 75000 -runs 3 -latency 2ms
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/archiver-dev/archiver/internal/emulator"
)

func main() {
	bins := flag.String("archiver", "", "comma-separated `name=binary` pairs of the archiver builds to measure")
	logItems := flag.Int("log-items", 75000, "log items in the emulated history")
	perJob := flag.Int("per-job", 100, "log items per job")
	runs := flag.Int("runs", 3, "syncs of each kind (alone, with queries) per build; medians are reported")
	latency := flag.Duration("latency", 0, "added to every emulator response, as a network would (a longer sync leaves time for more queries)")
	unindexed := flag.Int("unindexed-runs", 5, "then, on an archive synced with --no-index, timed runs of each query per build (0: none)")
	flag.Parse()
	if *bins == "" {
		fmt.Fprintln(os.Stderr, "firstsyncbench: -archiver is required")
		os.Exit(2)
	}
	if err := run(*bins, *logItems, *perJob, *runs, *unindexed, *latency); err != nil {
		fmt.Fprintln(os.Stderr, "firstsyncbench:", err)
		os.Exit(1)
	}
}

// question is one query asked during the sync.
type question struct {
	name string
	args []string
}

func run(bins string, logItems, perJob, runs, unindexed int, latency time.Duration) error {
	emu := emulator.New(emulator.Options{Seed: 1, Jobs: logItems / perJob, LogItemsPerJob: perJob})
	if err := emu.Start(); err != nil {
		return err
	}
	defer emu.Close()
	emu.SetFaults(emulator.Faults{Latency: latency})
	ids := emu.JobIDs()
	fmt.Printf("history: %d jobs, %d log items, %d source servers\n", len(emu.Jobs()), emu.TotalLogItems(), len(emu.SourceServers()))
	questions := []question{
		{"--event", []string{"--event", "LAUNCH_FAILED"}},
		{"--status", []string{"--status", "FAILED"}},
		{"--text", []string{"--text", "capacity"}},
		// A phrase is no single word: it takes an index in memory.
		{"--text \"…\"", []string{"--text", `"insufficient capacity"`}},
		{"--job-id", []string{"--job-id", ids[len(ids)/2]}},
	}
	for _, pair := range strings.Split(bins, ",") {
		name, bin, ok := strings.Cut(pair, "=")
		if !ok {
			return fmt.Errorf("-archiver %q: want name=binary", pair)
		}
		var alone, busy []time.Duration
		lat := map[string][]time.Duration{}
		slow := map[string]int{}
		notes := 0
		for i := 0; i < runs; i++ {
			d, _, err := syncWith(bin, emu.URL(), nil)
			if err != nil {
				return err
			}
			alone = append(alone, d)
			d, asked, err := syncWith(bin, emu.URL(), questions)
			if err != nil {
				return err
			}
			busy = append(busy, d)
			for _, a := range asked {
				lat[a.q] = append(lat[a.q], a.took)
				if a.took > 2*time.Second {
					slow[a.q]++
				}
				if a.note {
					notes++
				}
			}
		}
		fmt.Printf("\n%s (%s)\n", name, bin)
		fmt.Printf("  sync alone:        median %v over %d runs\n", median(alone).Round(100*time.Millisecond), runs)
		fmt.Printf("  sync with queries: median %v over %d runs\n", median(busy).Round(100*time.Millisecond), runs)
		fmt.Printf("  %-11s %5s %8s %8s %8s %6s\n", "query", "n", "median", "p90", "max", ">2s")
		for _, q := range questions {
			ds := lat[q.name]
			if len(ds) == 0 {
				fmt.Printf("  %-11s %5d\n", q.name, 0)
				continue
			}
			fmt.Printf("  %-11s %5d %8v %8v %8v %6d\n", q.name, len(ds), quantile(ds, 0.5).Round(10*time.Millisecond),
				quantile(ds, 0.9).Round(10*time.Millisecond), quantile(ds, 1).Round(10*time.Millisecond), slow[q.name])
		}
		fmt.Printf("  answers that said on stderr why they were slower: %d\n", notes)
		if unindexed > 0 {
			if err := askUnindexed(bin, emu.URL(), questions, unindexed); err != nil {
				return err
			}
		}
	}
	return nil
}

// askUnindexed syncs the history with --no-index, the state of a first
// sync before its index is built, and times each question runs times.
func askUnindexed(bin, url string, qs []question, runs int) error {
	dir, err := os.MkdirTemp("", "firstsyncbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	arch := filepath.Join(dir, "archive")
	env := append(os.Environ(), "AWS_ACCESS_KEY_ID=BENCH", "AWS_SECRET_ACCESS_KEY=bench", "AWS_REGION=us-east-1")
	sync := exec.Command(bin, "--archive", arch, "sync", "--region", "us-east-1", "--endpoint-url", url, "--quiet", "--no-index")
	sync.Env = env
	if out, err := sync.CombinedOutput(); err != nil {
		return fmt.Errorf("%s sync --no-index: %v: %s", bin, err, out)
	}
	fmt.Printf("  no index (synced with --no-index), %d runs each:\n", runs)
	for _, q := range qs {
		var ds []time.Duration
		lines, note := 0, ""
		for i := 0; i < runs; i++ {
			cmd := exec.Command(bin, append([]string{"--archive", arch, "query", "--output", "jsonl"}, q.args...)...)
			cmd.Env = env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			t0 := time.Now()
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s query %s: %v: %s", bin, q.name, err, stderr.String())
			}
			ds = append(ds, time.Since(t0))
			lines = bytes.Count(stdout.Bytes(), []byte("\n"))
			note = strings.TrimSpace(stderr.String())
		}
		fmt.Printf("    %-11s median %8v  max %8v  %6d records", q.name, median(ds).Round(10*time.Millisecond), quantile(ds, 1).Round(10*time.Millisecond), lines)
		if note != "" {
			fmt.Printf("  stderr: %s", note)
		}
		fmt.Println()
	}
	return nil
}

// answer is one query's time.
type answer struct {
	q    string
	took time.Duration
	note bool
}

// syncWith runs a first sync into a new archive and, while it runs, asks
// the questions in turn; it returns the sync's time and the answers' times.
// Queries asked before the sync created the archive file are not counted.
func syncWith(bin, url string, qs []question) (time.Duration, []answer, error) {
	dir, err := os.MkdirTemp("", "firstsyncbench-")
	if err != nil {
		return 0, nil, err
	}
	defer os.RemoveAll(dir)
	arch := filepath.Join(dir, "archive")
	env := append(os.Environ(), "AWS_ACCESS_KEY_ID=BENCH", "AWS_SECRET_ACCESS_KEY=bench", "AWS_REGION=us-east-1")
	sync := exec.Command(bin, "--archive", arch, "sync", "--region", "us-east-1", "--endpoint-url", url, "--quiet")
	sync.Env = env
	var syncErr bytes.Buffer
	sync.Stderr = &syncErr
	start := time.Now()
	if err := sync.Start(); err != nil {
		return 0, nil, err
	}
	var done atomic.Bool
	finished := make(chan error, 1)
	var took time.Duration
	go func() {
		err := sync.Wait()
		took = time.Since(start)
		done.Store(true)
		finished <- err
	}()
	var out []answer
	for i := 0; len(qs) > 0 && !done.Load(); i++ {
		if st, err := os.Stat(filepath.Join(arch, "archive.db")); err != nil || st.Size() == 0 {
			time.Sleep(20 * time.Millisecond)
			i--
			continue
		}
		q := qs[i%len(qs)]
		args := append([]string{"--archive", arch, "query", "--output", "jsonl"}, q.args...)
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		t0 := time.Now()
		err := cmd.Run()
		d := time.Since(t0)
		if err != nil {
			if done.Load() {
				break
			}
			return 0, nil, fmt.Errorf("%s query %s: %v: %s", bin, q.name, err, stderr.String())
		}
		if !done.Load() {
			out = append(out, answer{q.name, d, strings.Contains(stderr.String(), "indexing them in memory")})
		}
	}
	if err := <-finished; err != nil {
		return 0, nil, fmt.Errorf("%s sync: %v: %s", bin, err, syncErr.String())
	}
	return took, out, nil
}

func median(ds []time.Duration) time.Duration { return quantile(ds, 0.5) }

// quantile returns the q-quantile of ds (nearest rank).
func quantile(ds []time.Duration, q float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(q*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}
