package query

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/index"
)

// Options are one 'archiver query': where the archive is, the request, and
// how to print the answer.
type Options struct {
	// ArchiveDir is the archive's directory.
	ArchiveDir string
	// Request is the query.
	Request Request
	// Format and Writer say how records are printed; Writer.Notes is set
	// by Answer.
	Format Format
	Writer WriterOptions
	// LockTimeout bounds the wait for a running sync to release the
	// archive. A sync updating the index is not waited for: the query
	// answers from the archive.
	LockTimeout time.Duration
}

// IsUsage reports whether err, from Answer, is a fault of the command line
// (a bad --starting-token or --text) rather than of the archive.
func IsUsage(err error) bool {
	return errors.Is(err, ErrBadToken) || errors.Is(err, ErrForeignToken) || errors.Is(err, ErrBadText)
}

// Answer runs the query o describes against the archive and its index and
// prints the records to stdout, with the next token when more remain.
// Waits for locks and notes go to stderr. Errors IsUsage reports are
// returned as they are; the others name the query.
func Answer(ctx context.Context, o Options, stdout, stderr io.Writer) error {
	say := func(msg string) { fmt.Fprintf(stderr, "archiver: %s\n", msg) }
	st, err := archive.Open(ctx, o.ArchiveDir, archive.Options{ReadOnly: true, LockTimeout: o.LockTimeout, Waiting: say})
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	x, err := openIndexNoWait(o.Request.Filters, o.ArchiveDir, say)
	if err != nil {
		st.Close()
		return fmt.Errorf("query: %w", err)
	}
	wo := o.Writer
	wo.Notes = stderr
	w := NewWriter(stdout, o.Format, wo)
	var p *Prepared
	err = st.View(func(r *archive.Reader) error {
		var err error
		p, err = Prepare(ctx, Source{Archive: r, Index: x}, o.Request, w.Write)
		return err
	})
	// What is left to compute reads neither the archive nor the index:
	// both are let go first, so that a running sync is not held up.
	if cerr := st.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if x != nil {
		if cerr := x.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	var next string
	if err == nil {
		if n := p.Indexing(); n >= slowIndexing {
			say(fmt.Sprintf("the full-text index has not reached %d records this query may select (a sync has not indexed them yet): indexing them in memory for it takes longer", n))
		}
		next, err = p.Finish(ctx, w.Write)
	}
	if err != nil {
		if IsUsage(err) {
			return err
		}
		return fmt.Errorf("query: %w", err)
	}
	return w.Close(next)
}

// slowIndexing is the number of records a query indexes in memory past
// which it says on stderr why it takes longer.
const slowIndexing = 5000

// OpenIndexFor opens the full-text index of the archive in dir for reading
// when the filters need it (nil otherwise). With no index, or one of
// another layout, it returns nil, says so through warn, and the query
// searches the archive record by record; say tells of a wait for the lock.
func OpenIndexFor(f Filters, dir string, timeout time.Duration, say, warn func(string)) (*index.Index, error) {
	if !f.NeedsIndex() {
		return nil, nil
	}
	x, err := openIndex(dir, timeout, say)
	switch {
	case errors.Is(err, index.ErrNoIndex), errors.Is(err, index.ErrOldIndex):
		warn("no usable full-text index: searching the archive record by record ('archiver reindex' builds the index)")
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("%w (run 'archiver reindex')", err)
	}
	return x, nil
}

// indexWait is how long a query waits for a sync that is updating the
// full-text index before it answers from the archive instead.
const indexWait = 300 * time.Millisecond

// openIndexNoWait opens the full-text index for reading, as OpenIndexFor
// does, but does not wait for a running sync that is updating it (a first
// sync builds the whole index at its end): after indexWait it says so
// through say and returns nil, and the query answers from the archive.
func openIndexNoWait(f Filters, dir string, say func(string)) (*index.Index, error) {
	if !f.NeedsIndex() {
		return nil, nil
	}
	x, err := index.Open(dir, index.Options{ReadOnly: true, LockTimeout: indexWait})
	switch {
	case errors.Is(err, archive.ErrLocked):
		say("a running sync is updating the full-text index: searching the archive record by record instead of waiting")
		return nil, nil
	case errors.Is(err, index.ErrNoIndex), errors.Is(err, index.ErrOldIndex):
		say("no usable full-text index: searching the archive record by record ('archiver reindex' builds the index)")
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("%w (run 'archiver reindex')", err)
	}
	return x, nil
}

// openIndex opens the full-text index for reading. A sync updating it holds
// it for a moment; the wait is said if it lasts.
func openIndex(dir string, timeout time.Duration, say func(string)) (*index.Index, error) {
	first := min(500*time.Millisecond, timeout)
	x, err := index.Open(dir, index.Options{ReadOnly: true, LockTimeout: first})
	if err == nil || !errors.Is(err, archive.ErrLocked) || first == timeout {
		return x, err
	}
	say("waiting for a running sync to finish updating the full-text index")
	return index.Open(dir, index.Options{ReadOnly: true, LockTimeout: timeout})
}

// SelectKeys returns the key selection of an export filtered by f: it runs
// the filters against the archive (and its index, when they need it) and
// returns the keys of the records they select. Waits for the index lock are
// told on stderr.
func SelectKeys(f Filters, dir string, lockTimeout time.Duration, stderr io.Writer) func(context.Context, *archive.Store) (map[archive.Key]bool, error) {
	return func(ctx context.Context, st *archive.Store) (map[archive.Key]bool, error) {
		say := func(msg string) { fmt.Fprintf(stderr, "archiver: %s\n", msg) }
		x, err := OpenIndexFor(f, dir, lockTimeout, say, func(string) {})
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		if x != nil {
			defer x.Close()
		}
		keys := map[archive.Key]bool{}
		err = st.View(func(r *archive.Reader) error {
			_, err := Run(ctx, Source{Archive: r, Index: x}, Request{Filters: f}, func(rec archive.Record, _ []string) error {
				keys[rec.Key] = true
				return nil
			})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		return keys, nil
	}
}
