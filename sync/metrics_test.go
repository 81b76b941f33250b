package sync_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

// promFile is a parsed Prometheus text file: each metric's TYPE, whether
// it had HELP, and its samples by their label set as written.
type promFile struct {
	types   map[string]string
	help    map[string]bool
	samples map[string]float64 // `name{labels}` -> value
}

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)$`)
	metaLine   = regexp.MustCompile(`^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$`)
)

// parseProm reads a metrics file line by line, failing the test on any line
// that is not a HELP, TYPE or sample line, on a sample whose metric has no
// TYPE yet, and on a metric whose samples are not all together.
func parseProm(t *testing.T, path string) promFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := promFile{types: map[string]string{}, help: map[string]bool{}, samples: map[string]float64{}}
	done := map[string]bool{}
	current := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if m := metaLine.FindStringSubmatch(line); m != nil {
			if m[2] != current {
				if done[m[2]] {
					t.Errorf("line %d: %s appears twice", n, m[2])
				}
				done[current], current = true, m[2]
			}
			if m[1] == "TYPE" {
				p.types[m[2]] = m[3]
			} else {
				p.help[m[2]] = true
			}
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("line %d is not a sample: %q", n, line)
			continue
		}
		if m[1] != current || p.types[m[1]] == "" {
			t.Errorf("line %d: sample of %s outside its family (TYPE first)", n, m[1])
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Errorf("line %d: value %q: %v", n, m[3], err)
		}
		p.samples[m[1]+m[2]] = v
	}
	return p
}

// value returns the sample of name with labels, failing the test if there
// is none.
func (p promFile) value(t *testing.T, name, labels string) float64 {
	t.Helper()
	v, ok := p.samples[name+"{"+labels+"}"]
	if !ok {
		t.Errorf("no sample %s{%s}", name, labels)
	}
	return v
}

// TestMetricsFile: every sync, good or failed, leaves node_exporter a
// metrics file whose values say what happened, and the last success
// survives failures, also one that cannot reach the archive.
func TestMetricsFile(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 61})
	dir := archivetest.Dir(t)
	prom := filepath.Join(t.TempDir(), "archiver.prom")
	clock := time.Date(2026, 4, 1, 2, 17, 0, 500e6, time.UTC)
	o := options(dir, emu)
	o.MetricsFile = prom
	o.Now = func() time.Time { return clock }
	drs := `source="drs",region="us-east-1",account="` + emu.Account() + `"`
	unix := func(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

	runSync(t, o)
	first := clock
	fi, err := os.Stat(prom)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != archsync.MetricsFileMode {
		t.Errorf("metrics file mode %v, want %v", fi.Mode().Perm(), os.FileMode(archsync.MetricsFileMode))
	}
	p := parseProm(t, prom)
	for name, typ := range map[string]string{
		archsync.MetricLastSuccess: "gauge", archsync.MetricLastRun: "gauge", archsync.MetricSuccess: "gauge",
		archsync.MetricDuration: "gauge", archsync.MetricItems: "counter", archsync.MetricRecordsAdded: "counter",
		archsync.MetricErrors: "counter", archsync.MetricRuns: "counter",
	} {
		if p.types[name] != typ || !p.help[name] {
			t.Errorf("%s: TYPE %q (want %s), HELP %v", name, p.types[name], typ, p.help[name])
		}
	}
	jobs := float64(len(emu.Jobs()))
	tests := []struct {
		name, labels string
		want         float64
	}{
		{archsync.MetricLastRun, drs, unix(first)},
		{archsync.MetricLastSuccess, drs, unix(first)},
		{archsync.MetricSuccess, drs, 1},
		{archsync.MetricErrors, drs, 0},
		{archsync.MetricRuns, drs, 1},
		{archsync.MetricItems, drs + `,kind="drs.job"`, jobs},
		{archsync.MetricItems, drs + `,kind="drs.jobLogItem"`, float64(emu.TotalLogItems())},
		{archsync.MetricRecordsAdded, drs + `,kind="drs.job"`, jobs},
	}
	for _, tt := range tests {
		if got := p.value(t, tt.name, tt.labels); got != tt.want {
			t.Errorf("after a good sync: %s{%s} = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}

	// A failed sync: success 0, one error, the last success kept.
	clock = clock.Add(time.Hour)
	emu.SetFaults(emulator.Faults{Malformed: map[string]bool{emulator.OpDescribeJobs: true}})
	if err := archsync.Run(context.Background(), o, &archsync.Stats{}); err == nil {
		t.Fatal("sync against a malformed answer succeeded")
	}
	p = parseProm(t, prom)
	tests = []struct {
		name, labels string
		want         float64
	}{
		{archsync.MetricLastRun, drs, unix(clock)},
		{archsync.MetricLastSuccess, drs, unix(first)},
		{archsync.MetricSuccess, drs, 0},
		{archsync.MetricErrors, drs, 1},
		{archsync.MetricRuns, drs, 2},
		{archsync.MetricItems, drs + `,kind="drs.job"`, jobs},
		{archsync.MetricRecordsAdded, drs + `,kind="drs.job"`, jobs},
	}
	for _, tt := range tests {
		if got := p.value(t, tt.name, tt.labels); got != tt.want {
			t.Errorf("after a failed sync: %s{%s} = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}

	// A sync that cannot have the archive (another process holds it)
	// records nothing there; the metrics carry on from the last file.
	emu.SetFaults(emulator.Faults{})
	clock = clock.Add(time.Hour)
	held := archivetest.Open(t, dir)
	o.LockTimeout = 50 * time.Millisecond
	err = archsync.Run(context.Background(), o, &archsync.Stats{})
	held.Close()
	if !errors.Is(err, archive.ErrLocked) {
		t.Fatalf("sync with the archive held elsewhere: %v, want ErrLocked", err)
	}
	p = parseProm(t, prom)
	tests = []struct {
		name, labels string
		want         float64
	}{
		{archsync.MetricLastRun, drs, unix(clock)},
		{archsync.MetricLastSuccess, drs, unix(first)},
		{archsync.MetricSuccess, drs, 0},
		{archsync.MetricErrors, drs, 2},
		{archsync.MetricRuns, drs, 3},
		{archsync.MetricItems, drs + `,kind="drs.job"`, jobs},
	}
	for _, tt := range tests {
		if got := p.value(t, tt.name, tt.labels); got != tt.want {
			t.Errorf("after a sync locked out: %s{%s} = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
	if s := syncRuns(t, dir)[archive.SyncRunKey("drs", "us-east-1", emu.Account())]; s.Runs != 2 {
		t.Errorf("the archive holds %d runs; the locked-out one cannot be in it", s.Runs)
	}

	// The next good sync goes back to the archive's records.
	clock = clock.Add(time.Hour)
	o.LockTimeout = 0
	runSync(t, o)
	p = parseProm(t, prom)
	if got := p.value(t, archsync.MetricLastSuccess, drs); got != unix(clock) {
		t.Errorf("after a good sync again: last success %v, want %v", got, unix(clock))
	}
	if got := p.value(t, archsync.MetricSuccess, drs); got != 1 {
		t.Errorf("after a good sync again: success %v", got)
	}
	// Counters never go down, though the archive missed the locked-out run.
	if got := p.value(t, archsync.MetricErrors, drs); got != 2 {
		t.Errorf("after a good sync again: %v errors, want 2", got)
	}
	if got := p.value(t, archsync.MetricRuns, drs); got < 3 {
		t.Errorf("after a good sync again: %v runs, want at least 3", got)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(prom), "*"))
	if len(leftovers) != 1 || !strings.HasSuffix(leftovers[0], "archiver.prom") {
		t.Errorf("files beside the metrics: %v, want the metrics file alone", leftovers)
	}
}
