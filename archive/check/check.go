// Package check checks an archive as a whole: bbolt's consistency check
// over the file, every record decoded, the hash chain recomputed, and the
// full-text index compared with the archive. The archive is the source of
// truth; an index that differs is rebuilt from it.
package check

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/checkpoint"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/migrations"
)

// RunOptions say which archive to check.
type RunOptions struct {
	// ArchiveDir is the archive's directory; LockTimeout the longest wait
	// for a sync to release it.
	ArchiveDir  string
	LockTimeout time.Duration
	// Against names witnesses: checkpoint files and directories of them,
	// kept outside the archive. The archive must extend every one.
	Against []string
	// Fetched are more checkpoints, read by the caller from where Against
	// cannot reach (an S3 prefix), named by their URLs.
	Fetched []checkpoint.File
	// PublicKey, when set, is the key every witness must be signed with.
	PublicKey ed25519.PublicKey
	// JSON prints the outcome as one Report document on stdout, problems
	// included, instead of lines.
	JSON bool
}

// ReportVersion is the version of Report's JSON form; it changes only when
// a member changes meaning or goes.
const ReportVersion = 1

// Report is the outcome of a verify: the form of 'archiver verify
// --output json'.
type Report struct {
	Version int  `json:"version"`
	OK      bool `json:"ok"`
	// Archive is the file checked and Schema its schema version.
	Archive string `json:"archive"`
	Schema  int    `json:"schemaVersion"`
	// Records counts the records by kind; TotalRecords all of them.
	Records      map[string]int `json:"records"`
	TotalRecords int            `json:"totalRecords"`
	// ChainLinks and ChainHead are the hash chain's, LogSize and LogRoot
	// the transparency log's, as recomputed.
	ChainLinks uint64 `json:"chainLinks"`
	ChainHead  string `json:"chainHead"`
	LogSize    uint64 `json:"logSize"`
	LogRoot    string `json:"logRoot"`
	// Witnesses says what was proved against checkpoints kept outside the
	// file (or that only the file's own consistency was checked); Index
	// the full-text index's state.
	Witnesses string `json:"witnesses"`
	Index     string `json:"index"`
	// Problems are the problems found, one a line, as text output prints
	// them.
	Problems []string `json:"problems"`
}

// Run checks the archive in o.ArchiveDir: it prints each problem found on
// stderr, one a line, and returns an error saying how many there were; with
// none it prints a summary on stdout.
func Run(ctx context.Context, o RunOptions, stdout, stderr io.Writer) error {
	dir, lockTimeout := o.ArchiveDir, o.LockTimeout
	waiting := func(msg string) { fmt.Fprintf(stderr, "archiver: %s\n", msg) }
	var ws []witness
	if len(o.Against) > 0 || len(o.Fetched) > 0 {
		var err error
		if ws, err = readWitnesses(o.Against, o.Fetched, o.PublicKey); err != nil {
			return fmt.Errorf("verify --against: %w", err)
		}
	}
	st, err := archive.Open(ctx, dir, archive.Options{ReadOnly: true, LockTimeout: lockTimeout, Waiting: waiting})
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	defer st.Close()
	problems := st.Check()
	counts := map[archive.Kind]int{}
	var chainRep archive.ChainReport
	var logHead archive.TreeHead
	witnessNote := "only its own consistency was checked: give --against a checkpoint kept outside it to prove its history"
	err = st.View(func(r *archive.Reader) error {
		for _, k := range kinds.Names() {
			err := r.Each(k, func(archive.Record) error {
				counts[k]++
				if counts[k]%4096 == 0 {
					return ctx.Err()
				}
				return nil
			})
			if err != nil {
				problems = append(problems, err)
			}
		}
		var err error
		chainRep, err = r.VerifyChain(ctx, func(err error) { problems = append(problems, err) })
		if err != nil {
			return err
		}
		logHead, err = checkLog(ctx, r)
		if err != nil {
			problems = append(problems, err)
		}
		if err := r.VerifyDerived(ctx, func(err error) { problems = append(problems, err) }); err != nil {
			return err
		}
		if len(ws) > 0 {
			latest, err := checkAgainst(ctx, r, ws)
			if err != nil {
				problems = append(problems, err)
			} else {
				witnessNote = fmt.Sprintf("extends %d checkpoints kept outside it, the latest %s (%d entries)", len(ws), latest.from, latest.c.Size)
			}
		}
		return nil
	})
	if cerr := ctx.Err(); cerr != nil {
		// Interrupted: what was not checked is no problem found.
		return fmt.Errorf("verify: %w", cerr)
	}
	if err != nil {
		problems = append(problems, err)
	}
	for _, p := range problems {
		if errors.Is(p, archive.ErrDamaged) {
			// A file that cannot be walked gives one answer, not a list.
			return fmt.Errorf("verify: %w", p)
		}
	}
	indexNote, indexProblems := verifyIndex(ctx, st, dir, lockTimeout)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	problems = append(problems, indexProblems...)
	total := 0
	for _, n := range counts {
		total += n
	}
	if o.JSON {
		rep := Report{Version: ReportVersion, OK: len(problems) == 0, Archive: st.Path(), Schema: migrations.Latest(),
			Records: map[string]int{}, TotalRecords: total, ChainLinks: chainRep.Head.N, ChainHead: fmt.Sprintf("%x", chainRep.Head.Hash),
			LogSize: logHead.Size, LogRoot: fmt.Sprintf("%x", logHead.Hash), Witnesses: witnessNote, Index: indexNote, Problems: []string{}}
		for k, n := range counts {
			rep.Records[string(k)] = n
		}
		for _, p := range problems {
			rep.Problems = append(rep.Problems, oneLine(p.Error()))
		}
		b, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		for _, p := range problems {
			fmt.Fprintf(stderr, "archiver verify: %s\n", oneLine(p.Error()))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("verify: %d problems in %s", len(problems), st.Path())
	}
	if o.JSON {
		return nil
	}
	var parts []string
	for _, k := range kinds.Names() {
		if n := counts[k]; n > 0 || kinds.OwnsLog(k) {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	fmt.Fprintf(stdout, "archiver verify: ok: %s, schema %d, %d records (%s); hash chain of %d links intact, head %x; transparency log of %d leaves, root %x; %s; %s\n",
		st.Path(), migrations.Latest(), total, strings.Join(parts, ", "), chainRep.Head.N, chainRep.Head.Hash, logHead.Size, logHead.Hash, witnessNote, indexNote)
	return nil
}

// checkLog recomputes the transparency log from the change log and
// compares it with the tree head the file stores. It checks the file
// against itself only: whoever can write the file can rewrite both; a
// checkpoint kept outside it is what proves the history.
func checkLog(ctx context.Context, r *archive.Reader) (archive.TreeHead, error) {
	stored, err := r.TreeHead()
	if err != nil {
		return stored, err
	}
	got, err := r.RecomputeLog(ctx, nil, nil)
	if err != nil {
		return stored, err
	}
	if got != stored {
		return stored, fmt.Errorf("%w: the file records %d leaves with root %x, its change log recomputes to %d leaves with root %x",
			archive.ErrLogMismatch, stored.Size, stored.Hash[:8], got.Size, got.Hash[:8])
	}
	return stored, nil
}

// maxIndexReports bounds how many index mismatches verify prints one by one.
const maxIndexReports = 20

// verifyIndex compares the full-text index with the archive: every record
// must be in both, but for those the archive changed after the index's
// position (after a crash, or a sync --no-index), which the next sync
// indexes. It returns a note for the summary line and the problems.
func verifyIndex(ctx context.Context, st *archive.Store, dir string, lockTimeout time.Duration) (string, []error) {
	x, err := index.Open(dir, index.Options{ReadOnly: true, LockTimeout: lockTimeout})
	if errors.Is(err, index.ErrNoIndex) {
		return "no full-text index yet (sync or reindex makes one)", nil
	}
	if err != nil {
		return "", []error{fmt.Errorf("full-text index: %w (run 'archiver reindex')", err)}
	}
	defer x.Close()
	var problems []error
	n, pending := 0, 0
	err = st.View(func(r *archive.Reader) error {
		ipos, err := x.Position()
		if err != nil {
			return err
		}
		apos, err := r.Position()
		if err != nil {
			return err
		}
		if ipos > apos {
			problems = append(problems, fmt.Errorf("full-text index is at change %d, beyond the archive's %d: it belongs to another archive ('archiver reindex' rebuilds it)", ipos, apos))
			return nil
		}
		pending, err = x.Diff(ctx, r, func(d index.Difference) error {
			n++
			if n <= maxIndexReports {
				problems = append(problems, errors.New(d.String()))
			}
			return nil
		})
		return err
	})
	if err != nil {
		problems = append(problems, fmt.Errorf("full-text index: %w", err))
	}
	if n > maxIndexReports {
		problems = append(problems, fmt.Errorf("%d more records differ between archive and index", n-maxIndexReports))
	}
	if len(problems) > 0 {
		problems = append(problems, errors.New("the archive is the source of truth: 'archiver reindex' rebuilds the index from it"))
	}
	count, _ := x.Count()
	if pending > 0 {
		return fmt.Sprintf("full-text index matches (%d documents), %d records not indexed yet (the next sync indexes them)", count, pending), problems
	}
	return fmt.Sprintf("full-text index matches (%d documents)", count), problems
}

// oneLine folds s onto one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ; ")), " ")
}
