package report

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/archiver-dev/archiver/internal/buildinfo"
	"github.com/archiver-dev/archiver/internal/outfile"
)

// The per-server gauges sync --metrics-file adds, labelled by
// source_server, hostname, region and account.
const (
	GaugeLastDrill     = "archiver_drs_server_last_drill_timestamp_seconds"
	GaugeTimeToLaunch  = "archiver_drs_server_time_to_launch_seconds"
	GaugeRecoveryPoint = "archiver_drs_server_recovery_point_seconds"
)

var gaugeHelp = [][3]string{
	{GaugeLastDrill, "When the source server's last drill that launched launched, in seconds since the Unix epoch; 0 if it was never drilled."},
	{GaugeTimeToLaunch, "Time to launch of the source server's latest launch of the last 90 days that measured one (job start to LAUNCH_START), in seconds."},
	{GaugeRecoveryPoint, "Recovery point of the source server's latest launch of the last 90 days that measured one (point-in-time snapshot to job start), in seconds."},
}

// FormatGauges renders the per-server gauges of rep in the Prometheus text
// format. A server without a measure has no sample of that gauge.
func FormatGauges(rep *Report) []byte {
	var b bytes.Buffer
	for _, g := range gaugeHelp {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", g[0], g[1], g[0])
		for _, s := range rep.Servers {
			var v float64
			switch g[0] {
			case GaugeLastDrill:
				if s.LastDrill != nil {
					v = float64(s.LastDrill.LaunchedAt.UnixMilli()) / 1000
				}
			case GaugeTimeToLaunch:
				if s.LastTimeToLaunch == nil {
					continue
				}
				v = s.LastTimeToLaunch.Seconds
			case GaugeRecoveryPoint:
				if s.LastRecoveryPoint == nil {
					continue
				}
				v = s.LastRecoveryPoint.Seconds
			}
			fmt.Fprintf(&b, "%s{source_server=%q,hostname=%q,region=%q,account=%q} %s\n", g[0],
				s.SourceServerID, promLabel(s.Hostname), s.Region, s.Account, strconv.FormatFloat(v, 'f', -1, 64))
		}
	}
	return b.Bytes()
}

// promLabel keeps a label value to what %q and the text format agree on.
func promLabel(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}

// AppendGauges adds the per-server gauges of the archive in dir, over the
// DefaultPeriod before now, to the metrics file sync wrote at path,
// replacing any it held, as sync replaces the file: atomically, mode 0644.
// A path that is not a regular file (a FIFO, a device) is left alone.
func AppendGauges(ctx context.Context, path, dir string, lockTimeout time.Duration, now time.Time, build buildinfo.Info) error {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	old, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("per-server metrics: %w", err)
	}
	sel := Selection{}.Resolve(now)
	d, err := Gather(ctx, dir, lockTimeout, sel, io.Discard)
	if err != nil {
		return fmt.Errorf("per-server metrics: %w", err)
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(old))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if slices.ContainsFunc(gaugeHelp, func(g [3]string) bool { return strings.Contains(line, g[0]) }) {
			continue
		}
		out.WriteString(line + "\n")
	}
	out.Write(FormatGauges(Compute(d, sel, now, build)))
	f, err := outfile.Create(ctx, path, outfile.Options{Force: true, Mode: 0o644})
	if err != nil {
		return fmt.Errorf("per-server metrics: %w", err)
	}
	defer f.Abort()
	if _, err := f.Write(out.Bytes()); err != nil {
		return fmt.Errorf("per-server metrics %s: %w", path, err)
	}
	return f.Commit()
}
