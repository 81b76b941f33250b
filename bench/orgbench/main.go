// Command orgbench measures an organization-wide sync against the local
// emulator: many accounts in many regions, every call answered after a
// fixed latency, read at several target concurrencies. For each it reports
// the run's wall time beside the sum of the targets' own read times (how
// long each account and region took from its first call to its last), and
// the wall time as a share of the sequential run's.
//
//	go run ./bench/orgbench -accounts 20 -regions 10 -jobs 50 -log-items 20 -latency 50ms -concurrency 1,4,8,16
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

func main() {
	accounts := flag.Int("accounts", 20, "member accounts of the organization")
	regions := flag.Int("regions", 10, "regions read in every account")
	jobs := flag.Int("jobs", 50, "DRS jobs in each account and region")
	logItems := flag.Int("log-items", 20, "log items per job")
	servers := flag.Int("servers", 2, "source servers in each account and region")
	latency := flag.Duration("latency", 50*time.Millisecond, "added to every emulator answer, as a network would")
	concs := flag.String("concurrency", "1,4,8,16", "comma-separated --target-concurrency values to run")
	flag.Parse()
	var levels []int
	for _, s := range strings.Split(*concs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "orgbench: -concurrency %q: want positive integers\n", *concs)
			os.Exit(2)
		}
		levels = append(levels, n)
	}
	if err := run(*accounts, *regions, *jobs, *logItems, *servers, *latency, levels); err != nil {
		fmt.Fprintln(os.Stderr, "orgbench:", err)
		os.Exit(1)
	}
}

const managementKey = "AKIDORGBENCH"

func run(accounts, regions, jobs, logItems, servers int, latency time.Duration, levels []int) error {
	all := archsync.DRSRegions("aws")
	if regions > len(all) {
		return fmt.Errorf("-regions %d: DRS is offered in %d regions", regions, len(all))
	}
	org := emulator.Organization{ManagementKey: managementKey, Latency: latency}
	for i := range accounts {
		org.Accounts = append(org.Accounts, emulator.OrgAccount{ID: fmt.Sprintf("7%011d", i+1)})
	}
	mux, emus := emulator.NewOrgMux(emulator.OrgSetup{
		Organization: org, Regions: all[:regions],
		History: emulator.Options{Seed: 1, Jobs: jobs, LogItemsPerJob: logItems, Servers: servers, InProgress: -1},
	})
	want := 0
	for _, s := range emus {
		s.SetFaults(emulator.Faults{Latency: latency})
		want += len(s.Jobs()) + s.TotalLogItems()
	}
	if err := mux.Start(); err != nil {
		return err
	}
	defer mux.Close()
	fmt.Printf("organization: %d accounts x %d regions = %d targets; %d jobs and log items in all; %v per call\n",
		accounts, regions, accounts*regions, want, latency)
	fmt.Printf("%-20s %12s %22s %14s %16s\n", "target-concurrency", "wall time", "sum of targets' times", "sum / wall", "wall / sequential")
	var sequential time.Duration
	for _, n := range levels {
		dir, err := os.MkdirTemp("", "orgbench-")
		if err != nil {
			return err
		}
		o := archsync.Options{
			ArchiveDir: filepath.Join(dir, "archive"), EndpointURL: mux.URL(),
			Credentials: credentials.NewStaticCredentialsProvider(managementKey, "bench-secret", ""),
			Sources:     []archsync.Source{archsync.SourceDRS}, Regions: all[:regions],
			OrgRole: "ArchiverReadOnly", TargetConcurrency: n,
			// The index is built after the last commit whatever the
			// concurrency; it is left out to time the reading.
			NoIndex: true,
		}
		var st archsync.Stats
		start := time.Now()
		err = archsync.Run(context.Background(), o, &st)
		wall := time.Since(start)
		os.RemoveAll(dir)
		if err != nil {
			return fmt.Errorf("sync at target concurrency %d: %w", n, err)
		}
		if got := int(st.Added(kinds.DRSJob) + st.Added(kinds.DRSJobLogItem)); got != want {
			return fmt.Errorf("sync at target concurrency %d archived %d jobs and log items, want %d", n, got, want)
		}
		sum := time.Duration(st.TargetTime.Load())
		if sequential == 0 && n == 1 {
			sequential = wall
		}
		share := "-"
		if sequential > 0 {
			share = fmt.Sprintf("1/%.1f", sequential.Seconds()/wall.Seconds())
		}
		fmt.Printf("%-20d %12v %22v %13.1fx %16s\n", n, wall.Round(10*time.Millisecond), sum.Round(10*time.Millisecond), sum.Seconds()/wall.Seconds(), share)
	}
	return nil
}
