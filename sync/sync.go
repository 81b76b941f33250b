package sync

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/synclock"
	"github.com/archiver-dev/archiver/index"
)

// Run performs one sync: for each target (account and region, read side by
// side) and each source it pages through the APIs and commits every page
// to the archive in o.ArchiveDir. stats is updated as it goes and may be
// read concurrently (for a progress display).
//
// A target that fails stops only itself: the others are read to their end,
// and Run then returns a *TargetsError naming each target that failed (the
// target's own error when it is the only one). An error of the whole run
// (an interrupt, a failed commit) stops every target and is returned
// instead. Pages committed before an error stay committed; the next run
// picks up the rest. Whatever the
// outcome, the run is recorded at its end for each source, region and
// account (see report), and in o.MetricsFile if set.
func Run(ctx context.Context, o Options, stats *Stats) (err error) {
	o = o.withDefaults()
	if o.ArchiveDir == "" {
		return fmt.Errorf("no archive directory")
	}
	stats.Started, stats.Sources = o.Now(), o.Sources
	lock, err := synclock.Take(o.ArchiveDir, stats.Started)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	rep := newReport(o, stats)
	defer func() { err = rep.finish(ctx, err) }()

	targets, err := resolveTargets(ctx, o)
	if err != nil {
		return err
	}
	rep.targets(targets)
	for _, t := range targets {
		stats.Targets = append(stats.Targets, t.String())
		stats.targetRefs = append(stats.targetRefs, [2]string{t.region, t.account})
	}
	if slices.Contains(o.Sources, SourceDRS) {
		stats.JobListings.Store(int64(len(targets)))
	}
	complete, err := readCompleteLogs(ctx, o.ArchiveDir, o)
	if err != nil {
		return err
	}
	newest, err := readNewestSnapshots(ctx, o.ArchiveDir, o)
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
	// The index follows the commits while the fetch goes on, in bounded
	// steps between them.
	var ix *indexer
	if !o.NoIndex && !o.IndexAtEnd {
		com.archiveMu = &gosync.Mutex{}
		ix = startIndexer(ctx, o, stats, com.archiveMu)
		com.committed = ix.committed
	}
	go com.run(ctx)
	seen := o.Now().UTC()
	fetchErr := runTargets(fetchCtx, o, targets, com, complete, newest, seen, stats, rep)
	// After an interrupt or a failed commit, pages fetched but not yet
	// committed are dropped, so the archive holds only what was committed
	// before it. A target that failed takes nothing from the others: what
	// they fetched, and what it fetched before it failed, is committed.
	commitErr := com.finish(ctx.Err() != nil || fetchCtx.Err() != nil)
	if ix != nil {
		ix.finish()
	}
	switch {
	case commitErr != nil:
		return commitErr
	case ctx.Err() != nil:
		return ctx.Err()
	}
	// The log as committed, even before a failure, is checkpointed and
	// published to the witness.
	if err := checkpointRun(ctx, o); err != nil {
		if fetchErr != nil {
			return fetchErr
		}
		return err
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
	if err := compressRecords(ctx, o); err != nil && fetchErr == nil {
		return err
	}
	return fetchErr
}

// fetchTarget reads every source in one region and account, the sources
// side by side and each on its own: a source that fails stops neither the
// others nor their commits, and its own pages not yet committed are
// dropped. It returns the failed sources' errors together (sourceErrors).
// DRS answering that it is not initialised there is no error: it is noted
// in uninit.
func fetchTarget(ctx context.Context, o Options, t target, com *committer, complete map[archive.JobRef]bool,
	newest map[snapshotKey]time.Time, seen time.Time, stats *Stats, uninit *uninitFlag) error {
	var (
		wg   gosync.WaitGroup
		mu   gosync.Mutex
		errs []error
	)
	target, _ := ctx.Value(targetKey{}).(int)
	start := func(src Source, fn func(ctx context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := fn(context.WithValue(ctx, sourceKey{}, src))
			if err == nil {
				return
			}
			com.dropSource(target, src)
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}()
	}
	for _, src := range o.Sources {
		switch src {
		case SourceDRS:
			run := &drsRun{
				f:        &drsFetcher{client: NewDRSClient(t.cfg, o.EndpointURL, true), pageSize: o.PageSize, stats: stats},
				com:      com,
				region:   t.region,
				account:  t.account,
				seen:     seen,
				complete: complete,
				stats:    stats,

				newestSnapshot: newest,
			}
			start(src, bySource(src, drsOrUninitialised(uninit, func(ctx context.Context) error { return runDRS(ctx, run, o.Concurrency) })))
		case SourceSnowball:
			run := &snowballRun{
				client: NewSnowballClient(t.cfg, o.EndpointURL, true), com: com, region: t.region, account: t.account,
				seen: seen, pageSize: o.PageSize, clusters: o.SnowballClusters, stats: stats,
			}
			start(src, bySource(src, run.run))
		case SourceSMS:
			run := &smsRun{
				client: NewSMSClient(t.cfg, o.EndpointURL), com: com, region: t.region, account: t.account,
				seen: seen, pageSize: o.PageSize, stats: stats,
			}
			start(src, bySource(src, run.run))
		}
	}
	wg.Wait()
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return sourceErrors(errs)
}

// sourceErrors are the errors of several sources of one target.
type sourceErrors []error

// Error says each source's error, on one line.
func (e sourceErrors) Error() string {
	parts := make([]string, len(e))
	for i, err := range e {
		parts[i] = err.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap returns each source's error.
func (e sourceErrors) Unwrap() []error { return e }

// group runs functions side by side. The first error cancels the others'
// context and is the one wait returns.
type group struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     gosync.WaitGroup
	mu     gosync.Mutex
	first  error
}

func newGroup(ctx context.Context) *group {
	g := &group{}
	g.ctx, g.cancel = context.WithCancel(ctx)
	return g
}

// fail records err, if it says more than the errors before it, and cancels
// the group.
func (g *group) fail(err error) {
	if err == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	// An error caused by cancelling after the first failure says nothing new.
	if g.first == nil || (errors.Is(g.first, context.Canceled) && !errors.Is(err, context.Canceled)) {
		g.first = err
	}
	g.cancel()
}

// run calls fn in a new goroutine with the group's context.
func (g *group) run(fn func(ctx context.Context) error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		g.fail(fn(g.ctx))
	}()
}

// wait waits for every function and returns the first error.
func (g *group) wait() error {
	g.wg.Wait()
	g.cancel()
	return g.first
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
	notice := o.notice()
	// The sync lock is held: no other writer is building an index now, so
	// an index directory index.current does not name was left by a killed
	// run.
	if removed, err := index.RemoveLeftovers(o.ArchiveDir); err != nil {
		notice(err.Error())
	} else if len(removed) > 0 {
		notice(fmt.Sprintf("removed %d full-text index directories a stopped run left behind", len(removed)))
	}
	var n int
	err = st.View(func(r *archive.Reader) error {
		n, err = index.SyncWith(ctx, o.ArchiveDir, r, index.SyncOptions{LockTimeout: o.LockTimeout, Rebuilt: notice})
		return err
	})
	stats.Indexed.Add(int64(n))
	if err != nil {
		return fmt.Errorf("update index: %w", err)
	}
	return nil
}

// runDRS lists jobs (handing unfinished logs to workers), source servers
// (handing each to workers that read its recovery snapshots and settings),
// staging accounts, source networks and recovery instances side by side,
// and returns the first error.
func runDRS(ctx context.Context, r *drsRun, workers int) error {
	g := newGroup(ctx)
	tasks := make(chan logTask, workers*4)
	for i := 0; i < workers; i++ {
		g.run(func(ctx context.Context) error {
			var err error
			for t := range tasks {
				if err == nil && ctx.Err() == nil {
					err = r.readLog(ctx, t)
				}
			}
			return err
		})
	}
	servers := make(chan string, workers*4)
	settings := &settingsSeen{}
	for i := 0; i < workers; i++ {
		g.run(func(ctx context.Context) error {
			var err error
			for id := range servers {
				if err == nil && ctx.Err() == nil {
					err = r.readSnapshots(ctx, id)
				}
				if err == nil && ctx.Err() == nil {
					err = r.readSettings(ctx, id, settings)
				}
			}
			return err
		})
	}
	// Recovery instances are listed once the source servers are: a DRS that
	// cannot be read at all fails on the listings every sync has always made.
	g.run(func(ctx context.Context) error {
		err := r.listServers(ctx, servers)
		close(servers)
		if err != nil {
			return err
		}
		return r.listRecoveryInstances(ctx)
	})
	g.run(r.listStagingAccounts)
	g.run(r.listSourceNetworks)
	g.run(func(ctx context.Context) error {
		defer close(tasks)
		err := r.listJobs(ctx, tasks)
		if err == nil {
			r.stats.JobListingsDone.Add(1)
		} else {
			// This listing never completes: the job logs pending are
			// those of the other targets' listings.
			r.stats.JobListings.Add(-1)
		}
		return err
	})
	if err := g.wait(); err != nil {
		return err
	}
	// Every listed server's settings were read: the settings of servers
	// not among them were deleted upstream.
	return r.sweepSettings(ctx, settings)
}

// Reindex rebuilds the full-text index of the archive in o.ArchiveDir from
// scratch, beside the one in use, and switches to it. It holds the sync lock
// meanwhile, so no sync writes the index under it; readers keep using the
// old index until the switch. It returns the number of records indexed.
func Reindex(ctx context.Context, o Options) (int, error) {
	o = o.withDefaults()
	lock, err := synclock.Wait(ctx, o.ArchiveDir, o.Now, o.LockTimeout, o.Waiting)
	if err != nil {
		return 0, err
	}
	defer lock.Unlock()
	st, err := archive.Open(ctx, o.ArchiveDir, archive.Options{ReadOnly: true, LockTimeout: o.LockTimeout, Waiting: o.Waiting})
	if err != nil {
		return 0, fmt.Errorf("reindex: %w", err)
	}
	defer st.Close()
	notice := o.notice()
	if removed, err := index.RemoveLeftovers(o.ArchiveDir); err != nil {
		notice(err.Error())
	} else if len(removed) > 0 {
		notice(fmt.Sprintf("removed %d full-text index directories a stopped run left behind", len(removed)))
	}
	switch err := index.Check(o.ArchiveDir, o.LockTimeout); {
	case err == nil, errors.Is(err, archive.ErrLocked):
	case errors.Is(err, index.ErrOldIndex):
		notice("the full-text index was made by another archiver version; rebuilding it from the archive")
	default:
		notice(fmt.Sprintf("the full-text index is damaged (%s); rebuilding it from the archive", oneLineErr(err)))
	}
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

// checkpointRun checkpoints the archive a run wrote to (see
// archive.PublishCheckpoint); a run that never created the archive has
// nothing to checkpoint.
func checkpointRun(ctx context.Context, o Options) error {
	if _, err := os.Stat(filepath.Join(o.ArchiveDir, archive.FileName)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	_, err := archive.PublishCheckpoint(ctx, o.ArchiveDir, archive.Options{LockTimeout: o.LockTimeout, Waiting: o.Waiting}, o.Checkpoint)
	return err
}
