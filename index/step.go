package index

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// StepOptions configure Step.
type StepOptions struct {
	// Max is about how many documents one step writes or deletes: the step
	// ends with the change-log entry that reaches it. Default 5,000.
	Max int
	// LockTimeout bounds the wait for the index's lock; default one minute.
	LockTimeout time.Duration
}

// stepMergeMax bounds the segments a step makes when it merges before it
// closes (see mergeIfMany), in documents, so that a step stays short: a
// merge of 1,000,000 documents takes a few seconds.
const stepMergeMax = 200_000

// ErrStepSkipped is returned by Step when the index needs more than a
// bounded step: it is damaged, in another layout, ahead of the archive, or
// new while the archive already holds more than a few steps' records. The
// next SyncWith rebuilds or fills it.
var ErrStepSkipped = errors.New("the full-text index needs a whole update")

// Step brings the index of the archive in dir a bounded step closer to the
// snapshot r: it indexes the changes after the index's position, up to
// about o.Max documents, and closes the index again, so that a query
// waiting for the index's lock waits for one step only. A sync calls it
// between its commits, while it fetches. It returns the number of
// documents written or deleted and whether the index reached r's position.
func Step(ctx context.Context, dir string, r *archive.Reader, o StepOptions) (n int, caughtUp bool, err error) {
	if o.Max <= 0 {
		o.Max = 5000
	}
	var x *Index
	err = guard(func() error {
		var err error
		x, err = Open(dir, Options{LockTimeout: o.LockTimeout})
		return err
	})
	if err != nil {
		if damaged(ctx, err) {
			return 0, false, fmt.Errorf("%w: %v", ErrStepSkipped, err)
		}
		return 0, false, err
	}
	// A step merges small segments only, so that it stays short; the
	// update after a sync's last commit merges the rest.
	x.mergeMax = stepMergeMax
	defer func() {
		if cerr := guard(x.Close); err == nil && cerr != nil {
			err = cerr
		}
	}()
	pos, err := x.Position()
	if err != nil || !x.current() {
		return 0, false, ErrStepSkipped
	}
	apos, err := r.Position()
	if err != nil {
		return 0, false, err
	}
	switch {
	case pos > apos:
		return 0, false, ErrStepSkipped
	case pos == apos:
		return 0, true, nil
	case pos == 0:
		// A new index is filled from every record at once: only while
		// they are few.
		total := 0
		for _, kind := range kinds.Names() {
			c, err := r.Count(kind)
			if err != nil {
				return 0, false, err
			}
			total += c
		}
		if total > 2*o.Max {
			return 0, false, ErrStepSkipped
		}
	}
	err = guard(func() error {
		var err error
		n, err = x.update(ctx, r, o.Max)
		return err
	})
	if err != nil {
		return n, false, err
	}
	now, err := x.Position()
	return n, err == nil && now == apos, err
}
