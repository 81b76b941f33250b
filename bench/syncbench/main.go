// Command syncbench measures sync throughput against the local DRS emulator
// and sets it beside a fetch-only run: the same SDK paginators, client
// configuration and concurrency, with nothing archived.
//
//	go run ./bench/syncbench -log-items 50000 -runs 5
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	gosync "sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/drs"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
	archsync "github.com/archiver-dev/archiver/sync"
)

func main() {
	logItems := flag.Int("log-items", 50000, "log items in the emulated history")
	perJob := flag.Int("per-job", 100, "log items per job")
	runs := flag.Int("runs", 5, "runs of each mode; the median is reported")
	conc := flag.Int("concurrency", 4, "job logs read at once, in both modes")
	latency := flag.Duration("latency", 0, "added to every emulator response, as a network would")
	interval := flag.Duration("commit-interval", 0, "sync's commit interval (0: its default)")
	cpuProfile := flag.String("cpuprofile", "", "write CPU profiles of the first sync run to this file, and of the first fetch-only run to this file plus .fetch")
	indexMode := flag.String("index", "apart", "the full-text index in sync runs: apart (timed after the sync, not in its time), during (built while fetching, in sync's time) or end (built after the last commit, in sync's time)")
	reindexRuns := flag.Int("reindex", 0, "after the runs, sync once more and rebuild its index this many times, as 'archiver reindex' does; the median is reported")
	indexProfile := flag.String("index-cpuprofile", "", "write a CPU profile of the first index build after a sync to this file")
	where := flag.String("emulator", "inprocess", "where the emulator runs: inprocess (its CPU time counts in both modes) or process (a child process of its own, over loopback TCP; its CPU time is reported apart)")
	if spec := os.Getenv(serveEnv); spec != "" {
		if err := serveEmulator(spec); err != nil {
			fmt.Fprintln(os.Stderr, "syncbench emulator:", err)
			os.Exit(1)
		}
		return
	}
	flag.Parse()
	switch *where {
	case "inprocess", "process":
		emuWhere = *where
	default:
		fmt.Fprintln(os.Stderr, "syncbench: -emulator is inprocess or process")
		os.Exit(2)
	}
	profile = *cpuProfile
	indexProfileFile = *indexProfile
	reindexes = *reindexRuns
	switch *indexMode {
	case "apart", "during", "end":
		withIndex = *indexMode
	default:
		fmt.Fprintln(os.Stderr, "syncbench: -index is apart, during or end")
		os.Exit(2)
	}
	emuLatency = *latency
	commitInterval = *interval
	if err := run(*logItems, *perJob, *runs, *conc); err != nil {
		fmt.Fprintln(os.Stderr, "syncbench:", err)
		os.Exit(1)
	}
}

var (
	// profile names the CPU profile file of the first sync run, if any.
	profile string
	// emuLatency is the emulator's added latency per response.
	emuLatency time.Duration
	// commitInterval is passed to sync.
	commitInterval time.Duration
	// withIndex says how sync runs build the index (-index).
	withIndex string
	// reindexes is the number of index rebuilds measured.
	reindexes int
	// indexProfileFile names the CPU profile file of the first index build.
	indexProfileFile string
	// emuWhere says where the emulator runs (-emulator).
	emuWhere string
)

func run(logItems, perJob, runs, conc int) error {
	ctx := context.Background()
	emu, err := startEmulator(emuWhere, logItems/perJob, perJob, emuLatency)
	if err != nil {
		return err
	}
	defer emu.close()
	total := emu.total()
	opts := archsync.Options{
		Regions:     []string{"us-east-1"},
		EndpointURL: emu.url,
		Credentials: credentials.NewStaticCredentialsProvider("BENCH", "bench", ""),
		Concurrency: conc,

		CommitInterval: commitInterval,
	}
	fmt.Printf("history: %d jobs, %d log items, %d source servers (%d items), emulator %s\n", emu.jobs, emu.logItems, emu.servers, total, emuWhere)

	var fetch, sync, fetchCPU, syncCPU, fetchEmuCPU, syncEmuCPU, indexing []time.Duration
	for i := 0; i < runs; i++ {
		stopF, err := startProfileNamed(i, profile+".fetch")
		if err != nil {
			return err
		}
		c0, e0 := cpuTime(), emu.childCPU()
		d, n, err := fetchOnly(ctx, opts)
		stopF()
		fetchCPU = append(fetchCPU, cpuTime()-c0)
		fetchEmuCPU = append(fetchEmuCPU, emu.childCPU()-e0)
		if err != nil {
			return fmt.Errorf("fetch-only: %w", err)
		}
		if n != total {
			return fmt.Errorf("fetch-only read %d items, want %d", n, total)
		}
		fetch = append(fetch, d)

		dir, err := os.MkdirTemp("", "syncbench-")
		if err != nil {
			return err
		}
		o := opts
		o.ArchiveDir = filepath.Join(dir, "archive")
		// The archive pipeline is measured against fetch-only; the index,
		// which sync builds after the last commit, is timed on its own.
		o.NoIndex = withIndex == "apart"
		o.IndexAtEnd = withIndex == "end"
		var st archsync.Stats
		stop, err := startProfile(i)
		if err != nil {
			return err
		}
		c0, e0 = cpuTime(), emu.childCPU()
		start := time.Now()
		err = archsync.Run(ctx, o, &st)
		sync = append(sync, time.Since(start))
		syncCPU = append(syncCPU, cpuTime()-c0)
		syncEmuCPU = append(syncEmuCPU, emu.childCPU()-e0)
		stop()
		if err == nil && withIndex == "apart" {
			var d time.Duration
			stopI, perr := startProfileNamed(i, indexProfileFile)
			if perr != nil {
				return perr
			}
			d, err = indexOnce(ctx, o.ArchiveDir)
			stopI()
			indexing = append(indexing, d)
		}
		os.RemoveAll(dir)
		if err != nil {
			return fmt.Errorf("sync: %w", err)
		}
		if got := int(st.Added(kinds.DRSJobLogItem) + st.Added(kinds.DRSJob) + st.Added(kinds.DRSSourceServer)); got != total {
			return fmt.Errorf("sync archived %d items, want %d", got, total)
		}
	}
	f, s := median(fetch), median(sync)
	fmt.Printf("fetch-only: median %v over %d runs, %.0f items/s, CPU %v\n", f.Round(time.Millisecond), runs, float64(total)/f.Seconds(), median(fetchCPU).Round(time.Millisecond))
	fmt.Printf("sync:       median %v over %d runs, %.0f items/s, CPU %v\n", s.Round(time.Millisecond), runs, float64(total)/s.Seconds(), median(syncCPU).Round(time.Millisecond))
	fmt.Printf("sync / fetch-only: %.2fx\n", s.Seconds()/f.Seconds())
	if emuWhere == "process" {
		fmt.Printf("emulator process CPU: median %v while fetch-only, %v while sync\n", median(fetchEmuCPU).Round(time.Millisecond), median(syncEmuCPU).Round(time.Millisecond))
	}
	if withIndex != "apart" {
		fmt.Printf("(sync includes its full-text index, built %s)\n", map[string]string{"during": "while fetching", "end": "after the last commit"}[withIndex])
	}
	if reindexes > 0 {
		return reindex(ctx, opts, reindexes)
	}
	if len(indexing) == 0 {
		return nil
	}
	ix := median(indexing)
	fmt.Printf("index build (after the sync, as sync does it): median %v, %.0f records/s\n", ix.Round(time.Millisecond), float64(total)/ix.Seconds())
	return nil
}

// reindex syncs into a fresh archive without its index, then rebuilds the
// index runs times, as 'archiver reindex' does, and reports the median.
func reindex(ctx context.Context, opts archsync.Options, runs int) error {
	dir, err := os.MkdirTemp("", "syncbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	o := opts
	o.ArchiveDir = filepath.Join(dir, "archive")
	o.NoIndex = true
	if err := archsync.Run(ctx, o, &archsync.Stats{}); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	st, err := archive.Open(ctx, o.ArchiveDir, archive.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer st.Close()
	var times, cpu []time.Duration
	var n int
	for i := 0; i < runs; i++ {
		c0, start := cpuTime(), time.Now()
		err := st.View(func(r *archive.Reader) error {
			var err error
			n, err = index.Rebuild(ctx, o.ArchiveDir, r)
			return err
		})
		if err != nil {
			return fmt.Errorf("reindex: %w", err)
		}
		times, cpu = append(times, time.Since(start)), append(cpu, cpuTime()-c0)
	}
	d := median(times)
	fmt.Printf("reindex: median %v over %d runs, %d records, %.0f records/s, CPU %v\n", d.Round(time.Millisecond), runs, n, float64(n)/d.Seconds(), median(cpu).Round(time.Millisecond))
	return nil
}

// indexOnce brings the full-text index of the archive in dir up to date, as
// the end of a sync does, and returns how long it took.
func indexOnce(ctx context.Context, dir string) (time.Duration, error) {
	start := time.Now()
	st, err := archive.Open(ctx, dir, archive.Options{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	err = st.View(func(r *archive.Reader) error {
		_, err := index.Sync(ctx, dir, r, time.Minute)
		return err
	})
	return time.Since(start), err
}

// fetchOnly pages through what a DRS sync reads (jobs, every job's log,
// source servers, their recovery snapshots, recovery instances and staging
// accounts) with the SDK's paginators, and keeps nothing.
func fetchOnly(ctx context.Context, o archsync.Options) (time.Duration, int, error) {
	cfg, err := archsync.LoadAWSConfig(ctx, o)
	if err != nil {
		return 0, 0, err
	}
	c := archsync.NewDRSClient(cfg, o.EndpointURL, false)
	start := time.Now()
	var (
		mu    gosync.Mutex
		n     int
		first error
		wg    gosync.WaitGroup
	)
	add := func(k int, err error) {
		mu.Lock()
		n += k
		if err != nil && first == nil {
			first = err
		}
		mu.Unlock()
	}
	ids := make(chan string, o.Concurrency*4)
	for i := 0; i < o.Concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				p := drs.NewDescribeJobLogItemsPaginator(c, &drs.DescribeJobLogItemsInput{JobID: aws.String(id), MaxResults: aws.Int32(1000)})
				for p.HasMorePages() {
					out, err := p.NextPage(ctx)
					if err != nil {
						add(0, err)
						break
					}
					add(len(out.Items), nil)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Source servers, then each one's recovery snapshots and launch and
		// replication configurations, the source networks, then the
		// recovery instances, as sync reads them; and the staging accounts.
		// Only the servers count as items, as in sync's check.
		var servers []string
		p := drs.NewDescribeSourceServersPaginator(c, &drs.DescribeSourceServersInput{MaxResults: aws.Int32(1000)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				add(0, err)
				return
			}
			add(len(out.Items), nil)
			for _, s := range out.Items {
				servers = append(servers, aws.ToString(s.SourceServerID))
			}
		}
		for _, id := range servers {
			rp := drs.NewDescribeRecoverySnapshotsPaginator(c, &drs.DescribeRecoverySnapshotsInput{SourceServerID: aws.String(id), MaxResults: aws.Int32(1000)})
			for rp.HasMorePages() {
				if _, err := rp.NextPage(ctx); err != nil {
					add(0, err)
					return
				}
			}
			if _, err := c.GetLaunchConfiguration(ctx, &drs.GetLaunchConfigurationInput{SourceServerID: aws.String(id)}); err != nil {
				add(0, err)
				return
			}
			if _, err := c.GetReplicationConfiguration(ctx, &drs.GetReplicationConfigurationInput{SourceServerID: aws.String(id)}); err != nil {
				add(0, err)
				return
			}
		}
		np := drs.NewDescribeSourceNetworksPaginator(c, &drs.DescribeSourceNetworksInput{MaxResults: aws.Int32(1000)})
		for np.HasMorePages() {
			if _, err := np.NextPage(ctx); err != nil {
				add(0, err)
				return
			}
		}
		ip := drs.NewDescribeRecoveryInstancesPaginator(c, &drs.DescribeRecoveryInstancesInput{MaxResults: aws.Int32(1000)})
		for ip.HasMorePages() {
			if _, err := ip.NextPage(ctx); err != nil {
				add(0, err)
				return
			}
		}
		sp := drs.NewListStagingAccountsPaginator(c, &drs.ListStagingAccountsInput{MaxResults: aws.Int32(50)})
		for sp.HasMorePages() {
			if _, err := sp.NextPage(ctx); err != nil {
				add(0, err)
				return
			}
		}
	}()
	p := drs.NewDescribeJobsPaginator(c, &drs.DescribeJobsInput{MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			add(0, err)
			break
		}
		add(len(out.Items), nil)
		for _, j := range out.Items {
			ids <- aws.ToString(j.JobID)
		}
	}
	close(ids)
	wg.Wait()
	return time.Since(start), n, first
}

// startProfile starts the CPU profile during the first sync run.
func startProfile(run int) (func(), error) { return startProfileNamed(run, profile) }

// startProfileNamed starts a CPU profile into name during the first run.
func startProfileNamed(run int, name string) (func(), error) {
	if name == "" || name == ".fetch" || run != 0 {
		return func() {}, nil
	}
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
