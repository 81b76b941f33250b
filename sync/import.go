package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/archive/synclock"
)

// ImportOptions configure an import of saved AWS CLI output.
type ImportOptions struct {
	// ArchiveDir is the archive directory.
	ArchiveDir string
	// Checkpoint says how the archive is checkpointed once the import is
	// committed (see archive.PublishCheckpoint).
	Checkpoint archive.CheckpointOptions
	// JobID is the job of every file of log items. Empty: each such file
	// names its job in its file name (drsjob-...).
	JobID string
	// ClusterID is the Snowball cluster of every file of cluster jobs.
	// Empty: each such file names its cluster in its file name (CID...).
	ClusterID string
	// Region and Account are where the records come from, for records that
	// do not say it themselves (DRS records carry ARNs; log items, Snowball
	// and SMS jobs do not).
	Region, Account string
	// CapturedAt is when the output was taken: the seen time of every record
	// and the capture time of every observation. Zero: each file's
	// modification time.
	CapturedAt time.Time
	// NoIndex leaves the full-text index alone.
	NoIndex bool
	// LockTimeout bounds each wait for the archive's file lock; default 10m.
	LockTimeout time.Duration
	// Waiting is told when the import waits for the archive.
	Waiting func(msg string)
}

// ImportedFile is one file an import read.
type ImportedFile struct {
	// Name is the file's base name and SHA256 the hex SHA-256 of its bytes,
	// as each record's provenance keeps them.
	Name, SHA256 string
	// Kind is what the file holds, and Items how many.
	Kind  archive.Kind
	Items int
}

// ImportResult says what an import did.
type ImportResult struct {
	Files []ImportedFile
	// Added counts new records; Updated records that took a later state;
	// Unchanged items the archive already held.
	Added, Updated, Unchanged int
	// Refused lists the files that imported nothing because they disagree
	// with the archive; the other files went in.
	Refused []RefusedFile
}

// RefusedFile is a file an import refused, and why.
type RefusedFile struct {
	Name   string `json:"file"`
	Reason string `json:"reason"`
}

// ImportRefusedError is returned by an import that wrote the files it
// could and refused the ones that disagree with the archive.
type ImportRefusedError struct {
	Refused []RefusedFile
	// Files is how many files the import read.
	Files int
}

func (e *ImportRefusedError) Error() string {
	parts := make([]string, len(e.Refused))
	for i, r := range e.Refused {
		parts[i] = r.Name + ": " + r.Reason
	}
	return fmt.Sprintf("import refused %d of %d files, which disagree with the archive (the others went in): %s",
		len(e.Refused), e.Files, strings.Join(parts, "; "))
}

// conflictError is a file's disagreement with the archive: the file is
// refused, the others go in.
type conflictError struct{ reason string }

func (e *conflictError) Error() string { return e.reason }

// ErrImportShape is wrapped by the error for a file that is not the output
// of a command archiver can import.
var ErrImportShape = errors.New("not AWS CLI output archiver can import")

// wantShapes describes every importable output, for error messages: the
// commands of every kind's saved output.
var wantShapes = func() string {
	var cmds []string
	for _, spec := range kinds.All() {
		cmd, _, _ := strings.Cut(spec.CLI, " --")
		cmds = append(cmds, cmd)
	}
	return "want the JSON printed by " + strings.Join(cmds[:len(cmds)-1], ", ") + " or " + cmds[len(cmds)-1]
}()

// The IDs a file's name may hold, compiled when first needed.
var (
	jobIDInName     = gosync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`drsjob-[0-9a-zA-Z]{17}`) })
	clusterIDInName = gosync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`CID[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	})
)

// Import reads files of saved AWS CLI output and merges their records into
// the archive: one page or the CLI's merged pagination output, or several
// such objects one after another. Every file is read and checked before
// anything is written, and all of them go in together or not at all, so
// a file of the wrong shape imports nothing: in one transaction, or, for
// files of stepImportBytes or more, in steps on a copy of the archive file
// that replaces it when complete (archive.Store.UpdateInSteps), so that
// memory does not grow with the files. Records already archived are
// not duplicated: the same state only widens the seen times of the
// archived record, and an older state never replaces a newer one.
//
// The AWS CLI prints only the members its model knows, so an imported
// object is the same as an archived one when the archived one holds every
// member the imported one has, with the same value (after the kind's
// state rule: see stateRules); members only the archive holds count for
// nothing. A job log item that differs from the archived item at its
// position is a real difference: its file is refused whole, the other
// files go in, and Import returns an *ImportRefusedError naming each
// refused file, the item (from 1) and the member that differs.
//
// Each item is stored compacted: the white space between JSON tokens is
// removed, nothing else changes, so that every record is one line of JSON
// Lines.
func Import(ctx context.Context, o ImportOptions, paths []string) (ImportResult, error) {
	var res ImportResult
	if o.ArchiveDir == "" {
		return res, fmt.Errorf("no archive directory")
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 10 * time.Minute
	}
	if o.Waiting == nil {
		o.Waiting = func(string) {}
	}
	var files []*importFile
	for _, p := range paths {
		f, err := readImportFile(p, o)
		if err != nil {
			return res, err
		}
		files = append(files, f)
		res.Files = append(res.Files, ImportedFile{Name: f.name, SHA256: f.sha, Kind: f.kind, Items: f.n})
	}
	lock, err := synclock.Wait(ctx, o.ArchiveDir, time.Now, o.LockTimeout, o.Waiting)
	if err != nil {
		return res, err
	}
	defer lock.Unlock()
	st, err := archive.Open(ctx, o.ArchiveDir, archive.Options{LockTimeout: o.LockTimeout, Waiting: o.Waiting})
	if err != nil {
		return res, err
	}
	update := st.Update
	if importBytes(files) >= stepImportBytes {
		update = func(fn func(w *archive.Writer) error) error { return st.UpdateInSteps(ctx, importStepBytes, fn) }
	}
	err = update(func(w *archive.Writer) error {
		res.Added, res.Updated, res.Unchanged = 0, 0, 0
		m := &merger{w: w, res: &res, o: o}
		// Jobs go first, so that the logs of jobs in the same import find
		// their region and account.
		ordered := slices.Clone(files)
		slices.SortStableFunc(ordered, func(a, b *importFile) int {
			return boolOrder(!kinds.OwnsLog(a.kind)) - boolOrder(!kinds.OwnsLog(b.kind))
		})
		for _, f := range ordered {
			var conflict *conflictError
			if err := m.merge(f); errors.As(err, &conflict) {
				res.Refused = append(res.Refused, RefusedFile{Name: f.name, Reason: conflict.reason})
			} else if err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := st.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return res, fmt.Errorf("import: %w", err)
	}
	if _, err := archive.PublishCheckpoint(ctx, o.ArchiveDir, archive.Options{LockTimeout: o.LockTimeout, Waiting: o.Waiting}, o.Checkpoint); err != nil {
		return res, fmt.Errorf("import: %w", err)
	}
	if !o.NoIndex {
		err = updateIndex(ctx, Options{ArchiveDir: o.ArchiveDir, LockTimeout: o.LockTimeout, Waiting: o.Waiting}, &Stats{})
	}
	if err == nil && len(res.Refused) > 0 {
		err = &ImportRefusedError{Refused: res.Refused, Files: len(files)}
	}
	return res, err
}

func boolOrder(b bool) int {
	if b {
		return 1
	}
	return 0
}

// merger writes imported records into one transaction.
type merger struct {
	w   *archive.Writer
	res *ImportResult
	o   ImportOptions
	// obs holds the observations of each identity, in capture order, once
	// a file of its kind is met; imported observations join them.
	obs     map[string][]archive.Record
	scanned map[archive.Kind]bool
}

func (m *merger) count(ch archive.Change) {
	switch ch {
	case archive.Added:
		m.res.Added++
	case archive.Updated:
		m.res.Updated++
	default:
		m.res.Unchanged++
	}
}

func (m *merger) merge(f *importFile) error {
	if f.n == 0 {
		return nil
	}
	switch specOf(f.kind).Class {
	case kinds.Latest:
		return f.records(m.o, func(_ int, rec archive.Record) error {
			ch, err := m.w.MergeLatest(rec, func(prev archive.Record) bool { return sameImportedState(f.kind, prev, rec.Data) })
			if err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
			m.count(ch)
			return m.w.Checkpoint()
		})
	case kinds.LogItem:
		return m.mergeLog(f)
	default:
		return m.mergeObservations(f)
	}
}

// mergeLog adds a job's log items after those archived. The items both
// hold must be the same: a file whose log disagrees with the archive's is
// refused.
func (m *merger) mergeLog(f *importFile) error {
	var first archive.Record
	if err := f.records(m.o, func(_ int, rec archive.Record) error { first = rec; return errStopRecords }); err != nil {
		return err
	}
	ref := archive.JobRef{JobID: first.JobID, Region: first.Region, Account: first.Account}
	if ref.Region == "" || ref.Account == "" {
		var found []archive.JobRef
		err := m.w.JobRecords(ref.JobID, func(rec archive.Record) error {
			if kinds.OwnsLog(rec.Kind) {
				found = append(found, archive.JobRef{JobID: rec.ID, Region: rec.Region, Account: rec.Account})
			}
			return nil
		})
		if err != nil {
			return err
		}
		switch len(found) {
		case 0:
			return fmt.Errorf("%s: job %s is not in the archive, so its region and account are unknown: import its describe-jobs output first, or give --region and --account", f.name, ref.JobID)
		case 1:
			ref = found[0]
		default:
			return fmt.Errorf("%s: job %s is archived in %d regions or accounts: give --region and --account", f.name, ref.JobID, len(found))
		}
	}
	// Every item the archive holds is checked before anything is written,
	// so that a refused file writes nothing: a first read of the file
	// compares, a second writes.
	have, err := m.compareLog(f, ref)
	if err != nil {
		return err
	}
	m.res.Unchanged += min(f.n, have)
	if f.n <= have {
		return nil
	}
	var add []archive.LogItem
	batches := m.w.LogBatch()
	flush := func() error {
		changes, err := batches.Put(add)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		for _, ch := range changes {
			m.count(ch)
		}
		add = add[:0]
		// The job-log index of the items put so far is written at Flush,
		// in the last step: a step commits records it does not list yet,
		// which only the copy of an UpdateInSteps ever holds.
		return m.w.Checkpoint()
	}
	err = f.records(m.o, func(i int, rec archive.Record) error {
		if i < have {
			return nil
		}
		rec.Region, rec.Account = ref.Region, ref.Account
		add = append(add, archive.LogItem{Job: ref, Pos: i, Record: rec})
		if len(add) == importBatch {
			return flush()
		}
		return nil
	})
	if err == nil && len(add) > 0 {
		err = flush()
	}
	if err == nil {
		err = batches.Flush()
	}
	if err != nil {
		return err
	}
	st, err := m.w.JobState(ref)
	if err != nil {
		return err
	}
	st.LogItems = f.n
	return m.w.SetJobState(ref, st)
}

// compareLog compares the items of log file f, position by position, with
// the log the archive holds for ref, and returns how many items that log
// holds. Neither is held whole: the file is read in a goroutine that only
// reads the file and hands its records over one by one, and the archive is
// read here, in the transaction's goroutine.
func (m *merger) compareLog(f *importFile, ref archive.JobRef) (int, error) {
	recs := make(chan archive.Record, 64)
	done := make(chan struct{})
	readErr := make(chan error, 1)
	go func() {
		defer close(recs)
		readErr <- f.records(m.o, func(_ int, rec archive.Record) error {
			select {
			case recs <- rec:
				return nil
			case <-done:
				return errStopRecords
			}
		})
	}()
	n := 0
	err := m.w.JobLog(ref, func(have archive.Record) error {
		i := n
		n++
		rec, ok := <-recs
		if !ok {
			return nil // the file holds fewer items
		}
		if path := importedItemDiff(f.kind, have, rec.Data); path != "" {
			return &conflictError{fmt.Sprintf("item %d of the log of %s differs from the archived item at member %s; the file is not the log the archive holds", i+1, ref.JobID, path)}
		}
		return nil
	})
	close(done)
	for range recs {
	}
	if rerr := <-readErr; err == nil {
		err = rerr
	}
	return n, err
}

// stepImportBytes is the size of the files from which an import writes
// to a copy of the archive file in steps (archive.Store.UpdateInSteps)
// rather than in one transaction, whose memory grows with what it writes:
// several times the size of the files. Smaller imports spare the copy.
var stepImportBytes int64 = 16 << 20

// importStepBytes is how much such an import writes in each step: 0 is
// archive.StepBytes.
var importStepBytes = 0

// importBytes is the total size of files.
func importBytes(files []*importFile) int64 {
	var n int64
	for _, f := range files {
		n += f.size
	}
	return n
}

// importBatch is how many log items an import hands to the archive at a
// time: the items of a file are never all in memory.
const importBatch = 1000

// mergeObservations keeps each observation that is a new state of its
// object at the time it was captured. An observation is the same state as
// the archived observation current at its capture time (the last one
// captured at or before it), whose lastSeen widens to cover it; or, failing
// that, as the next one captured after it, whose firstSeen widens. The
// comparison is sync's state rule of the kind, on the members the imported
// observation has (sameImportedState): what the AWS CLI drops counts
// neither way. Any other observation is a new record, current if it is the
// latest, history otherwise.
func (m *merger) mergeObservations(f *importFile) error {
	if m.scanned == nil {
		m.scanned, m.obs = map[archive.Kind]bool{}, map[string][]archive.Record{}
	}
	if !m.scanned[f.kind] {
		m.scanned[f.kind] = true
		err := m.w.Each(f.kind, func(rec archive.Record) error {
			id := identityKey(rec)
			m.obs[id] = append(m.obs[id], rec)
			return nil
		})
		if err != nil {
			return err
		}
		for id := range m.obs {
			slices.SortStableFunc(m.obs[id], func(a, b archive.Record) int { return capturedAt(a).Compare(capturedAt(b)) })
		}
	}
	return f.records(m.o, func(_ int, rec archive.Record) error {
		fp, err := stateFingerprint(f.kind, rec.Data)
		if err != nil {
			return fmt.Errorf("%s: %s %s: %w", f.name, rec.Kind, rec.ID, err)
		}
		id := identityKey(rec)
		list := m.obs[id]
		at := capturedAt(rec)
		i, _ := slices.BinarySearchFunc(list, at, func(o archive.Record, t time.Time) int {
			if capturedAt(o).After(t) {
				return 1
			}
			return -1
		}) // list[:i] captured at or before rec, list[i:] after
		if i > 0 && sameImportedState(f.kind, list[i-1], rec.Data) {
			if _, err := m.w.Widen(f.kind, list[i-1].Key, time.Time{}, rec.LastSeen); err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
			list[i-1].LastSeen = maxTime(list[i-1].LastSeen, rec.LastSeen)
			m.res.Unchanged++
			return nil
		}
		if i < len(list) && sameImportedState(f.kind, list[i], rec.Data) {
			if _, err := m.w.Widen(f.kind, list[i].Key, rec.FirstSeen, time.Time{}); err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
			if rec.FirstSeen.Before(list[i].FirstSeen) {
				list[i].FirstSeen = rec.FirstSeen
			}
			m.res.Unchanged++
			return nil
		}
		ch, k, err := m.w.PutObservationSame(rec, fp, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		rec.Key = k
		m.obs[id] = slices.Insert(list, i, rec)
		m.count(ch)
		return m.w.Checkpoint()
	})
}

// identityKey names the object a record observes.
func identityKey(rec archive.Record) string {
	return string(rec.Kind) + "\x00" + rec.ID + "\x00" + rec.Region + "\x00" + rec.Account
}

// capturedAt is when an observation was taken: its capture time, or its
// first seen time for a record without one.
func capturedAt(rec archive.Record) time.Time {
	if rec.CapturedAt != nil {
		return *rec.CapturedAt
	}
	return rec.FirstSeen
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// observationFingerprint returns the fingerprint sync uses for kind.
func observationFingerprint(kind archive.Kind) func(json.RawMessage) ([]byte, error) {
	return func(raw json.RawMessage) ([]byte, error) { return stateFingerprint(kind, raw) }
}
