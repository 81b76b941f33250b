package sync

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/archiver-dev/archiver/archive"
)

// delta is what one committed transaction changed; it reaches Stats only
// after the commit succeeds.
type delta struct {
	jobsAdded, jobsUpdated           int64
	logAdded, logUpdated, logRemoved int64
	snapshots                        int64
}

// commit is one page's worth of writes, applied in one transaction.
type commit struct {
	what  string
	apply func(w *archive.Writer, d *delta) error
}

// Holding the file lock for longer than maxHold while pages keep arriving
// starves readers, whose lock attempts poll every 50ms; so after maxHold the
// committer lets go for readPause.
const (
	maxHold   = time.Second
	readPause = 120 * time.Millisecond
)

// committer is the only writer of the archive during a sync. It opens the
// file when pages are waiting, commits each in its own transaction, and
// closes the file as soon as the queue is empty.
type committer struct {
	dir    string
	opts   Options
	stats  *Stats
	in     chan commit
	cancel context.CancelFunc
	err    error
	done   chan struct{}
}

func newCommitter(dir string, o Options, stats *Stats, cancel context.CancelFunc) *committer {
	return &committer{dir: dir, opts: o, stats: stats, in: make(chan commit, 64), cancel: cancel, done: make(chan struct{})}
}

// send queues a page for commit. It blocks while the queue is full, which
// slows the fetchers to the pace of the disk.
func (c *committer) send(ctx context.Context, cm commit) error {
	select {
	case c.in <- cm:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run commits until in is closed. Pages queued before a failure are still
// committed; after a failure the rest are dropped.
func (c *committer) run(ctx context.Context) {
	defer close(c.done)
	var st *archive.Store
	var since time.Time
	release := func() {
		if st != nil {
			if err := st.Close(); err != nil && c.err == nil {
				c.err = err
			}
			st = nil
		}
	}
	defer release()
	for {
		var cm commit
		var ok bool
		if st != nil {
			select {
			case cm, ok = <-c.in:
			default:
				release() // nothing waiting: do not hold the lock across a network wait
				continue
			}
		} else {
			cm, ok = <-c.in
		}
		if !ok {
			return
		}
		if c.err != nil {
			continue
		}
		if st == nil {
			var err error
			// The open must not be cancelled with the fetchers: queued pages are
			// still committed after a fetch error or an interrupt.
			st, err = archive.Open(context.WithoutCancel(ctx), c.dir, archive.Options{LockTimeout: c.opts.LockTimeout, Waiting: c.opts.Waiting})
			if err != nil {
				c.fail(err)
				continue
			}
			since = time.Now()
		}
		var d delta
		if err := st.Update(func(w *archive.Writer) error { return cm.apply(w, &d) }); err != nil {
			c.fail(fmt.Errorf("commit %s: %w", cm.what, err))
			continue
		}
		c.add(d)
		if time.Since(since) > maxHold {
			release()
			time.Sleep(readPause)
		}
	}
}

func (c *committer) fail(err error) {
	c.err = err
	c.cancel()
}

func (c *committer) add(d delta) {
	s := c.stats
	s.Commits.Add(1)
	s.JobsAdded.Add(d.jobsAdded)
	s.JobsUpdated.Add(d.jobsUpdated)
	s.LogItemsAdded.Add(d.logAdded)
	s.LogItemsUpdated.Add(d.logUpdated)
	s.LogItemsRemoved.Add(d.logRemoved)
	s.Snapshots.Add(d.snapshots)
}

// finish closes the queue, waits for the last commit and returns the first
// commit error.
func (c *committer) finish() error {
	close(c.in)
	<-c.done
	return c.err
}

// readCompleteLogs returns the jobs whose logs need no more reading. A missing
// archive has none; it is created by the first commit.
func readCompleteLogs(ctx context.Context, dir string, o Options) (map[archive.JobRef]bool, error) {
	if _, err := os.Stat(filepath.Join(dir, archive.FileName)); errors.Is(err, fs.ErrNotExist) {
		return map[archive.JobRef]bool{}, nil
	}
	st, err := archive.Open(ctx, dir, archive.Options{LockTimeout: o.LockTimeout, Waiting: o.Waiting})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var out map[archive.JobRef]bool
	err = st.View(func(r *archive.Reader) error {
		var err error
		out, err = r.CompleteLogs()
		return err
	})
	return out, err
}
