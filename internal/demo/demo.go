// Package demo runs archiver end to end on this machine alone: it starts the
// AWS emulator (DRS, Snowball, SMS) on loopback, syncs its history into an
// archive, lets the history move on, syncs again, and prints what a reviewer
// would ask of it.
//
// Its records are synthetic, so it must never write into a real archive: it
// writes only into a new or empty one, which it marks first
// (archive.DemoMark), or into one it marked before and that holds records
// of the emulated account only.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/buildinfo"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query/report"
	archsync "github.com/archiver-dev/archiver/sync"
)

// Options configure a demo run.
type Options struct {
	// ArchiveDir receives the demo archive.
	ArchiveDir string
	// Seed picks the synthetic history.
	Seed int64
	// Temporary says that ArchiveDir is a new temporary directory made for
	// this run; the report then says how to remove it.
	Temporary bool
	// Build is the running archiver's build, stated in the HTML report.
	Build buildinfo.Info
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+=:,@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Run performs the demo and writes its report to w.
func Run(ctx context.Context, o Options, w io.Writer) error {
	if err := claim(ctx, o.ArchiveDir, time.Now()); err != nil {
		return err
	}
	emu := emulator.New(emulator.Options{Seed: o.Seed})
	if err := emu.Start(); err != nil {
		return fmt.Errorf("demo: start emulator: %w", err)
	}
	defer emu.Close()
	fmt.Fprintf(w, "AWS emulator (DRS, Snowball, SMS) listening on %s (loopback only; no AWS account is used)\n", emu.URL())
	if o.Temporary {
		fmt.Fprintf(w, "archive: %s (a new temporary directory)\n\n", o.ArchiveDir)
	} else {
		fmt.Fprintf(w, "archive: %s\n\n", o.ArchiveDir)
	}

	sync := func(label string) error {
		var st archsync.Stats
		start := time.Now()
		err := archsync.Run(ctx, archsync.Options{
			ArchiveDir:  o.ArchiveDir,
			Sources:     []archsync.Source{archsync.SourceDRS, archsync.SourceSnowball, archsync.SourceSMS},
			Regions:     []string{"us-east-1"},
			EndpointURL: emu.URL(),
			Credentials: credentials.NewStaticCredentialsProvider("DEMOACCESSKEY", "demo-secret", ""),
			MaxBackoff:  200 * time.Millisecond,
			// Observations are stamped on the emulated history's clock.
			Now: emu.Now,
		}, &st)
		if err != nil {
			return fmt.Errorf("demo: %s: %w", label, err)
		}
		fmt.Fprintf(w, "%s: %s\n", label, st.Summary(time.Since(start)))
		return nil
	}
	if err := sync("first sync "); err != nil {
		return err
	}
	emu.Advance(36 * time.Hour)
	fmt.Fprintln(w, "... 36 hours later: running jobs finished, new drills ran, replication states moved,")
	fmt.Fprintln(w, "    Snowball devices shipped, SMS replication runs completed or failed ...")
	if err := sync("second sync"); err != nil {
		return err
	}
	fmt.Fprintln(w, "(the second sync re-read only the logs of jobs that were still running)")

	st, err := archive.Open(ctx, o.ArchiveDir, archive.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer st.Close()
	err = st.View(func(r *archive.Reader) error {
		if err := latestJobs(r, w, 8); err != nil {
			return err
		}
		if err := failures(r, w, 10); err != nil {
			return err
		}
		if err := serverHistory(r, w, 12); err != nil {
			return err
		}
		if err := snowballHistory(r, w, 10); err != nil {
			return err
		}
		if err := smsHistory(r, w, 10); err != nil {
			return err
		}
		a := o.ArchiveDir
		fmt.Fprintf(w, "\nNext, try (offline; 'go run ./cmd/archiver-full' stands for archiver):\n"+
			"  archiver --archive %s query --event LAUNCH_FAILED --output table\n"+
			"  archiver --archive %s query --text InsufficientInstanceCapacity\n"+
			"  archiver --archive %s query --kind snowball.clusterJob --output table\n"+
			"  archiver --archive %s export --out drs-history.json\n"+
			"  archiver --archive %s verify\n", a, a, a, a, a)
		fmt.Fprintf(w, "  archiver --archive %s check --max-drill-age 30d --max-rto 20m\n", a)
		if o.Temporary {
			fmt.Fprintf(w, "\nThe demo archive stays in %s until you remove it:\n  rm -rf %s\n", a, shellQuote(a))
		}
		return nil
	})
	if err != nil {
		return err
	}
	st.Close()
	return writeReport(ctx, o, emu.Now(), w)
}

// ReportName is the file, in the demo archive's directory, that the demo
// writes the report of its archive to.
const ReportName = "recoverability-report.html"

// writeReport writes the HTML report of the demo archive over the 90 days
// before the emulated now, and says where it is.
func writeReport(ctx context.Context, o Options, now time.Time, w io.Writer) error {
	path, err := report.Run(ctx, report.Options{
		ArchiveDir: o.ArchiveDir, Format: report.FormatHTML, Out: filepath.Join(o.ArchiveDir, ReportName), Force: true,
		LockTimeout: time.Minute, Build: o.Build,
	}, now, w, w)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(w, "\nRecoverability report of this archive (archiver report; open it in a browser, offline):\n  %s\n", path)
	return nil
}

type jobView struct {
	JobID            string `json:"jobID"`
	CreationDateTime string `json:"creationDateTime"`
	InitiatedBy      string `json:"initiatedBy"`
	Type             string `json:"type"`
	Status           string `json:"status"`
	Servers          []struct {
		LaunchStatus string `json:"launchStatus"`
	} `json:"participatingServers"`
}

func latestJobs(r *archive.Reader, w io.Writer, n int) error {
	var jobs []archive.Record
	if err := r.Each(kinds.DRSJob, func(rec archive.Record) error { jobs = append(jobs, rec); return nil }); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== The %d latest of %d archived jobs\n", min(n, len(jobs)), len(jobs))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED\tJOB\tINITIATED BY\tSTATUS\tSERVERS (launched/failed)")
	for i := len(jobs) - 1; i >= 0 && i >= len(jobs)-n; i-- {
		var j jobView
		_ = json.Unmarshal(jobs[i].Data, &j)
		launched, failed := 0, 0
		for _, s := range j.Servers {
			switch s.LaunchStatus {
			case "LAUNCHED":
				launched++
			case "FAILED":
				failed++
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d (%d/%d)\n", jobs[i].Time.Format("2006-01-02 15:04"), j.JobID, j.InitiatedBy, j.Status, len(j.Servers), launched, failed)
	}
	return tw.Flush()
}

type logView struct {
	Event     string `json:"event"`
	EventData struct {
		SourceServerID string `json:"sourceServerID"`
		RawError       string `json:"rawError"`
	} `json:"eventData"`
}

func failures(r *archive.Reader, w io.Writer, n int) error {
	type row struct {
		at                 time.Time
		job, server, event string
		rawError           string
	}
	var rows []row
	err := r.Each(kinds.DRSJobLogItem, func(rec archive.Record) error {
		var l logView
		if json.Unmarshal(rec.Data, &l) != nil {
			return nil
		}
		if strings.HasSuffix(l.Event, "_FAIL") || strings.HasSuffix(l.Event, "_FAILED") {
			rows = append(rows, row{rec.Time, rec.JobID, l.EventData.SourceServerID, l.Event, l.EventData.RawError})
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== Failed steps (LAUNCH_FAILED, *_FAIL): the %d latest of %d in the archive\n", min(n, len(rows)), len(rows))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tJOB\tSERVER\tEVENT\tRAW ERROR")
	for i := len(rows) - 1; i >= 0 && i >= len(rows)-n; i-- {
		x := rows[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", x.at.Format("2006-01-02 15:04"), x.job, x.server, x.event, clip(x.rawError, 90))
	}
	return tw.Flush()
}

type serverView struct {
	ID   string `json:"sourceServerID"`
	Info struct {
		State string `json:"dataReplicationState"`
		Lag   string `json:"lagDuration"`
		Error struct {
			Error string `json:"error"`
		} `json:"dataReplicationError"`
	} `json:"dataReplicationInfo"`
	Props struct {
		Hints struct {
			Hostname string `json:"hostname"`
		} `json:"identificationHints"`
	} `json:"sourceProperties"`
	LifeCycle struct {
		LastLaunch struct {
			Initiated struct {
				Type  string `json:"type"`
				JobID string `json:"jobID"`
			} `json:"initiated"`
			Status string `json:"status"`
		} `json:"lastLaunch"`
	} `json:"lifeCycle"`
}

// lastLaunch summarises a server's last launch, such as
// "DRILL LAUNCHED (drsjob-...)".
func (s serverView) lastLaunch() string {
	l := s.LifeCycle.LastLaunch
	if l.Initiated.JobID == "" {
		return "-"
	}
	return fmt.Sprintf("%s %s (%s)", l.Initiated.Type, l.Status, l.Initiated.JobID)
}

func serverHistory(r *archive.Reader, w io.Writer, n int) error {
	type snap struct {
		at                                    time.Time
		host, state, lag, errorCode, launched string
	}
	byServer := map[string][]snap{}
	err := r.Each(kinds.DRSSourceServer, func(rec archive.Record) error {
		var s serverView
		_ = json.Unmarshal(rec.Data, &s)
		byServer[rec.ID] = append(byServer[rec.ID], snap{rec.Time, s.Props.Hints.Hostname, s.Info.State, s.Info.Lag, s.Info.Error.Error, s.lastLaunch()})
		return nil
	})
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(byServer))
	for id := range byServer {
		ids = append(ids, id)
	}
	// Servers whose state changed first, then by ID.
	sort.Slice(ids, func(i, j int) bool {
		a, b := len(byServer[ids[i]]), len(byServer[ids[j]])
		if a != b {
			return a > b
		}
		return ids[i] < ids[j]
	})
	var rows []string
	servers := 0
	for _, id := range ids {
		if len(rows) == n {
			break
		}
		servers++
		for _, s := range byServer[id] {
			if len(rows) == n {
				break
			}
			rows = append(rows, fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s", id, s.host, s.at.Format("2006-01-02 15:04"), s.state, s.lag, or(s.errorCode, "-"), s.launched))
		}
	}
	fmt.Fprintf(w, "\n== Source-server snapshots, one per observed state: %s of %s, those with the most snapshots first\n",
		count(len(rows), "snapshot"), someOf(servers, len(ids), "servers"))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVER\tHOST\tCAPTURED\tREPLICATION\tLAG\tERROR\tLAST LAUNCH")
	for _, row := range rows {
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}

// stateChanges prints the records of kind whose identity has more than one
// (a change of state seen between syncs) first, then the others, n rows at
// most; row renders one record.
func stateChanges(r *archive.Reader, w io.Writer, kind archive.Kind, n int, title, header string, row func(archive.Record) string) error {
	byID := map[string][]archive.Record{}
	var ids []string
	err := r.Each(kind, func(rec archive.Record) error {
		if _, ok := byID[rec.ID]; !ok {
			ids = append(ids, rec.ID)
		}
		byID[rec.ID] = append(byID[rec.ID], rec)
		return nil
	})
	if err != nil {
		return err
	}
	sort.SliceStable(ids, func(i, j int) bool { return len(byID[ids[i]]) > len(byID[ids[j]]) })
	var rows []string
	jobs := 0
	for _, id := range ids {
		if len(rows) == n {
			break
		}
		jobs++
		for _, rec := range byID[id] {
			if len(rows) == n {
				break
			}
			rows = append(rows, row(rec))
		}
	}
	fmt.Fprintf(w, "\n== %s, one record per observed state: %s of %s, those with the most records first\n",
		title, count(len(rows), "record"), someOf(jobs, len(ids), "jobs"))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, r)
	}
	return tw.Flush()
}

func snowballHistory(r *archive.Reader, w io.Writer, n int) error {
	return stateChanges(r, w, kinds.SnowballJob, n, "Snowball cluster jobs", "JOB\tCLUSTER\tCREATED\tCAPTURED\tSTATE\tDESCRIPTION",
		func(rec archive.Record) string {
			var j struct{ JobState, Description string }
			_ = json.Unmarshal(rec.Data, &j)
			return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", rec.ID, rec.ClusterID, rec.Time.Format("2006-01-02 15:04"),
				capturedAt(rec), j.JobState, j.Description)
		})
}

func smsHistory(r *archive.Reader, w io.Writer, n int) error {
	return stateChanges(r, w, kinds.SMSJob, n, "SMS replication jobs", "JOB\tSERVER\tCAPTURED\tSTATE\tRUNS\tLAST RUN\tMESSAGE",
		func(rec archive.Record) string {
			var j struct {
				ServerID      string `json:"serverId"`
				State         string `json:"state"`
				StatusMessage string `json:"statusMessage"`
				Runs          []struct {
					State         string `json:"state"`
					StatusMessage string `json:"statusMessage"`
				} `json:"replicationRunList"`
			}
			_ = json.Unmarshal(rec.Data, &j)
			last, msg := "-", j.StatusMessage
			if len(j.Runs) > 0 {
				run := j.Runs[len(j.Runs)-1]
				last, msg = run.State, or(run.StatusMessage, msg)
			}
			return fmt.Sprintf("%s\t%s\t%s\t%s\t%d\t%s\t%s", rec.ID, j.ServerID, capturedAt(rec), j.State, len(j.Runs), last, clip(or(msg, "-"), 70))
		})
}

func capturedAt(rec archive.Record) string {
	if rec.CapturedAt == nil {
		return "-"
	}
	return rec.CapturedAt.Format("2006-01-02 15:04")
}

// count is "1 snapshot" or "n snapshots".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// someOf is "all 6 servers" or "4 of the 15 servers".
func someOf(shown, total int, plural string) string {
	if shown == total {
		return fmt.Sprintf("all %d %s", total, plural)
	}
	return fmt.Sprintf("%d of the %d %s", shown, total, plural)
}

// or returns s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func clip(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
