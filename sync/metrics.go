package sync

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/outfile"
)

// MetricsFileMode is the mode of the metrics file. node_exporter's textfile
// collector often runs as another user than archiver, and the file holds
// only counts and times (no record, no credential), so it is readable by
// all, as the collector's documentation does it; everything else archiver
// writes is 0600.
const MetricsFileMode = 0o644

// The metrics sync writes, for node_exporter's textfile collector. Every
// sample is labelled with source, region and account; the counters also
// with kind.
const (
	MetricLastSuccess  = "archiver_sync_last_success_timestamp_seconds"
	MetricLastRun      = "archiver_sync_last_run_timestamp_seconds"
	MetricDuration     = "archiver_sync_duration_seconds"
	MetricSuccess      = "archiver_sync_success"
	MetricItems        = "archiver_sync_items_total"
	MetricRecordsAdded = "archiver_sync_records_added_total"
	MetricErrors       = "archiver_sync_errors_total"
	MetricRuns         = "archiver_sync_runs_total"
	// MetricNotInitialised is 1 where the last sync found the service not
	// initialised (DRS; see NotInitialised), which is no failure.
	MetricNotInitialised = "archiver_sync_not_initialised"
)

// metricFamily is one metric's HELP and TYPE, and how a run record gives
// its samples.
type metricFamily struct {
	name, typ, help string
	// value gives the sample of a gauge or a counter without kinds.
	value func(s archive.SyncRun) float64
	// byKind gives the per-kind samples of a counter.
	byKind func(s archive.SyncRun) map[archive.Kind]int64
}

var metricFamilies = []metricFamily{
	{name: MetricLastRun, typ: "gauge",
		help:  "When the last sync of this source, region and account ended, in seconds since the Unix epoch.",
		value: func(s archive.SyncRun) float64 { return unixSeconds(s.Finished) }},
	{name: MetricLastSuccess, typ: "gauge",
		help:  "When a sync of this source, region and account last ended without error, in seconds since the Unix epoch; 0 if none ever did.",
		value: func(s archive.SyncRun) float64 { return unixSeconds(s.LastSuccess) }},
	{name: MetricSuccess, typ: "gauge",
		help: "Whether the last sync of this source, region and account ended without error (1) or not (0).",
		value: func(s archive.SyncRun) float64 {
			if s.OK() {
				return 1
			}
			return 0
		}},
	{name: MetricDuration, typ: "gauge",
		help:  "How long the last sync run that read this source, region and account took, in seconds.",
		value: func(s archive.SyncRun) float64 { return s.Duration().Seconds() }},
	{name: MetricItems, typ: "counter",
		help:   "Items read from AWS, by kind, over every sync of this source, region and account.",
		byKind: func(s archive.SyncRun) map[archive.Kind]int64 { return s.ItemsReadTotal }},
	{name: MetricRecordsAdded, typ: "counter",
		help:   "Records added to the archive, by kind, over every sync of this source, region and account.",
		byKind: func(s archive.SyncRun) map[archive.Kind]int64 { return s.RecordsAddedTotal }},
	{name: MetricErrors, typ: "counter",
		help:  "Syncs of this source, region and account that ended in an error.",
		value: func(s archive.SyncRun) float64 { return float64(s.Failures) }},
	{name: MetricRuns, typ: "counter",
		help:  "Syncs of this source, region and account.",
		value: func(s archive.SyncRun) float64 { return float64(s.Runs) }},
	{name: MetricNotInitialised, typ: "gauge",
		help: "Whether the last sync of this source, region and account found the service not initialised there (1), which is no failure, or not (0).",
		value: func(s archive.SyncRun) float64 {
			if s.Note == NotInitialised {
				return 1
			}
			return 0
		}},
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli()) / 1000
}

// formatMetrics renders the run records in the Prometheus text format,
// each metric's samples together under its HELP and TYPE.
func formatMetrics(runs []archive.SyncRun) []byte {
	var b bytes.Buffer
	for _, f := range metricFamilies {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", f.name, f.help, f.name, f.typ)
		for _, s := range runs {
			labels := [][2]string{{"source", s.Source}, {"region", s.Region}, {"account", s.Account}}
			if f.byKind == nil {
				writeSample(&b, f.name, labels, f.value(s))
				continue
			}
			counts := f.byKind(s)
			for _, k := range sourceKinds(Source(s.Source)) {
				writeSample(&b, f.name, append(labels, [2]string{"kind", string(k)}), float64(counts[k]))
			}
		}
	}
	return b.Bytes()
}

func writeSample(b *bytes.Buffer, name string, labels [][2]string, v float64) {
	b.WriteString(name)
	b.WriteByte('{')
	for i, l := range labels {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(b, `%s="%s"`, l[0], labelEscaper.Replace(l[1]))
	}
	b.WriteString("} ")
	b.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
	b.WriteByte('\n')
}

// labelEscaper escapes a label value as the text format wants it.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// writeMetrics writes the metrics of runs to path (mode MetricsFileMode) as
// package outfile writes any output, replacing the file every run: into a
// temporary file beside it (whose name the textfile collector ignores, as
// it does not end in .prom), synced, then renamed over path. A FIFO or
// device is written to in place.
func writeMetrics(ctx context.Context, path string, runs []archive.SyncRun) error {
	f, err := outfile.Create(ctx, path, outfile.Options{Force: true, Mode: MetricsFileMode})
	if err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	defer f.Abort()
	if _, err := f.Write(formatMetrics(runs)); err != nil {
		return fmt.Errorf("write metrics %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	return nil
}

// readMetrics reads back the run records a metrics file of ours holds, as
// far as the metrics tell them (times, outcome, totals), by key. A missing
// or unreadable file holds none; a line it does not understand is skipped.
func readMetrics(path string) map[string]archive.SyncRun {
	out := map[string]archive.SyncRun{}
	// Only a regular file holds metrics of ours; reading a FIFO would
	// wait for a writer.
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		return out
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, labels, v, ok := parseSample(sc.Text())
		if !ok || labels["source"] == "" {
			continue
		}
		key := archive.SyncRunKey(labels["source"], labels["region"], labels["account"])
		s, had := out[key]
		if !had {
			s = archive.SyncRun{Source: labels["source"], Region: labels["region"], Account: labels["account"],
				ItemsReadTotal: map[archive.Kind]int64{}, RecordsAddedTotal: map[archive.Kind]int64{}}
		}
		switch name {
		case MetricLastRun:
			s.Finished = fromUnixSeconds(v)
		case MetricLastSuccess:
			s.LastSuccess = fromUnixSeconds(v)
		case MetricSuccess:
			if v == 0 {
				s.Error = "failed"
			}
		case MetricDuration:
			s.Started = s.Finished.Add(-time.Duration(v * float64(time.Second)))
		case MetricItems:
			s.ItemsReadTotal[archive.Kind(labels["kind"])] = int64(v)
		case MetricRecordsAdded:
			s.RecordsAddedTotal[archive.Kind(labels["kind"])] = int64(v)
		case MetricErrors:
			s.Failures = int64(v)
		case MetricRuns:
			s.Runs = int64(v)
		default:
			continue
		}
		out[key] = s
	}
	return out
}

func fromUnixSeconds(v float64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(v * 1000)).UTC()
}

// parseSample reads one sample line of the text format: name{labels} value.
func parseSample(line string) (name string, labels map[string]string, v float64, ok bool) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return "", nil, 0, false
	}
	labels = map[string]string{}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return "", nil, 0, false
	}
	name, rest := line[:i], line[i:]
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			rest = strings.TrimLeft(rest, " ,")
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
			k, after, found := strings.Cut(rest, "=")
			if !found {
				return "", nil, 0, false
			}
			val, tail, err := unquotePrefix(after)
			if err != nil {
				return "", nil, 0, false
			}
			labels[strings.TrimSpace(k)] = val
			rest = tail
		}
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return "", nil, 0, false
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return "", nil, 0, false
	}
	return name, labels, v, true
}

// unquotePrefix reads the quoted string at the start of s and returns it
// unquoted, with the rest of s.
func unquotePrefix(s string) (string, string, error) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", fmt.Errorf("no quote")
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			v, err := strconv.Unquote(s[:i+1])
			return v, s[i+1:], err
		}
	}
	return "", "", fmt.Errorf("unterminated quote")
}
