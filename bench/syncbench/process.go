package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/archiver-dev/archiver/internal/emulator"
)

// serveEnv, when set in the environment, makes syncbench serve the emulator
// instead of measuring: "jobs,per-job,latency". The parent reads the
// emulator's address from the child's first line of output and stops it by
// closing the child's standard input.
const serveEnv = "SYNCBENCH_SERVE_EMULATOR"

// emulatorServer is the emulator the runs read from, in this process or in
// a child process of its own.
type emulatorServer struct {
	url                     string
	jobs, logItems, servers int
	// childCPU returns the CPU time the child has used; zero in process.
	childCPU func() time.Duration
	close    func()
}

// total is the number of items a sync must archive.
func (e *emulatorServer) total() int { return e.jobs + e.logItems + e.servers }

// newEmulator builds the emulated history of jobs jobs of perJob log items.
func newEmulator(jobs, perJob int, latency time.Duration) *emulator.Server {
	emu := emulator.New(emulator.Options{Seed: 1, Jobs: jobs, LogItemsPerJob: perJob, InProgress: 1})
	emu.SetFaults(emulator.Faults{Latency: latency})
	return emu
}

// startEmulator starts the emulator here (where is "inprocess") or in a
// child process ("process").
func startEmulator(where string, jobs, perJob int, latency time.Duration) (*emulatorServer, error) {
	if where == "inprocess" {
		emu := newEmulator(jobs, perJob, latency)
		if err := emu.Start(); err != nil {
			return nil, err
		}
		return &emulatorServer{
			url: emu.URL(), jobs: len(emu.Jobs()), logItems: emu.TotalLogItems(), servers: len(emu.SourceServers()),
			childCPU: func() time.Duration { return 0 }, close: emu.Close,
		}, nil
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("emulator process: %w", err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%d,%s", serveEnv, jobs, perJob, latency))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("emulator process: %w", err)
	}
	stop := func() { in.Close(); cmd.Wait() }
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		return nil, fmt.Errorf("emulator process: no address: %w", err)
	}
	e := &emulatorServer{close: stop}
	if _, err := fmt.Sscan(line, &e.url, &e.jobs, &e.logItems, &e.servers); err != nil {
		stop()
		return nil, fmt.Errorf("emulator process: %q: %w", line, err)
	}
	pid := cmd.Process.Pid
	e.childCPU = func() time.Duration { return processCPU(pid) }
	return e, nil
}

// serveEmulator is the child's side of startEmulator: it serves until its
// standard input closes.
func serveEmulator(spec string) error {
	parts := strings.Split(spec, ",")
	if len(parts) != 3 {
		return fmt.Errorf("%s=%q: want jobs,per-job,latency", serveEnv, spec)
	}
	jobs, err1 := strconv.Atoi(parts[0])
	perJob, err2 := strconv.Atoi(parts[1])
	latency, err3 := time.ParseDuration(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return fmt.Errorf("%s=%q: want jobs,per-job,latency", serveEnv, spec)
	}
	emu := newEmulator(jobs, perJob, latency)
	if err := emu.Start(); err != nil {
		return err
	}
	defer emu.Close()
	fmt.Printf("%s %d %d %d\n", emu.URL(), len(emu.Jobs()), emu.TotalLogItems(), len(emu.SourceServers()))
	_, err := io.Copy(io.Discard, os.Stdin)
	return err
}

// processCPU is the user and system CPU time of process pid, from Linux's
// /proc (clock ticks of 1/100 s); zero elsewhere.
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: fields count from
	// after its closing parenthesis (utime and stime are fields 14 and 15).
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * 10 * time.Millisecond
}
