package query

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/archiver-dev/archiver/archive"
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
	// OpenSearch opens the full-text side of a query whose filters take
	// it (Filters.NeedsIndex), for the archive in dir, telling through
	// say why it searches the archive record by record, if it does
	// (package query/search's Open does). Answer calls close once the
	// query has read what it needs. Without it such filters give
	// ErrNoSearch.
	OpenSearch func(f Filters, dir string, say func(string)) (s Searcher, close func() error, err error)
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
	var search Searcher
	closeSearch := func() error { return nil }
	if o.Request.NeedsIndex() && o.OpenSearch != nil {
		search, closeSearch, err = o.OpenSearch(o.Request.Filters, o.ArchiveDir, say)
		if err != nil {
			st.Close()
			return fmt.Errorf("query: %w", err)
		}
	}
	wo := o.Writer
	wo.Notes = stderr
	w := NewWriter(stdout, o.Format, wo)
	var p *Prepared
	err = st.View(func(r *archive.Reader) error {
		var err error
		p, err = Prepare(ctx, Source{Archive: r, Search: search}, o.Request, w.Write)
		return err
	})
	// What is left to compute reads neither the archive nor the index:
	// both are let go first, so that a running sync is not held up.
	if cerr := st.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if cerr := closeSearch(); cerr != nil && err == nil {
		err = cerr
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
