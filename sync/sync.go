package sync

import (
	"context"
	"errors"
	"fmt"
	gosync "sync"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/index"
)

// ErrUnsupportedSource is returned for a source this build cannot read yet.
var ErrUnsupportedSource = errors.New("source not supported by this build")

// Run performs one sync: for each source it pages through the APIs and
// commits every page to the archive in o.ArchiveDir. stats is updated as it
// goes and may be read concurrently (for a progress display).
//
// Run returns the first error that stopped it. Pages committed before the
// error stay committed; the next run picks up the rest.
func Run(ctx context.Context, o Options, stats *Stats) error {
	o = o.withDefaults()
	if o.ArchiveDir == "" {
		return fmt.Errorf("no archive directory")
	}
	for _, s := range o.Sources {
		if s != SourceDRS {
			return fmt.Errorf("sync %s: %w (this build archives drs)", s, ErrUnsupportedSource)
		}
	}
	stats.Started = o.Now()
	lock, err := lockSync(o.ArchiveDir, stats.Started)
	if err != nil {
		return err
	}
	defer lock.unlock()

	cfg, err := LoadAWSConfig(ctx, o)
	if err != nil {
		return err
	}
	complete, err := readCompleteLogs(ctx, o.ArchiveDir, o)
	if err != nil {
		return err
	}
	// An index left behind by a crash between an archive commit and its
	// index batch catches up first. A failure here is reported by the update
	// at the end, after the archive has had its sync.
	if !o.NoIndex {
		_ = updateIndex(ctx, o, &Stats{})
	}

	fetchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	com := newCommitter(o.ArchiveDir, o, stats, cancel)
	go com.run(ctx)

	run := &drsRun{
		f:        &drsFetcher{client: NewDRSClient(cfg, o.EndpointURL, true), pageSize: o.PageSize, stats: stats},
		com:      com,
		region:   cfg.Region,
		seen:     o.Now().UTC(),
		complete: complete,
		stats:    stats,
	}
	fetchErr := runDRS(fetchCtx, run, o.Concurrency, cancel)
	// After a failure, pages fetched but not yet committed are dropped, so
	// the archive holds only what was committed before it.
	commitErr := com.finish(fetchErr != nil || ctx.Err() != nil)
	switch {
	case commitErr != nil:
		return commitErr
	case ctx.Err() != nil:
		return ctx.Err()
	}
	// Whatever was committed, even before a failure, goes into the index.
	if !o.NoIndex {
		if err := updateIndex(ctx, o, stats); err != nil {
			if fetchErr != nil {
				return fetchErr
			}
			return err
		}
	}
	return fetchErr
}

// updateIndex brings the full-text index up to what is committed. It reads
// the archive through a read-only snapshot, so readers are never locked out.
func updateIndex(ctx context.Context, o Options, stats *Stats) error {
	st, err := archive.Open(ctx, o.ArchiveDir, archive.Options{ReadOnly: true, LockTimeout: o.LockTimeout, Waiting: o.Waiting})
	if errors.Is(err, archive.ErrNoArchive) {
		return nil // nothing was ever committed
	}
	if err != nil {
		return fmt.Errorf("update index: %w", err)
	}
	defer st.Close()
	var n int
	err = st.View(func(r *archive.Reader) error {
		n, err = index.Sync(ctx, o.ArchiveDir, r, o.LockTimeout)
		return err
	})
	stats.Indexed.Add(int64(n))
	if err != nil {
		return fmt.Errorf("update index: %w", err)
	}
	return nil
}

// runDRS lists jobs (handing unfinished logs to workers) and source servers
// concurrently, and returns the first error.
func runDRS(ctx context.Context, r *drsRun, workers int, cancel context.CancelFunc) error {
	var (
		wg    gosync.WaitGroup
		mu    gosync.Mutex
		first error
	)
	fail := func(err error) {
		if err == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		// An error caused by cancelling after the first failure says nothing new.
		if first == nil || (errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled)) {
			first = err
		}
		cancel()
	}
	tasks := make(chan logTask, workers*4)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range tasks {
				if ctx.Err() != nil {
					continue
				}
				fail(r.readLog(ctx, t))
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		fail(r.listServers(ctx))
	}()
	fail(r.listJobs(ctx, tasks))
	close(tasks)
	wg.Wait()
	return first
}

// Reindex rebuilds the full-text index of the archive in o.ArchiveDir from
// scratch, beside the one in use, and switches to it. It holds the sync lock
// meanwhile, so no sync writes the index under it; readers keep using the
// old index until the switch. It returns the number of records indexed.
func Reindex(ctx context.Context, o Options) (int, error) {
	o = o.withDefaults()
	lock, err := lockSync(o.ArchiveDir, o.Now())
	if err != nil {
		return 0, err
	}
	defer lock.unlock()
	st, err := archive.Open(ctx, o.ArchiveDir, archive.Options{ReadOnly: true, LockTimeout: o.LockTimeout, Waiting: o.Waiting})
	if err != nil {
		return 0, fmt.Errorf("reindex: %w", err)
	}
	defer st.Close()
	var n int
	err = st.View(func(r *archive.Reader) error {
		n, err = index.Rebuild(ctx, o.ArchiveDir, r)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("reindex: %w", err)
	}
	return n, nil
}
