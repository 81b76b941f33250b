package sync

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	gosync "sync"
	"time"

	"github.com/archiver-dev/archiver/archive"
)

// delta is what one committed transaction changed; it reaches Stats only
// after the commit succeeds.
type delta struct {
	// updated counts the records replaced, by kind; logRemoved the log
	// items trimmed.
	updated    map[archive.Kind]int64
	logRemoved int64
	// added counts the new records by kind, region and account; updatedAt
	// the records replaced and marked the objects marked deleted upstream,
	// the same way.
	added, updatedAt, marked map[addedKey]int64
}

// bump adds n to m[k], making m as needed.
func bump(m *map[addedKey]int64, k addedKey, n int64) {
	if *m == nil {
		*m = map[addedKey]int64{}
	}
	(*m)[k] += n
}

// count counts rec as ch says: added, updated or unchanged.
func (d *delta) count(rec archive.Record, ch archive.Change) {
	switch ch {
	case archive.Added:
		d.addRecord(rec.Kind, rec.Region, rec.Account)
	case archive.Updated:
		if d.updated == nil {
			d.updated = map[archive.Kind]int64{}
		}
		d.updated[rec.Kind]++
		bump(&d.updatedAt, addedKey{rec.Kind, rec.Region, rec.Account}, 1)
	}
}

// addRecord counts one new record.
func (d *delta) addRecord(kind archive.Kind, region, account string) {
	if d.added == nil {
		d.added = map[addedKey]int64{}
	}
	d.added[addedKey{kind, region, account}]++
}

// commit is one page's worth of writes. A page is always committed whole,
// in one transaction, possibly with other pages. A page of a job's log is
// carried as data (log), so that a batch writes all its log items in one
// sorted pass; other pages carry their writes as a function (apply).
type commit struct {
	what  string
	items int
	apply func(w *archive.Writer, d *delta) error
	log   *logPage
	// target is the number of the target that fetched the page (from 1;
	// 0 for none) and source the source whose fetch it is, taken from the
	// context it was sent with.
	target int
	source Source
}

// sourceKey is the context key of the source a fetch reads.
type sourceKey struct{}

// targetKey is the context key of the number of the target a fetch reads.
type targetKey struct{}

// withTarget returns ctx marked as the context of target number n (from 1):
// pages sent with it belong to that target.
func withTarget(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, targetKey{}, n)
}

// logPage is one page of a job's log: items from position start on. On the
// last page the log is trimmed to what AWS lists, and a job COMPLETED before
// its log was read is marked complete.
type logPage struct {
	ref       archive.JobRef
	start     int
	recs      []archive.Record
	last      bool
	completed bool
}

// applyBatch writes batch in one transaction: pages with writes of their own
// in order, then every log item at once, then each finished log's trim and
// state.
func applyBatch(w *archive.Writer, batch []commit, d *delta) error {
	n := 0
	for _, cm := range batch {
		if cm.log != nil {
			n += len(cm.log.recs)
		}
	}
	items := make([]archive.LogItem, 0, n)
	for _, cm := range batch {
		if cm.apply != nil {
			if err := cm.apply(w, d); err != nil {
				return err
			}
		}
		if p := cm.log; p != nil {
			for i, rec := range p.recs {
				items = append(items, archive.LogItem{Job: p.ref, Pos: p.start + i, Record: rec})
			}
		}
	}
	changes, err := w.PutLogItems(items)
	if err != nil {
		return err
	}
	for i, ch := range changes {
		rec := items[i].Record
		rec.Region, rec.Account = items[i].Job.Region, items[i].Job.Account
		d.count(rec, ch)
	}
	for _, cm := range batch {
		p := cm.log
		if p == nil || !p.last {
			continue
		}
		total := p.start + len(p.recs)
		removed, err := w.TrimLog(p.ref, total)
		if err != nil {
			return err
		}
		d.logRemoved += int64(removed)
		if err := w.SetJobState(p.ref, archive.JobState{LogComplete: p.completed, LogItems: total}); err != nil {
			return err
		}
	}
	return nil
}

// Pages are committed in batches. Pages wait in memory (up to maxPending
// items, after which the fetchers wait) while the archive is closed; a
// batch is due CommitInterval after its first page arrived, and then the
// committer opens the archive, commits every waiting page in one
// transaction and closes it again. So the archive is held only for a
// commit, never across a network wait; readers get in between commits; and
// a large sync pays for one disk sync per batch rather than per page. A
// crash loses at most the pages not yet committed, which the next sync
// fetches again.
const (
	defaultCommitInterval = 50 * time.Millisecond
	maxPending            = 100000
)

// readerGap is the least time the archive stays closed between commits:
// several times a waiting reader's lock poll (archive.LockPoll), so readers
// are never starved by a sync that commits back to back.
const readerGap = 4 * archive.LockPoll

// committer is the only writer of the archive during a sync.
type committer struct {
	dir    string
	opts   Options
	stats  *Stats
	cancel context.CancelFunc
	err    error
	done   chan struct{}

	mu      gosync.Mutex
	cond    *gosync.Cond // signalled when pages are taken or input ends
	pending []commit
	items   int
	firstAt time.Time // when the first pending page arrived
	ended   bool      // no more pages will come
	discard bool      // pages still pending at the end are dropped
	wake    chan struct{}
	// committed, if set, is called after each commit that succeeds.
	committed func()
	// archiveMu, if set, is held while the archive is open, by the
	// committer and by the indexer that reads it between commits: the
	// committer never waits for the file lock of its own process (nor says
	// that it waits).
	archiveMu *gosync.Mutex
}

func newCommitter(dir string, o Options, stats *Stats, cancel context.CancelFunc) *committer {
	c := &committer{dir: dir, opts: o, stats: stats, cancel: cancel, done: make(chan struct{}), wake: make(chan struct{})}
	c.cond = gosync.NewCond(&c.mu)
	return c
}

// signal wakes the committer if it waits. c.mu must be held.
func (c *committer) signal() {
	close(c.wake)
	c.wake = make(chan struct{})
}

// send queues a page for commit. It blocks while maxPending items are
// waiting, which slows the fetchers to the pace of the disk.
func (c *committer) send(ctx context.Context, cm commit) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.items >= maxPending && ctx.Err() == nil {
		c.cond.Wait()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cm.target, _ = ctx.Value(targetKey{}).(int)
	cm.source, _ = ctx.Value(sourceKey{}).(Source)
	c.pending = append(c.pending, cm)
	c.items += cm.items
	if len(c.pending) == 1 {
		c.firstAt = time.Now()
		c.signal()
	}
	return nil
}

// drop removes the pages of target number n that wait for their commit: a
// target that failed commits nothing after its failure, as a sync of one
// target never did. The other targets' pages stay.
func (c *committer) drop(n int) { c.dropSource(n, "") }

// dropSource drops the pages of target n fetched for source src (every
// source when src is "") that are still waiting for their commit.
func (c *committer) dropSource(n int, src Source) {
	c.mu.Lock()
	defer c.mu.Unlock()
	kept := c.pending[:0]
	items := 0
	for _, cm := range c.pending {
		if cm.target != n || (src != "" && cm.source != src) {
			kept = append(kept, cm)
			items += cm.items
		}
	}
	clear(c.pending[len(kept):])
	c.pending, c.items = kept, items
	c.cond.Broadcast()
}

// take waits until pages are waiting and their batch is due (and not
// before notBefore), and returns them. last reports that the input ended.
func (c *committer) take(notBefore time.Time) (batch []commit, last bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for !c.ended {
		due := c.firstAt.Add(c.opts.CommitInterval)
		if notBefore.After(due) {
			due = notBefore
		}
		wait := time.Until(due)
		if len(c.pending) > 0 && wait <= 0 {
			break
		}
		wake, waiting := c.wake, len(c.pending) > 0
		c.mu.Unlock()
		if waiting {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-wake:
			}
			t.Stop()
		} else {
			<-wake
		}
		c.mu.Lock()
	}
	batch, last = c.pending, c.ended
	if c.discard {
		batch = nil
	}
	c.pending, c.items = nil, 0
	c.cond.Broadcast()
	return batch, last
}

// run commits batches until the input ends. After a commit fails, pages
// are dropped.
func (c *committer) run(ctx context.Context) {
	defer close(c.done)
	var notBefore time.Time
	for {
		batch, last := c.take(notBefore)
		if len(batch) > 0 && c.err == nil {
			c.commitBatch(ctx, batch)
			notBefore = time.Now().Add(readerGap)
			if c.committed != nil && c.err == nil {
				c.committed()
			}
		}
		if last {
			return
		}
	}
}

// finish ends the input, waits for the last commit and returns the first
// commit error. With discard, pages not yet committed are dropped: a sync
// that failed commits nothing after the failure.
func (c *committer) finish(discard bool) error {
	c.mu.Lock()
	c.ended, c.discard = true, discard
	c.signal()
	c.cond.Broadcast()
	c.mu.Unlock()
	<-c.done
	return c.err
}

// commitFault, when set (by tests), is called in every transaction after
// its writes, and an error it returns fails the transaction as a failed
// write would: bbolt rolls it back.
var commitFault func(batch []commit) error

// commitBatch opens the archive, commits batch in one transaction and closes
// the archive. If the transaction fails, it commits the pages one by one, so
// the page at fault is named and the others are kept; unless the disk is
// full, which is no page's fault.
func (c *committer) commitBatch(ctx context.Context, batch []commit) {
	if c.archiveMu != nil {
		c.archiveMu.Lock()
		defer c.archiveMu.Unlock()
	}
	// The open must not be cancelled with the fetchers: queued pages are
	// still committed after a fetch error or an interrupt.
	st, err := archive.Open(context.WithoutCancel(ctx), c.dir, archive.Options{LockTimeout: c.opts.LockTimeout, Waiting: c.opts.Waiting})
	if err != nil {
		if full := diskFull(err); full != nil {
			err = fmt.Errorf("commit %s: %w", batchName(batch), full)
		}
		c.fail(err)
		return
	}
	defer func() {
		if err := st.Close(); err != nil && c.err == nil {
			c.fail(err)
		}
	}()
	update := func(batch []commit, d *delta) error {
		return st.Update(func(w *archive.Writer) error {
			if err := applyBatch(w, batch, d); err != nil {
				return err
			}
			if commitFault != nil {
				return commitFault(batch)
			}
			return nil
		})
	}
	var d delta
	err = update(batch, &d)
	if err == nil {
		c.add(d, len(batch))
		return
	}
	if full := diskFull(err); full != nil {
		c.fail(fmt.Errorf("commit %s: %w", batchName(batch), full))
		return
	}
	for _, cm := range batch {
		var d delta
		if err := update([]commit{cm}, &d); err != nil {
			if full := diskFull(err); full != nil {
				err = full
			}
			c.fail(fmt.Errorf("commit %s: %w", cm.what, err))
			return
		}
		c.add(d, 1)
	}
}

// batchName names the pages of a batch in messages: "DescribeJobs page 1",
// or "DescribeJobs page 1 and 4 more pages".
func batchName(batch []commit) string {
	switch len(batch) {
	case 0:
		return "nothing"
	case 1:
		return batch[0].what
	case 2:
		return batch[0].what + " and 1 more page"
	}
	return fmt.Sprintf("%s and %d more pages", batch[0].what, len(batch)-1)
}

func (c *committer) fail(err error) {
	c.err = err
	c.cancel()
	c.mu.Lock()
	c.cond.Broadcast() // senders waiting for room see the cancellation
	c.mu.Unlock()
}

func (c *committer) add(d delta, pages int) {
	s := c.stats
	s.Commits.Add(1)
	s.PagesCommitted.Add(int64(pages))
	s.LogItemsRemoved.Add(d.logRemoved)
	for k, n := range d.updated {
		s.counter(s.updated[:], k).Add(n)
	}
	if len(d.added) > 0 && s.added == nil {
		s.added = map[addedKey]int64{}
	}
	for k, n := range d.added {
		s.added[k] += n
		s.counter(s.addedN[:], k.kind).Add(n)
	}
	s.byTargetMu.Lock()
	defer s.byTargetMu.Unlock()
	for k, n := range d.updatedAt {
		bump(&s.updatedAt, k, n)
	}
	for k, n := range d.marked {
		bump(&s.marked, k, n)
		s.DeletedUpstream.Add(n)
	}
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
