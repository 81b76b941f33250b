package sync

import (
	"context"
	"fmt"
	gosync "sync"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/index"
)

// indexStep is about how many documents the indexer writes in one step,
// with the archive and the index open: a few tenths of a second's work, so
// that neither a commit nor a query waiting for the index waits long.
const indexStep = 5000

// stepLockTimeout bounds a step's wait for the archive and the index.
const stepLockTimeout = time.Second

// indexer brings the full-text index up to what the committer has
// committed while the sync still fetches, in bounded steps (index.Step)
// between commits. Each step opens the archive read-only, indexes a step's
// worth of changes from that snapshot and closes both again; it never holds
// them while waiting for anything else. What it leaves, and anything it
// cannot do in a step (a new index of a large archive, a rebuild), the
// update after the last commit does.
type indexer struct {
	o     Options
	stats *Stats
	// archiveMu is held while the archive is open (committer.archiveMu).
	archiveMu *gosync.Mutex
	kick      chan struct{}
	stop      chan struct{}
	done      chan struct{}
}

// startIndexer starts an indexer; committed tells it of each commit and
// finish stops it.
func startIndexer(ctx context.Context, o Options, stats *Stats, archiveMu *gosync.Mutex) *indexer {
	ix := &indexer{o: o, stats: stats, archiveMu: archiveMu, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go ix.run(ctx)
	return ix
}

// committed tells the indexer that a commit is done. It never blocks.
func (ix *indexer) committed() {
	select {
	case ix.kick <- struct{}{}:
	default:
	}
}

// finish stops the indexer after the step it is taking, if any.
func (ix *indexer) finish() {
	close(ix.stop)
	<-ix.done
}

func (ix *indexer) run(ctx context.Context) {
	defer close(ix.done)
	for {
		select {
		case <-ix.kick:
		case <-ix.stop:
			return
		case <-ctx.Done():
			return
		}
		for {
			caughtUp, err := ix.step(ctx)
			if err != nil || caughtUp {
				// An error is the final update's to report (or mend).
				break
			}
			select {
			case <-ix.stop:
				return
			default:
			}
		}
	}
}

// step takes one step; caughtUp reports that the index reached the
// snapshot it read.
func (ix *indexer) step(ctx context.Context) (caughtUp bool, err error) {
	ix.archiveMu.Lock()
	defer ix.archiveMu.Unlock()
	// Another process may hold the archive: a step that cannot have it
	// soon is skipped, silently (the next commit starts another).
	st, err := archive.Open(ctx, ix.o.ArchiveDir, archive.Options{ReadOnly: true, LockTimeout: stepLockTimeout})
	if err != nil {
		return false, fmt.Errorf("index step: %w", err)
	}
	defer st.Close()
	var n int
	err = st.View(func(r *archive.Reader) error {
		var err error
		n, caughtUp, err = index.Step(ctx, ix.o.ArchiveDir, r, index.StepOptions{Max: indexStep, LockTimeout: stepLockTimeout})
		return err
	})
	ix.stats.Indexed.Add(int64(n))
	return caughtUp, err
}
