package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
	archsync "github.com/archiver-dev/archiver/sync"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show the last syncs, the archive's size and records, and the index lag",
		UsageText: "archiver [--archive DIR] status [--output table|json]",
		Description: `Shows, from the archive alone (no network, no credentials, nothing written):

   - the last sync of each source, region and account: when it started, how
     long it took, the items it read from AWS and the records it added, and
     its outcome: ok, or the one-line error it ended with (with the last
     time it succeeded)
   - a sync running now, with its start time and process ID
   - the archive file's size on disk and its records by kind
   - the full-text index: its size, and the records committed to the archive
     that it has not reached yet (the next sync indexes them)

Every sync, good or failed, records its outcome in the archive when it ends.
Archives from before this record was kept show no syncs until the next one.

--output table (the default) is for people; --output json is for scripts:
one object with "archive", "index", "syncRunning" (when one runs) and
"syncs", times in RFC 3339 and sizes in bytes.

EXAMPLES:
   archiver status
   archiver --archive /var/lib/archiver status --output json | jq '.syncs[] | select(.ok | not)'
   archiver status --output json | jq '.index.recordsBehind'`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table", Usage: "table or json"},
			&cli.DurationFlag{Name: "lock-timeout", Value: time.Minute, Usage: "longest wait for a running sync to release the archive or index"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			o := statusOptions{archiveDir: c.String("archive"), output: c.String("output"), lockTimeout: c.Duration("lock-timeout")}
			if o.output != "table" && o.output != "json" {
				return usageError{err: fmt.Errorf("--output %q: want table or json", o.output), command: "status"}
			}
			if o.lockTimeout <= 0 {
				return usageError{err: fmt.Errorf("--lock-timeout must be positive"), command: "status"}
			}
			return runStatus(c.Context, o, time.Now(), c.App.Writer, c.App.ErrWriter)
		},
	}
}

// statusOptions is a parsed status command line.
type statusOptions struct {
	archiveDir  string
	output      string
	lockTimeout time.Duration
}

// statusReport is what status shows; its JSON is the --output json document.
type statusReport struct {
	Archive statusArchive  `json:"archive"`
	Index   statusIndex    `json:"index"`
	Running *statusRunning `json:"syncRunning,omitempty"`
	Syncs   []statusSync   `json:"syncs"`
}

type statusArchive struct {
	Path      string `json:"path"`
	SizeBytes int64  `json:"sizeBytes"`
	Schema    int    `json:"schemaVersion"`
	// Position is the change-log position: it grows with every commit.
	Position uint64               `json:"position"`
	Records  map[archive.Kind]int `json:"records"`
	Total    int                  `json:"totalRecords"`
	// Deleted counts the objects AWS no longer lists, by kind; omitted
	// when there are none.
	Deleted map[archive.Kind]int `json:"deletedUpstream,omitempty"`
}

// Index states.
const (
	indexCurrent = "current"    // has every committed record
	indexBehind  = "behind"     // records committed that it has not reached
	indexMissing = "missing"    // none yet
	indexRebuild = "rebuild"    // another layout, or ahead of the archive: reindex
	indexBroken  = "unreadable" // cannot be opened
)

type statusIndex struct {
	State     string `json:"state"`
	SizeBytes int64  `json:"sizeBytes"`
	// Position is the archive change-log position the index reflects.
	Position uint64 `json:"position"`
	// ChangesBehind counts the commits, and RecordsBehind the records they
	// changed, that the index has not reached.
	ChangesBehind uint64 `json:"changesBehind"`
	RecordsBehind int    `json:"recordsBehind"`
	Note          string `json:"note,omitempty"`
}

type statusRunning struct {
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
}

type statusSync struct {
	Source          string                 `json:"source"`
	Region          string                 `json:"region"`
	Account         string                 `json:"account"`
	Started         time.Time              `json:"started"`
	Finished        time.Time              `json:"finished"`
	DurationSeconds float64                `json:"durationSeconds"`
	ItemsRead       int64                  `json:"itemsRead"`
	ItemsByKind     map[archive.Kind]int64 `json:"itemsReadByKind"`
	RecordsAdded    int64                  `json:"recordsAdded"`
	AddedByKind     map[archive.Kind]int64 `json:"recordsAddedByKind"`
	OK              bool                   `json:"ok"`
	Error           string                 `json:"error,omitempty"`
	LastSuccess     *time.Time             `json:"lastSuccess,omitempty"`
	Runs            int64                  `json:"runs"`
	Failures        int64                  `json:"failures"`
}

func runStatus(ctx context.Context, o statusOptions, now time.Time, stdout, stderr io.Writer) error {
	rep, err := gatherStatus(ctx, o, stderr)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	if o.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return writeStatusTable(stdout, rep, now)
}

// gatherStatus reads everything status shows from one snapshot of the
// archive, and the index beside it.
func gatherStatus(ctx context.Context, o statusOptions, stderr io.Writer) (statusReport, error) {
	var rep statusReport
	st, err := openReadOnly(ctx, o.archiveDir, o.lockTimeout, stderr)
	if err != nil {
		return rep, err
	}
	defer st.Close()
	rep.Archive.Path = st.Path()
	if fi, err := os.Stat(st.Path()); err == nil {
		rep.Archive.SizeBytes = fi.Size()
	}
	if h, ok := archsync.RunningSync(o.archiveDir); ok {
		rep.Running = &statusRunning{PID: h.PID, Since: h.Since}
	}
	x, ixErr := index.Open(o.archiveDir, index.Options{ReadOnly: true, LockTimeout: o.lockTimeout})
	if errors.Is(ixErr, archive.ErrLocked) {
		return rep, ixErr
	}
	if ixErr == nil {
		defer x.Close()
	}
	if rep.Archive.Schema, err = st.SchemaVersion(); err != nil {
		return rep, err
	}
	err = st.View(func(r *archive.Reader) error {
		var err error
		if rep.Archive.Position, err = r.Position(); err != nil {
			return err
		}
		rep.Archive.Records = map[archive.Kind]int{}
		for _, k := range kinds.Names() {
			n, err := r.Count(k)
			if err != nil {
				return err
			}
			rep.Archive.Records[k] = n
			rep.Archive.Total += n
		}
		err = r.EachDeleted(func(m archive.Marking) error {
			if rep.Archive.Deleted == nil {
				rep.Archive.Deleted = map[archive.Kind]int{}
			}
			rep.Archive.Deleted[m.Kind]++
			return nil
		})
		if err != nil {
			return fmt.Errorf("status: %w", err)
		}
		runs, err := r.SyncRuns()
		if err != nil {
			return err
		}
		rep.Syncs = make([]statusSync, 0, len(runs))
		for _, s := range runs {
			rep.Syncs = append(rep.Syncs, statusSyncOf(s))
		}
		rep.Index = indexStatus(o.archiveDir, x, ixErr, r, rep.Archive.Position)
		return nil
	})
	return rep, err
}

func statusSyncOf(s archive.SyncRun) statusSync {
	out := statusSync{
		Source: s.Source, Region: s.Region, Account: s.Account,
		Started: s.Started, Finished: s.Finished, DurationSeconds: s.Duration().Seconds(),
		ItemsByKind: s.ItemsRead, AddedByKind: s.RecordsAdded,
		OK: s.OK(), Error: s.Error, Runs: s.Runs, Failures: s.Failures,
	}
	for _, n := range s.ItemsRead {
		out.ItemsRead += n
	}
	for _, n := range s.RecordsAdded {
		out.RecordsAdded += n
	}
	if !s.LastSuccess.IsZero() {
		t := s.LastSuccess
		out.LastSuccess = &t
	}
	return out
}

// indexStatus says how far the index (x, or the error opening it) is behind
// the archive snapshot r, at change-log position apos.
func indexStatus(dir string, x *index.Index, openErr error, r *archive.Reader, apos uint64) statusIndex {
	var s statusIndex
	switch {
	case errors.Is(openErr, index.ErrNoIndex):
		s.State, s.Note = indexMissing, "no full-text index yet; the next sync or 'archiver reindex' makes one"
		return s
	case errors.Is(openErr, index.ErrOldIndex):
		s.State, s.Note = indexRebuild, "made by another archiver version; the next sync or 'archiver reindex' rebuilds it"
	case openErr != nil:
		s.State, s.Note = indexBroken, oneLine(openErr.Error())+" ('archiver reindex' rebuilds it)"
	}
	if name, err := os.ReadFile(filepath.Join(dir, index.CurrentFile)); err == nil {
		s.SizeBytes = dirSize(filepath.Join(dir, strings.TrimSpace(string(name))))
	}
	if openErr != nil {
		return s
	}
	pos, err := x.Position()
	if err != nil {
		s.State, s.Note = indexBroken, oneLine(err.Error())+" ('archiver reindex' rebuilds it)"
		return s
	}
	s.Position = pos
	if pos > apos {
		s.State = indexRebuild
		s.Note = fmt.Sprintf("at change %d, beyond the archive's %d: it belongs to another archive; the next sync or 'archiver reindex' rebuilds it", pos, apos)
		return s
	}
	s.ChangesBehind = apos - pos
	behind := map[string]bool{}
	err = r.MutationsSince(pos, func(_ uint64, muts []archive.Mutation) error {
		for _, m := range muts {
			if m.Op != archive.OpTouch && m.Op != archive.OpAnchor { // contents unchanged: nothing to index
				behind[index.DocID(m.Kind, m.Key)] = true
			}
		}
		return nil
	})
	if err != nil {
		s.State, s.Note = indexBroken, oneLine(err.Error())
		return s
	}
	s.RecordsBehind = len(behind)
	s.State = indexCurrent
	if s.ChangesBehind > 0 {
		s.State = indexBehind
	}
	return s
}

// dirSize adds up the sizes of the files under dir.
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if fi, err := d.Info(); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// statusTimeLayout is how the table shows times: UTC, to the second.
const statusTimeLayout = "2006-01-02 15:04:05 UTC"

// statusWidth is the width the table fits: an 80-column terminal. Only a
// word longer than a line, such as a long archive path, goes beyond it.
const statusWidth = 80

// kv is one line of the table: a key and its value.
type kv struct{ key, value string }

// writeKV writes pairs as two columns, each key indented by indent and
// padded to the longest, each value wrapped between words to fit
// statusWidth, its further lines under the first.
func writeKV(b *strings.Builder, indent string, pairs []kv) {
	keyWidth := 0
	for _, p := range pairs {
		keyWidth = max(keyWidth, len(p.key))
	}
	col := len(indent) + keyWidth + 2
	for _, p := range pairs {
		b.WriteString(indent + p.key + strings.Repeat(" ", col-len(indent)-len(p.key)))
		at := col
		for i, w := range strings.Fields(p.value) {
			switch {
			case i == 0:
			case at+1+len([]rune(w)) > statusWidth:
				b.WriteString("\n" + strings.Repeat(" ", col))
				at = col
			default:
				b.WriteByte(' ')
				at++
			}
			b.WriteString(w)
			at += len([]rune(w))
		}
		b.WriteByte('\n')
	}
}

func writeStatusTable(w io.Writer, rep statusReport, now time.Time) error {
	var b strings.Builder
	a := rep.Archive
	top := []kv{
		{"archive", a.Path},
		{"size", fmt.Sprintf("%s (schema %d, change %d)", humanize.IBytes(uint64(a.SizeBytes)), a.Schema, a.Position)},
		{"records", humanize.Comma(int64(a.Total))},
	}
	for _, k := range kinds.Names() {
		top = append(top, kv{"  " + string(k), humanize.Comma(int64(a.Records[k]))})
	}
	if len(a.Deleted) > 0 {
		total := 0
		for _, n := range a.Deleted {
			total += n
		}
		top = append(top, kv{"deleted upstream", humanize.Comma(int64(total))})
		for _, k := range kinds.Names() {
			if n := a.Deleted[k]; n > 0 {
				top = append(top, kv{"  " + string(k), humanize.Comma(int64(n))})
			}
		}
	}
	ix := rep.Index
	switch ix.State {
	case indexCurrent:
		top = append(top, kv{"index", humanize.IBytes(uint64(ix.SizeBytes)) + ", up to date"})
	case indexBehind:
		top = append(top, kv{"index", fmt.Sprintf("%s, %s not indexed yet (%s behind); the next sync indexes them",
			humanize.IBytes(uint64(ix.SizeBytes)), plural(int64(ix.RecordsBehind), "record"), plural(int64(ix.ChangesBehind), "commit"))})
	default:
		top = append(top, kv{"index", ix.Note})
	}
	if r := rep.Running; r != nil {
		top = append(top, kv{"sync", fmt.Sprintf("running since %s (%s, pid %d)", r.Since.UTC().Format(statusTimeLayout), humanize.RelTime(r.Since, now, "ago", "from now"), r.PID)})
	}
	writeKV(&b, "", top)
	b.WriteByte('\n')
	if len(rep.Syncs) == 0 {
		b.WriteString("no sync recorded yet\n")
	}
	// One block a sync: a table of them would not fit 80 columns.
	for i, s := range rep.Syncs {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "last %s sync in %s, account %s\n", s.Source, orDash(s.Region), orDash(s.Account))
		last := "never"
		if s.LastSuccess != nil {
			last = s.LastSuccess.UTC().Format(statusTimeLayout) + " (" + humanize.RelTime(*s.LastSuccess, now, "ago", "from now") + ")"
		}
		outcome := "ok"
		if !s.OK {
			outcome = "failed: " + s.Error
		}
		writeKV(&b, "  ", []kv{
			{"started", fmt.Sprintf("%s (%s), took %s", s.Started.UTC().Format(statusTimeLayout), humanize.RelTime(s.Started, now, "ago", "from now"),
				roundDuration(time.Duration(s.DurationSeconds*float64(time.Second))))},
			{"read", fmt.Sprintf("%s items, added %s", humanize.Comma(s.ItemsRead), plural(s.RecordsAdded, "record"))},
			{"outcome", outcome},
			{"last success", last},
		})
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// roundDuration shows a duration to the millisecond under a minute, to the
// second above.
func roundDuration(d time.Duration) string {
	if d < time.Minute {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// plural renders n with noun, in the plural unless n is 1.
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return humanize.Comma(n) + " " + noun + "s"
}
