// Command querybench measures 'archiver query' on a large generated archive
// and sets it beside jq and grep on the JSON export and beside SQLite FTS5
// holding the same records.
//
//	querybench -generate DIR [-jobs 10000 -per-job 100]  # emulator + real sync into DIR
//	querybench -rows EXPORT > rows.csv                   # the export as rows for SQLite
//	querybench -measure DIR -archiver BIN [-export FILE] [-sqlite DB]
//
// Every time reported by -measure is the wall time of a whole process
// (start, open, answer, output to /dev/null), as a person or a script meets
// it. An in-process run of the same questions splits the archiver's time
// into archive open, index open, lookup and record fetch. bench/query.sh
// runs all of it.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/bench/internal/rusage"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/search"
	archsync "github.com/archiver-dev/archiver/sync"
)

// theText is the full-text question: a word of EC2's capacity error, which
// the emulator puts in the rawError of a share of failed launches.
const theText = "InsufficientInstanceCapacity"

func main() {
	generate := flag.String("generate", "", "build an archive of the emulated history in this new `directory`")
	jobs := flag.Int("jobs", 10000, "jobs in the emulated history (-generate)")
	perJob := flag.Int("per-job", 100, "log items per job (-generate); -measure asks for a job with about that many")
	rows := flag.String("rows", "", "write the records of this export `file` to stdout as CSV rows for SQLite")
	measure := flag.String("measure", "", "time the questions on the archive in this `directory`")
	bin := flag.String("archiver", "", "the archiver `binary` to time (-measure)")
	empty := flag.String("empty", "", "a Go `binary` that does nothing, timed as the floor of any Go process (-measure)")
	export := flag.String("export", "", "export `file` of the same archive, for jq and grep (-measure)")
	db := flag.String("sqlite", "", "SQLite `database` of the same records, built from -rows (-measure)")
	raw := flag.Int64("raw-bytes", 0, "raw API JSON size of the history, as -generate printed it (-measure)")
	runs := flag.Int("runs", 21, "timed runs of each archiver question (-measure)")
	warm := flag.Int("warmup", 2, "untimed runs before the timed ones (-measure)")
	jqRuns := flag.Int("jq-runs", 5, "timed runs of each jq and grep command (-measure)")
	sqlRuns := flag.Int("sqlite-runs", 11, "timed runs of each SQLite question (-measure)")
	splitRuns := flag.Int("split-runs", 11, "in-process runs of each question for the time split (-measure)")
	textMax := flag.Int("text-max-items", 0, "also ask the full-text question for its first `N` records (--max-items), so that archives of different sizes compare on answers of one size (-measure)")
	flag.Parse()

	var err error
	switch {
	case *generate != "":
		err = runGenerate(*generate, *jobs, *perJob)
	case *rows != "":
		err = runRows(*rows, os.Stdout)
	case *measure != "":
		if *bin == "" {
			err = errors.New("-measure needs -archiver")
			break
		}
		err = runMeasure(measureOpts{
			dir: *measure, perJob: *perJob, bin: *bin, empty: *empty, export: *export, db: *db, rawBytes: *raw,
			runs: *runs, warm: *warm, jqRuns: *jqRuns, sqlRuns: *sqlRuns, splitRuns: *splitRuns,
			textMax: *textMax,
		})
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "querybench:", err)
		os.Exit(1)
	}
}

// runGenerate builds the emulated history, syncs it into dir with the real
// sync (which builds the full-text index at its end) and prints the counts,
// times and sizes.
func runGenerate(dir string, jobs, perJob int) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("%s is not empty; -generate wants a fresh directory", dir)
	}
	ctx := context.Background()
	start := time.Now()
	emu := emulator.New(emulator.Options{Seed: 1, Jobs: jobs, LogItemsPerJob: perJob})
	build := time.Since(start)
	var mem runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&mem)
	if err := emu.Start(); err != nil {
		return err
	}
	defer emu.Close()

	// The raw API JSON: every item as the emulator serves it.
	var rawJobs, rawLog, rawServers int64
	for _, j := range emu.Jobs() {
		rawJobs += int64(len(j))
	}
	for _, id := range emu.JobIDs() {
		for _, it := range emu.JobLog(id) {
			rawLog += int64(len(it))
		}
	}
	for _, s := range emu.SourceServers() {
		rawServers += int64(len(s))
	}
	nJobs, nLog, nServers := len(emu.Jobs()), emu.TotalLogItems(), len(emu.SourceServers())
	total := nJobs + nLog + nServers
	fmt.Printf("history: %d jobs, %d log items, %d source servers (%d items); emulator built it in %v, heap %d MiB\n",
		nJobs, nLog, nServers, total, build.Round(time.Millisecond), mem.HeapAlloc>>20)
	fmt.Printf("raw API JSON: jobs %d, log items %d, source servers %d bytes\n", rawJobs, rawLog, rawServers)
	fmt.Printf("raw-bytes %d\n", rawJobs+rawLog+rawServers)

	opts := archsync.Options{
		ArchiveDir:  dir,
		Regions:     []string{"us-east-1"},
		EndpointURL: emu.URL(),
		Credentials: credentials.NewStaticCredentialsProvider("BENCH", "bench", ""),
	}
	var st archsync.Stats
	start = time.Now()
	if err := archsync.Run(ctx, opts, &st); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	d := time.Since(start)
	if got := int(st.Added(kinds.DRSJobLogItem) + st.Added(kinds.DRSJob) + st.Added(kinds.DRSSourceServer)); got != total {
		return fmt.Errorf("sync archived %d items, want %d", got, total)
	}
	fmt.Printf("sync (fetch, archive, index): %v, %.0f items/s\n", d.Round(time.Millisecond), float64(total)/d.Seconds())
	fmt.Printf("  %s\n", st.Summary(d))
	return printSizes(dir, rawJobs+rawLog+rawServers)
}

// printSizes prints the sizes of the archive file and the index directory.
func printSizes(dir string, raw int64) error {
	db, ix, err := archiveSizes(dir)
	if err != nil {
		return err
	}
	fmt.Printf("archive.db %s, index %s, together %s", mib(db), mib(ix), mib(db+ix))
	if raw > 0 {
		fmt.Printf(" = %.2fx the raw API JSON (%s)", float64(db+ix)/float64(raw), mib(raw))
	}
	fmt.Println()
	return nil
}

// archiveSizes returns the bytes of the archive file and of the current
// index directory.
func archiveSizes(dir string) (db, ix int64, err error) {
	fi, err := os.Stat(filepath.Join(dir, archive.FileName))
	if err != nil {
		return 0, 0, err
	}
	name, err := os.ReadFile(filepath.Join(dir, index.CurrentFile))
	if err != nil {
		return 0, 0, err
	}
	ix, err = dirSize(filepath.Join(dir, strings.TrimSpace(string(name))))
	return fi.Size(), ix, err
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		n += fi.Size()
		return nil
	})
	return n, err
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// exportRecord is what the rows need of one record object of an export.
type exportRecord struct {
	Kind       archive.Kind      `json:"kind"`
	ID         string            `json:"id"`
	JobID      string            `json:"jobID"`
	CapturedAt *time.Time        `json:"capturedAt"`
	Region     string            `json:"region"`
	Account    string            `json:"account"`
	FirstSeen  time.Time         `json:"firstSeen"`
	LastSeen   time.Time         `json:"lastSeen"`
	Data       json.RawMessage   `json:"data"`
	LogItems   []json.RawMessage `json:"logItems"`
}

// timeLayout renders record times at one fixed width, so that SQLite can
// compare them as strings.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// runRows writes one CSV row per record of the export: kind, job ID, record
// time, the record object as 'archiver query --output jsonl' prints it, and
// the text the archiver's full-text index holds for it.
func runRows(path string, out io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	// {"manifest": {...}, "records": [...]}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	w := csv.NewWriter(bw)
	n, text, textBytes := 0, 0, int64(0)
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if t != "records" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("%s: %v: %w", path, t, err)
			}
			continue
		}
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("%s: records: %w", path, err)
		}
		for dec.More() {
			var top exportRecord
			if err := dec.Decode(&top); err != nil {
				return fmt.Errorf("%s: record %d: %w", path, n, err)
			}
			if text, err = writeRow(w, top); err != nil {
				return err
			}
			textBytes += int64(text)
			n++
			for _, raw := range top.LogItems {
				var it exportRecord
				if err := json.Unmarshal(raw, &it); err != nil {
					return fmt.Errorf("%s: log item of job %s: %w", path, top.ID, err)
				}
				if text, err = writeRow(w, it); err != nil {
					return err
				}
				textBytes += int64(text)
				n++
			}
		}
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("%s: records: %w", path, err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "rows: %d records, %s of indexed text\n", n, mib(textBytes))
	return nil
}

// writeRow writes the row of x and returns the length of its text.
func writeRow(w *csv.Writer, x exportRecord) (int, error) {
	rec := archive.Record{
		Kind: x.Kind, ID: x.ID, JobID: x.JobID, CapturedAt: x.CapturedAt,
		Region: x.Region, Account: x.Account, FirstSeen: x.FirstSeen, LastSeen: x.LastSeen, Data: x.Data,
	}
	var when struct {
		Created  string `json:"creationDateTime"`
		Logged   string `json:"logDateTime"`
		Snapshot string `json:"timestamp"`
		PIT      string `json:"pointInTimeSnapshotDateTime"`
	}
	if err := json.Unmarshal(x.Data, &when); err != nil {
		return 0, fmt.Errorf("%s record %s: %w", x.Kind, x.ID, err)
	}
	var err error
	switch {
	case x.Kind == kinds.DRSJob:
		rec.Time, err = time.Parse(time.RFC3339Nano, when.Created)
	case x.Kind == kinds.DRSJobLogItem:
		rec.Time, err = time.Parse(time.RFC3339Nano, when.Logged)
	case x.Kind == kinds.DRSRecoverySnapshot:
		rec.Time, err = time.Parse(time.RFC3339Nano, when.Snapshot)
	case x.Kind == kinds.DRSRecoveryInstance && when.PIT != "":
		rec.Time, err = time.Parse(time.RFC3339Nano, when.PIT)
	case x.CapturedAt != nil:
		rec.Time = *x.CapturedAt
	}
	if err != nil {
		return 0, fmt.Errorf("%s record %s: %w", x.Kind, x.ID, err)
	}
	doc, err := index.NewDocument(rec)
	if err != nil {
		return 0, err
	}
	jobID := x.JobID
	if x.Kind == kinds.DRSJob {
		jobID = x.ID
	}
	obj := append(query.AppendObject(nil, rec), '}')
	return len(doc.Text), w.Write([]string{string(x.Kind), jobID, rec.Time.UTC().Format(timeLayout), string(obj), doc.Text})
}

type measureOpts struct {
	dir, bin, empty, export, db            string
	rawBytes                               int64
	perJob                                 int
	runs, warm, jqRuns, sqlRuns, splitRuns int
	// textMax, when above zero, adds the full-text question limited to
	// its first textMax records.
	textMax int
}

// question is one query, asked of every tool.
type question struct {
	name    string
	filters query.Filters
	args    []string // archiver query flags
	hits    int      // records the archiver returns, counted in process
	// maxItems bounds the answer (--max-items); 0 for all. jq, grep and
	// SQLite are not asked such a question.
	maxItems int
}

// timing is the whole-process times of one command.
type timing struct {
	p50, p90 time.Duration
	n        int
	out      string // what one run printed, when it is a count
	lines    int    // lines one run printed
	// Medians of the CPU time and minor page faults of the timed runs, from
	// the kernel's account of each process.
	user, sys time.Duration
	faults    int64
}

// usage renders the kernel's account of the runs.
func (t timing) usage() string {
	return fmt.Sprintf("CPU user %s, system %s; %d minor page faults", ms(t.user), ms(t.sys), t.faults)
}

func runMeasure(o measureOpts) error {
	ctx := context.Background()
	qs, err := pickQuestions(ctx, o.dir, o.perJob, o.textMax)
	if err != nil {
		return err
	}
	fmt.Println("== questions")
	for _, q := range qs {
		fmt.Printf("%s: archiver query %s (%d records)\n", q.name, strings.Join(q.args, " "), q.hits)
	}

	fmt.Println("== sizes")
	db, ix, err := archiveSizes(o.dir)
	if err != nil {
		return err
	}
	fmt.Printf("archive.db %s, index %s, together %s\n", mib(db), mib(ix), mib(db+ix))
	if o.rawBytes > 0 {
		fmt.Printf("raw API JSON %s; archive + index = %.2fx of it (archive.db %.2fx, index %.2fx)\n",
			mib(o.rawBytes), float64(db+ix)/float64(o.rawBytes), float64(db)/float64(o.rawBytes), float64(ix)/float64(o.rawBytes))
	}
	if o.export != "" {
		fi, err := os.Stat(o.export)
		if err != nil {
			return err
		}
		fmt.Printf("export %s\n", mib(fi.Size()))
	}
	if o.db != "" {
		fi, err := os.Stat(o.db)
		if err != nil {
			return err
		}
		fmt.Printf("SQLite database %s\n", mib(fi.Size()))
	}
	if err := spaceSplit(o.dir); err != nil {
		return err
	}

	fmt.Printf("== archiver, whole process: p50 and p90 of %d runs after %d warm-up runs\n", o.runs, o.warm)
	if o.empty != "" {
		t, err := timeCommand(o.empty, nil, o.warm, o.runs, "")
		if err != nil {
			return err
		}
		fmt.Printf("a Go program that does nothing: p50 %s, p90 %s\n  %s\n", ms(t.p50), ms(t.p90), t.usage())
	}
	floor, err := timeCommand(o.bin, []string{"version"}, o.warm, o.runs, "")
	if err != nil {
		return err
	}
	fmt.Printf("archiver version (process start, no archive): p50 %s, p90 %s\n  %s\n", ms(floor.p50), ms(floor.p90), floor.usage())
	arch := make([]timing, len(qs))
	for i, q := range qs {
		args := append([]string{"--archive", o.dir, "query"}, q.args...)
		args = append(args, "--output", "jsonl")
		t, err := timeCommand(o.bin, args, o.warm, o.runs, "")
		if err != nil {
			return err
		}
		if t.lines != q.hits {
			return fmt.Errorf("%s: archiver printed %d records, the engine found %d", q.name, t.lines, q.hits)
		}
		arch[i] = t
		fmt.Printf("%s: p50 %s, p90 %s, %d records\n  %s\n", q.name, ms(t.p50), ms(t.p90), t.lines, t.usage())
	}

	jq, grep := make([]timing, len(qs)), make([]timing, len(qs))
	if o.export != "" {
		fmt.Printf("== jq and grep on the export, whole process: p50 and p90 of %d runs after 1 warm-up run\n", o.jqRuns)
		for i, q := range qs {
			if q.maxItems > 0 {
				continue
			}
			for _, c := range exportCommands(q, o.export) {
				sink := ""
				if c[0] == "grep" {
					sink = o.export + ".grep-count"
					defer os.Remove(sink)
				}
				t, err := timeCommand(c[0], c[1:], 1, o.jqRuns, sink)
				if err != nil {
					return err
				}
				if c[0] == "grep" {
					grep[i] = t
				} else {
					jq[i] = t
				}
				fmt.Printf("%s: %s\n  p50 %s, p90 %s, printed %s\n", q.name, shellLine(c[0], c[1:]), ms(t.p50), ms(t.p90), t.count())
			}
		}
	}

	lite := make([]timing, len(qs))
	if o.db != "" {
		fmt.Printf("== SQLite FTS5, whole process: p50 and p90 of %d runs after %d warm-up runs\n", o.sqlRuns, o.warm)
		for i, q := range qs {
			if q.maxItems > 0 {
				continue
			}
			args := []string{o.db, sqliteQuery(q)}
			t, err := timeCommand("sqlite3", args, o.warm, o.sqlRuns, "")
			if err != nil {
				return err
			}
			if t.lines != q.hits {
				return fmt.Errorf("%s: SQLite printed %d records, the archiver %d", q.name, t.lines, q.hits)
			}
			lite[i] = t
			fmt.Printf("%s: %s\n  p50 %s, p90 %s, %d records\n  %s\n", q.name, shellLine("sqlite3", args), ms(t.p50), ms(t.p90), t.lines, t.usage())
		}
	}

	fmt.Println("== summary (p50 / p90, whole process)")
	fmt.Println("| question | records | archiver | jq on the export | grep -c on the export | SQLite FTS5 |")
	fmt.Println("|---|---|---|---|---|---|")
	for i, q := range qs {
		fmt.Printf("| %s | %d | %s | %s | %s | %s |\n", q.name, q.hits, arch[i].cell(), jq[i].cell(), grep[i].cell(), lite[i].cell())
	}

	fmt.Printf("== archiver in process: medians of %d runs, each opening archive and index afresh\n", o.splitRuns)
	return split(ctx, o.dir, qs, o.splitRuns)
}

func (t timing) cell() string {
	if t.n == 0 {
		return "-"
	}
	return fmt.Sprintf("%s / %s", ms(t.p50), ms(t.p90))
}

func (t timing) count() string {
	if t.out != "" {
		return strings.TrimSpace(t.out)
	}
	return fmt.Sprintf("%d lines", t.lines)
}

// pickQuestions chooses the concrete questions from the archive: the job in
// the middle of the history (with typicalLog log items, or up to a fifth
// more), a time window around the middle holding 500 to
// 1,000 records, and the capacity error.
func pickQuestions(ctx context.Context, dir string, typicalLog, textMax int) ([]question, error) {
	st, err := archive.Open(ctx, dir, archive.Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var jobID string
	var times []time.Time
	err = st.View(func(r *archive.Reader) error {
		var jobs []func() (archive.Record, error)
		for _, k := range kinds.Names() {
			err := r.EachKey(k, func(key archive.Key, decode func() (archive.Record, error)) error {
				times = append(times, key.Time())
				if k == kinds.DRSJob {
					jobs = append(jobs, decode)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if len(jobs) == 0 {
			return errors.New("no jobs archived")
		}
		// Jobs come in key order, which is creation order. Log lengths
		// vary with the job (terminating drill instances logs a few items,
		// a launch of many servers hundreds); take the first job from the
		// middle on whose log is of typical length.
		for _, decode := range jobs[len(jobs)/2:] {
			rec, err := decode()
			if err != nil {
				return err
			}
			n := 0
			if err := r.JobRecords(rec.ID, func(archive.Record) error { n++; return nil }); err != nil {
				return err
			}
			if n-1 >= typicalLog && n-1 <= typicalLog*6/5 {
				jobID = rec.ID
				return nil
			}
		}
		return fmt.Errorf("no job from the middle on logs %d to %d items", typicalLog, typicalLog*6/5)
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })

	// Whole seconds at both ends, so that jq can compare the first 19
	// characters of the mixed DRS timestamp layouts.
	window := func(half int) (from, to time.Time, n int) {
		m := len(times) / 2
		lo, hi := max(m-half, 0), min(m+half, len(times)-1)
		from = times[lo].Truncate(time.Second)
		to = times[hi].Truncate(time.Second).Add(time.Second - 1)
		a, _ := slices.BinarySearchFunc(times, from, func(t, x time.Time) int { return t.Compare(x) })
		b, _ := slices.BinarySearchFunc(times, to.Add(1), func(t, x time.Time) int { return t.Compare(x) })
		return from, to, b - a
	}
	half := 375
	from, to, n := window(half)
	for i := 0; i < 100 && (n < 500 || n > 1000); i++ {
		if n > 1000 {
			half -= 25
		} else {
			half += 25
		}
		from, to, n = window(half)
	}
	if n < 500 || n > 1000 {
		return nil, fmt.Errorf("no window around the middle holds 500 to 1,000 records (last try %d)", n)
	}

	qs := []question{
		{name: "job ID", filters: query.Filters{JobIDs: []string{jobID}}, args: []string{"--job-id", jobID}},
		{
			name:    "date range",
			filters: query.Filters{Range: query.Range{From: from, To: to}},
			args:    []string{"--from", from.Format(time.RFC3339Nano), "--to", to.Format(time.RFC3339Nano)},
		},
		{name: "full text", filters: query.Filters{Text: theText}, args: []string{"--text", theText}},
	}
	if textMax > 0 {
		qs = append(qs, question{
			name: fmt.Sprintf("full text, first %d", textMax), filters: query.Filters{Text: theText},
			args: []string{"--text", theText, "--max-items", strconv.Itoa(textMax)}, maxItems: textMax,
		})
	}
	st2, err := openSource(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer st2.close()
	for i := range qs {
		err := st2.st.View(func(r *archive.Reader) error {
			_, err := query.Run(ctx, query.Source{Archive: r, Search: search.Using(st2.x)}, query.Request{Filters: qs[i].filters, MaxItems: qs[i].maxItems},
				func(archive.Record, []string) error { qs[i].hits++; return nil })
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", qs[i].name, err)
		}
	}
	return qs, nil
}

// source is an open archive and index, as 'archiver query' opens them.
type source struct {
	st *archive.Store
	x  *index.Index
}

func openSource(ctx context.Context, dir string) (source, error) {
	st, err := archive.Open(ctx, dir, archive.Options{ReadOnly: true})
	if err != nil {
		return source{}, err
	}
	x, err := index.Open(dir, index.Options{ReadOnly: true})
	if err != nil {
		st.Close()
		return source{}, err
	}
	return source{st, x}, nil
}

func (s source) close() {
	s.x.Close()
	s.st.Close()
}

// exportCommands are the jq (and grep) command lines that answer q from the
// export, one record object a line. DRS timestamps come in mixed layouts, all
// UTC, so the window is compared on whole seconds.
func exportCommands(q question, export string) [][]string {
	switch {
	case len(q.filters.JobIDs) > 0:
		return [][]string{{"jq", "-c", "--arg", "id", q.filters.JobIDs[0],
			`.records[] | select((.kind == "drs.job" and .id == $id) or (.kind == "drs.jobLogItem" and .jobID == $id))`, export}}
	case !q.filters.Range.From.IsZero():
		const sec = "2006-01-02T15:04:05"
		return [][]string{{"jq", "-c", "--arg", "from", q.filters.Range.From.Format(sec), "--arg", "to", q.filters.Range.To.Format(sec),
			`.records[] | select((if .kind == "drs.job" then .data.creationDateTime ` +
				`elif .kind == "drs.jobLogItem" then .data.logDateTime ` +
				`elif .kind == "drs.recoverySnapshot" then .data.timestamp ` +
				`elif .kind == "drs.recoveryInstance" then (.data.pointInTimeSnapshotDateTime // .capturedAt) ` +
				`else .capturedAt end)[0:19] as $s | $s >= $from and $s <= $to)`, export}}
	default:
		return [][]string{
			{"jq", "-c", "--arg", "text", q.filters.Text, `.records[] | select(.data | tostring | contains($text))`, export},
			{"grep", "-c", q.filters.Text, export},
		}
	}
}

// sqliteQuery is the SQL that answers q from the database -rows fills.
func sqliteQuery(q question) string {
	switch {
	case len(q.filters.JobIDs) > 0:
		return fmt.Sprintf("SELECT data FROM records WHERE job_id = '%s' ORDER BY time", q.filters.JobIDs[0])
	case !q.filters.Range.From.IsZero():
		return fmt.Sprintf("SELECT data FROM records WHERE time BETWEEN '%s' AND '%s' ORDER BY time",
			q.filters.Range.From.Format(timeLayout), q.filters.Range.To.Format(timeLayout))
	default:
		return fmt.Sprintf("SELECT r.data FROM records_text t JOIN records r ON r.rowid = t.rowid WHERE records_text MATCH '%s' ORDER BY r.time", q.filters.Text)
	}
}

// timeCommand runs name with args warm times untimed, the first of them
// counting what it prints, then runs times with its output going to
// /dev/null, or to the file sink when sink is not empty. (GNU grep stops at
// the first match when its output is /dev/null.)
func timeCommand(name string, args []string, warm, runs int, sink string) (timing, error) {
	if sink == "" {
		sink = os.DevNull
	}
	null, err := os.OpenFile(sink, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return timing{}, err
	}
	defer null.Close()
	var user, sys, faults []int64
	run := func(out io.Writer) (time.Duration, error) {
		var stderr bytes.Buffer
		cmd := exec.Command(name, args...)
		cmd.Stdout, cmd.Stderr = out, &stderr
		start := time.Now()
		err := cmd.Run()
		d := time.Since(start)
		if err != nil {
			return 0, fmt.Errorf("%s: %w: %s", shellLine(name, args), err, strings.TrimSpace(stderr.String()))
		}
		if u, s, f, ok := rusage.Of(cmd.ProcessState); ok {
			user = append(user, u)
			sys = append(sys, s)
			faults = append(faults, f)
		}
		return d, nil
	}
	var out countWriter
	for i := range max(warm, 1) {
		w := io.Writer(null)
		if i == 0 {
			w = &out
		}
		if _, err := run(w); err != nil {
			return timing{}, err
		}
	}
	user, sys, faults = nil, nil, nil
	ds := make([]time.Duration, 0, runs)
	for range runs {
		d, err := run(null)
		if err != nil {
			return timing{}, err
		}
		ds = append(ds, d)
	}
	t := timing{p50: percentile(ds, 0.5), p90: percentile(ds, 0.9), n: runs, lines: out.lines}
	if len(user) > 0 {
		t.user, t.sys = time.Duration(medianInt(user)), time.Duration(medianInt(sys))
		t.faults = medianInt(faults)
	}
	if out.lines == 1 && len(out.head) < 32 {
		t.out = string(out.head)
	}
	return t, nil
}

// countWriter counts lines and keeps the start of the output.
type countWriter struct {
	lines int
	head  []byte
}

func (c *countWriter) Write(p []byte) (int, error) {
	c.lines += bytes.Count(p, []byte{'\n'})
	if len(c.head) < 64 {
		c.head = append(c.head, p[:min(len(p), 64-len(c.head))]...)
	}
	return len(p), nil
}

// percentile returns the q-quantile of ds, nearest rank.
func percentile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(i, 0)]
}

func median(ds []time.Duration) time.Duration { return percentile(ds, 0.5) }

func medianInt(xs []int64) int64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	if d >= time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// shellLine renders a command for people, quoting what the shell would need.
func shellLine(name string, args []string) string {
	parts := []string{name}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \"'$|()<>&;*?[]{}!\\=") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// split times the archiver's work in process, as 'archiver query' does it:
// open the archive, open the index, query.Run with JSON Lines output to
// nowhere, close both. A second pass, with archive and index opened afresh
// again (a first search in an open index pays for loading what later ones
// reuse), times the two parts of query.Run on their own: the lookup (an
// archive scan, or an index search) and the fetch of the records found,
// with their JSON, and that fetch once more (the same pages, now mapped).
func split(ctx context.Context, dir string, qs []question, runs int) error {
	fmt.Println("| question | archive open | index open | query.Run | close | total | of which lookup | of which fetch + JSON | the fetch again |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, q := range qs {
		var open, xopen, run, closing, total, look, fetch, again []time.Duration
		for range runs {
			var d [4]time.Duration
			err := withSource(ctx, dir, &d, func(r *archive.Reader, x *index.Index) error {
				w := query.NewWriter(io.Discard, query.FormatJSONL, query.WriterOptions{Notes: io.Discard})
				if _, err := query.Run(ctx, query.Source{Archive: r, Search: search.Using(x)}, query.Request{Filters: q.filters, MaxItems: q.maxItems}, w.Write); err != nil {
					return err
				}
				return w.Close("")
			})
			if err != nil {
				return err
			}
			open, xopen, run, closing = append(open, d[0]), append(xopen, d[1]), append(run, d[2]), append(closing, d[3])
			total = append(total, d[0]+d[1]+d[2]+d[3])

			var tl, tf, ta time.Duration
			err = withSource(ctx, dir, &d, func(r *archive.Reader, x *index.Index) error {
				a := time.Now()
				hits, err := lookup(ctx, r, x, q.filters, q.maxItems)
				if err != nil {
					return err
				}
				tl = time.Since(a)
				if tf, err = fetchAll(r, hits); err != nil {
					return err
				}
				ta, err = fetchAll(r, hits)
				return err
			})
			if err != nil {
				return err
			}
			look, fetch, again = append(look, tl), append(fetch, tf), append(again, ta)
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", q.name, ms(median(open)), ms(median(xopen)),
			ms(median(run)), ms(median(closing)), ms(median(total)), ms(median(look)), ms(median(fetch)), ms(median(again)))
	}
	return nil
}

// fetchAll reads the records of hits and renders their JSON, as query.Run
// does after its lookup.
func fetchAll(r *archive.Reader, hits []hit) (time.Duration, error) {
	start := time.Now()
	var buf []byte
	for _, h := range hits {
		rec, ok, err := r.Get(h.kind, h.key)
		if err != nil || !ok {
			return 0, fmt.Errorf("fetch %s %x: %v", h.kind, h.key, err)
		}
		buf = append(query.AppendObject(buf[:0], rec), '}', '\n')
	}
	return time.Since(start), nil
}

// withSource opens the archive and the index of dir read-only, calls fn in
// a read transaction, closes both, and sets d to the times of the archive
// open, the index open, fn and the closing.
func withSource(ctx context.Context, dir string, d *[4]time.Duration, fn func(*archive.Reader, *index.Index) error) error {
	t0 := time.Now()
	st, err := archive.Open(ctx, dir, archive.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	t1 := time.Now()
	x, err := index.Open(dir, index.Options{ReadOnly: true})
	if err != nil {
		st.Close()
		return err
	}
	t2 := time.Now()
	err = st.View(func(r *archive.Reader) error { return fn(r, x) })
	t3 := time.Now()
	x.Close()
	st.Close()
	*d = [4]time.Duration{t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), time.Since(t3)}
	return err
}

// hit is one record found by lookup.
type hit struct {
	kind archive.Kind
	key  archive.Key
}

// lookup finds the records matching f the way the engine does: an archive
// scan for job and time filters, an index search (all hits, in document ID
// order) for text, or for a page of maxItems records (maxItems above 0)
// the index's walk of stretches of time, oldest first, until it is full.
func lookup(ctx context.Context, r *archive.Reader, x *index.Index, f query.Filters, maxItems int) ([]hit, error) {
	var out []hit
	if f.Text == "" {
		add := func(rec archive.Record) error { out = append(out, hit{rec.Kind, rec.Key}); return nil }
		if len(f.JobIDs) > 0 {
			return out, r.JobRecords(f.JobIDs[0], add)
		}
		for _, kind := range kinds.Names() {
			err := r.KeysBetween(kind, f.Range.From, f.Range.To, func(k archive.Key) error {
				out = append(out, hit{kind, k})
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	q, err := search.TextQuery(f.Text)
	if err != nil {
		return nil, err
	}
	if maxItems > 0 {
		// A page is found oldest first, as the engine finds it.
		p, err := index.CollectFirst(ctx, r, x, q, nil, index.Span{})
		if err != nil {
			return nil, err
		}
		if p.Stream != nil {
			for len(out) < maxItems {
				refs, err := p.Stream.Next(ctx, maxItems+1-len(out))
				if err != nil || refs == nil {
					return out, err
				}
				for _, h := range refs {
					out = append(out, hit{h.Kind, h.Key})
				}
			}
			return out[:maxItems], nil
		}
	}
	refs, err := x.Search(ctx, r, q)
	if err != nil {
		return nil, err
	}
	for _, h := range refs {
		out = append(out, hit{h.Kind, h.Key})
	}
	if maxItems > 0 && len(out) > maxItems {
		out = out[:maxItems] // as many, in index order
	}
	return out, nil
}

// spaceSplit prints what takes the room in the archive file, bucket by
// bucket, and in the index directory, file by file.
func spaceSplit(dir string) error {
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o400, &bolt.Options{ReadOnly: true, Timeout: time.Minute})
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Println("archive.db by bucket (keys, bytes of keys and values, bytes of pages in use, pages allocated):")
	err = db.View(func(tx *bolt.Tx) error {
		var alloc int64
		err := tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			s := b.Stats()
			var kv int64
			err := walkBucket(b, func(k, v []byte) { kv += int64(len(k) + len(v)) })
			if err != nil {
				return err
			}
			a := int64(s.BranchAlloc + s.LeafAlloc)
			alloc += a
			fmt.Printf("  %-20s %9d keys, kv %s, in use %s, allocated %s\n", string(name), s.KeyN, mib(kv),
				mib(int64(s.BranchInuse+s.LeafInuse)), mib(a))
			return nil
		})
		if err != nil {
			return err
		}
		st := db.Stats()
		size := tx.Size()
		fmt.Printf("  file %s: buckets %s, free pages %s, rest %s\n", mib(size), mib(alloc),
			mib(int64(st.FreePageN+st.PendingPageN)*int64(db.Info().PageSize)),
			mib(size-alloc-int64(st.FreePageN+st.PendingPageN)*int64(db.Info().PageSize)))
		return nil
	})
	if err != nil {
		return err
	}
	name, err := os.ReadFile(filepath.Join(dir, index.CurrentFile))
	if err != nil {
		return err
	}
	ixDir := filepath.Join(dir, strings.TrimSpace(string(name)))
	byExt := map[string]int64{}
	files := map[string]int{}
	err = filepath.WalkDir(ixDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		ext := filepath.Ext(p)
		byExt[ext] += fi.Size()
		files[ext]++
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Println("index by file type:")
	exts := slicesKeys(byExt)
	slices.SortFunc(exts, func(a, b string) int { return int(byExt[b] - byExt[a]) })
	for _, e := range exts {
		fmt.Printf("  %-6s %4d files, %s\n", e, files[e], mib(byExt[e]))
	}
	return nil
}

func slicesKeys(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// walkBucket calls fn for every key and value in b and its nested buckets.
func walkBucket(b *bolt.Bucket, fn func(k, v []byte)) error {
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			if nb := b.Bucket(k); nb != nil {
				fn(k, nil)
				return walkBucket(nb, fn)
			}
		}
		fn(k, v)
		return nil
	})
}
