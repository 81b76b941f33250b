package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Duration renders seconds for people: 45s, 4m12s, 2h05m, 3d04h.
func Duration(sec float64) string {
	neg := sec < 0
	if neg {
		sec = -sec
	}
	d := time.Duration(sec * float64(time.Second)).Round(time.Second)
	var s string
	switch {
	case d < time.Minute:
		s = fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		s = fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 24*time.Hour:
		s = fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	default:
		s = fmt.Sprintf("%dd%02dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
	}
	if neg {
		return "-" + s
	}
	return s
}

// stamp renders a time in UTC to the second.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

func percent(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

func optDuration(m *Measure) string {
	if m == nil {
		return "-"
	}
	return Duration(m.Seconds)
}

func daysSince(s Server) string {
	if s.DaysSinceDrill == nil {
		return "never"
	}
	return fmt.Sprintf("%dd", *s.DaysSinceDrill)
}

func lastDrillCell(s Server) string {
	if s.LastDrill == nil {
		return "never"
	}
	return s.LastDrill.LaunchedAt.UTC().Format("2006-01-02")
}

func gapCell(s Server) string {
	if s.Snapshots.LargestGapSeconds == nil {
		return "-"
	}
	return Duration(*s.Snapshots.LargestGapSeconds)
}

func countResult(s Server, result string) int {
	n := 0
	for _, l := range s.Launches {
		if l.Result == result {
			n++
		}
	}
	return n
}

// header lines shared by the text formats.
func headerLines(rep *Report) []string {
	f := rep.Filters
	lines := []string{
		fmt.Sprintf("Period: %s to %s", stamp(f.From), stamp(f.To)),
	}
	if sel := selectionText(f); sel != "" {
		lines = append(lines, "Selection: "+sel)
	}
	lines = append(lines,
		fmt.Sprintf("Archive: %s (position %d)", rep.Archive.Path, rep.Archive.Position),
		fmt.Sprintf("Made by archiver %s at %s", rep.Archiver, stamp(rep.GeneratedAt)),
	)
	return lines
}

func selectionText(f Filters) string {
	var parts []string
	if len(f.Regions) > 0 {
		parts = append(parts, "regions "+strings.Join(f.Regions, ", "))
	}
	if len(f.Accounts) > 0 {
		parts = append(parts, "accounts "+strings.Join(f.Accounts, ", "))
	}
	if len(f.SourceServers) > 0 {
		parts = append(parts, "source servers "+strings.Join(f.SourceServers, ", "))
	}
	return strings.Join(parts, "; ")
}

func summaryLine(sum Summary) string {
	return fmt.Sprintf("Coverage %d/%d servers drilled (%s); %d launches, %d launched, success rate %s",
		sum.Drilled, sum.Protected, percent(sum.Coverage), sum.Launches, sum.ByResult[ResultLaunched], percent(sum.SuccessRate))
}

// WriteTable writes rep as a table for a terminal: one line per server.
func WriteTable(w io.Writer, rep *Report) error {
	var b strings.Builder
	for _, l := range headerLines(rep) {
		b.WriteString(l + "\n")
	}
	b.WriteString(summaryLine(rep.Summary) + "\n\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVER\tHOSTNAME\tREGION\tACCOUNT\tLAUNCHES\tFAILED\tLAST DRILL\tAGE\tLAST TTL\tLAST RP\tMAX SNAP GAP\tNOT CONTINUOUS")
	for _, s := range rep.Servers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n",
			s.SourceServerID, s.Hostname, s.Region, s.Account, len(s.Launches), countResult(s, ResultFailed)+countResult(s, ResultSkipped),
			lastDrillCell(s), daysSince(s), optDuration(s.LastTimeToLaunch), optDuration(s.LastRecoveryPoint), gapCell(s),
			Duration(s.Replication.OutsideContinuousSeconds))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.Summary.Failures) > 0 {
		b.WriteString("\nFailures by cause:\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "STEP\tERROR CODE\tCOUNT\tFIXED\tJOBS")
		for _, g := range rep.Summary.Failures {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", g.Step, orDash(g.ErrorCode), g.Count, yesNo(g.Fixed), strings.Join(groupJobs(g), " "))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func groupJobs(g FailureGroup) []string {
	var out []string
	for _, f := range g.Failures {
		if !slices.Contains(out, f.JobID) {
			out = append(out, f.JobID)
		}
	}
	return out
}

// mdEscape keeps text from breaking a Markdown table cell.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;", "`", "'")
	return r.Replace(s)
}

// WriteMarkdown writes rep as a Markdown document.
func WriteMarkdown(w io.Writer, rep *Report) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Recoverability report\n\n")
	for _, l := range headerLines(rep) {
		p("- %s\n", mdEscape(l))
	}
	p("- Checkpoint%s:\n\n```\n%s```\n\n", map[bool]string{true: "", false: " (none written yet: the log as it stood, unsigned)"}[rep.Archive.CheckpointWritten], rep.Archive.Checkpoint)
	p("## Summary\n\n%s.\n\n", summaryLine(rep.Summary))
	if len(rep.Summary.NeverDrilled) > 0 {
		p("Never drilled: %s.\n\n", refList(rep.Summary.NeverDrilled))
	}
	if len(rep.Summary.NotDrilled) > 0 {
		p("Not drilled in the period: %s.\n\n", refList(rep.Summary.NotDrilled))
	}
	if len(rep.Summary.Slowest) > 0 {
		p("### Slowest launches\n\n| Server | Job | Kind | Launched | Time to launch |\n|---|---|---|---|---|\n")
		for _, l := range rep.Summary.Slowest {
			p("| %s %s | `%s` | %s | %s | %s |\n", l.SourceServerID, mdEscape(l.Hostname), l.JobID, l.Kind, stamp(l.LaunchedAt), Duration(l.TimeToLaunchSeconds))
		}
		p("\n")
	}
	if len(rep.Summary.Failures) > 0 {
		p("### Failures by cause\n\n| Step | Error code | Count | Fixed | Jobs |\n|---|---|---|---|---|\n")
		for _, g := range rep.Summary.Failures {
			p("| %s | %s | %d | %s | %s |\n", g.Step, orDash(g.ErrorCode), g.Count, yesNo(g.Fixed), "`"+strings.Join(groupJobs(g), "` `")+"`")
		}
		p("\n")
	}
	p("## Servers\n\n| Server | Hostname | Region | Account | Launches | Failed | Last drill | Age | Last TTL | Last RP | Max snapshot gap | Not continuous |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range rep.Servers {
		p("| %s | %s | %s | %s | %d | %d | %s | %s | %s | %s | %s | %s |\n", s.SourceServerID, mdEscape(s.Hostname), s.Region, s.Account,
			len(s.Launches), countResult(s, ResultFailed)+countResult(s, ResultSkipped), lastDrillCell(s), daysSince(s),
			optDuration(s.LastTimeToLaunch), optDuration(s.LastRecoveryPoint), gapCell(s), Duration(s.Replication.OutsideContinuousSeconds))
	}
	p("\n")
	for _, s := range rep.Servers {
		p("### %s %s\n\n", s.SourceServerID, mdEscape(s.Hostname))
		p("%s, account %s. Reproduce: `archiver query --id %s --from %s --to %s`.\n\n", s.Region, s.Account, s.SourceServerID,
			rep.Filters.From.Format(time.RFC3339), rep.Filters.To.Format(time.RFC3339))
		if len(s.Launches) > 0 {
			p("| Job | Kind | Job start | Result | Launched | Time to launch | Snapshot | Recovery point | Failed step | Error |\n|---|---|---|---|---|---|---|---|---|---|\n")
			for _, l := range s.Launches {
				p("| `%s` | %s | %s (%s) | %s | %s | %s | %s | %s | %s | %s |\n", l.JobID, l.Kind, stamp(l.JobStart), l.JobStartFrom, l.Result,
					optStamp(l.LaunchedAt), optSeconds(l.TimeToLaunchSeconds), optStamp(l.SnapshotAt), optSeconds(l.RecoveryPointSeconds),
					orDash(l.FailedStep), mdEscape(errorCell(l)))
			}
			p("\n")
		} else {
			p("No drills or recoveries in the period.\n\n")
		}
		sn := s.Snapshots
		if sn.LargestGapSeconds != nil {
			p("Recovery snapshots: %d; largest gap %s, from %s (%s) to %s (%s).\n\n", sn.Count, Duration(*sn.LargestGapSeconds), sn.GapFromID, stamp(*sn.GapFrom), sn.GapToID, stamp(*sn.GapTo))
		} else {
			p("Recovery snapshots: %d.\n\n", sn.Count)
		}
		p("Replication: %s outside CONTINUOUS, %s unobserved; %s; lag %s.\n\n", Duration(s.Replication.OutsideContinuousSeconds),
			Duration(s.Replication.UnobservedSeconds), secondsMap(s.Replication.States), secondsMap(s.Replication.LagBands))
	}
	p("## Notes\n\n")
	for _, n := range rep.Notes {
		p("- %s\n", mdEscape(n))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func refList(refs []ServerRef) string {
	var parts []string
	for _, r := range refs {
		parts = append(parts, strings.TrimSpace(r.SourceServerID+" "+mdEscape(r.Hostname)))
	}
	return strings.Join(parts, ", ")
}

func optStamp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return stamp(*t)
}

func optSeconds(s *float64) string {
	if s == nil {
		return "-"
	}
	return Duration(*s)
}

func errorCell(l Launch) string {
	switch {
	case l.ErrorCode != "" && l.RawError != "":
		return l.ErrorCode + ": " + l.RawError
	case l.RawError != "":
		return l.RawError
	}
	return "-"
}

// secondsMap renders a map of seconds, largest first.
func secondsMap(m map[string]float64) string {
	if len(m) == 0 {
		return "none observed"
	}
	keys := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(keys, func(a, b string) int {
		switch {
		case m[a] > m[b]:
			return -1
		case m[a] < m[b]:
			return 1
		}
		return 0
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %s", k, Duration(m[k])))
	}
	return strings.Join(parts, ", ")
}
