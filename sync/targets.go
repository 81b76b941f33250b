package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/archiver-dev/archiver/archive"
)

// runTargets reads the targets side by side, o.TargetConcurrency at a
// time, all feeding the one committer. Each target has clients of its own,
// and so retryers of their own: a throttled target backs off alone. A
// target that fails stops only itself; its error is noted in rep, its
// pages not yet committed are dropped (what it committed before stays), and
// the others go on. A target where DRS is not initialised is noted as such and
// is no failure. Once ctx is cancelled (an interrupt, a failed commit), no
// further target starts.
//
// runTargets returns nil when every target read went well; the error of the
// one target when there was one; else a *TargetsError naming every target
// that failed.
func runTargets(ctx context.Context, o Options, targets []target, com *committer, complete map[archive.JobRef]bool,
	newest map[snapshotKey]time.Time, seen time.Time, stats *Stats, rep *report) error {
	work := make(chan int)
	var wg gosync.WaitGroup
	for range min(o.TargetConcurrency, len(targets)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				t := targets[i]
				start := time.Now()
				uninit, err := readTarget(withTarget(ctx, i+1), o, t, com, complete, newest, seen, stats)
				if err != nil && !onlySourceErrors(err) {
					// A failure of the whole target (its role, its
					// account): whatever it fetched waits no longer. A
					// source's failure dropped its own pages already.
					com.drop(i + 1)
				}
				took := time.Since(start)
				stats.TargetTime.Add(int64(took))
				stats.TargetsDone.Add(1)
				switch {
				case err != nil && ctx.Err() == nil:
					stats.TargetsFailed.Add(1)
				case uninit:
					stats.TargetsUninitialised.Add(1)
					stats.noteNotInitialised(t.region, t.account)
				}
				rep.end(t, uninit, err)
			}
		}()
	}
	for i := range targets {
		if ctx.Err() != nil {
			break
		}
		select {
		case work <- i:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()

	var failed []TargetError
	for _, d := range rep.done {
		if d.err != nil {
			failed = append(failed, TargetError{Target: d.t.String(), Region: d.t.region, Account: d.t.account, Err: d.err})
		}
	}
	switch {
	case len(failed) == 0:
		return nil
	case len(targets) == 1:
		return failed[0].Err
	}
	return &TargetsError{Total: len(targets), Failed: failed}
}

// readTarget reads every source in one target, the sources side by side
// (see fetchTarget), after assuming the target's role when it has one.
// uninit reports that DRS is not initialised there: DRS is then left out,
// with no error, and the other sources are read as usual.
func readTarget(ctx context.Context, o Options, t target, com *committer, complete map[archive.JobRef]bool,
	newest map[snapshotKey]time.Time, seen time.Time, stats *Stats) (uninit bool, err error) {
	err = t.failed
	if err == nil {
		err = assumeRole(ctx, t)
	}
	if err != nil {
		if slices.Contains(o.Sources, SourceDRS) {
			stats.JobListings.Add(-1) // its job listing never starts
		}
		return false, err
	}
	var flag uninitFlag
	err = fetchTarget(ctx, o, t, com, complete, newest, seen, stats, &flag)
	return flag.set, err
}

// uninitFlag is set by the DRS reader of a target when DRS answers that it
// is not initialised there.
type uninitFlag struct {
	mu  gosync.Mutex
	set bool
}

// drsOrUninitialised runs fn, the DRS read of a target, and turns DRS's
// answer that it is not initialised there into no error, noted in flag.
func drsOrUninitialised(flag *uninitFlag, fn func(ctx context.Context) error) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		err := fn(ctx)
		var ue *UninitializedError
		if err != nil && errors.As(err, &ue) {
			flag.mu.Lock()
			flag.set = true
			flag.mu.Unlock()
			return nil
		}
		return err
	}
}

// NotInitialised is the note a run record carries for DRS in a region of an
// account where DRS is not initialised. Such a run is no failure.
const NotInitialised = "DRS not initialised"

// TargetError is the failure of one target of a run.
type TargetError struct {
	// Target names the target ("us-east-1, account 123456789012").
	Target string
	// Region and Account are the target's.
	Region, Account string
	// Err is what stopped it.
	Err error
}

// Error names the target and its error.
func (e TargetError) Error() string { return e.Target + ": " + e.Err.Error() }

// TargetsError is returned by Run when targets of a run of several failed.
// The others were read to their end and committed.
type TargetsError struct {
	// Total is the number of targets of the run.
	Total int
	// Failed are the targets that failed, in the order they ended.
	Failed []TargetError
}

// Error says how many targets failed, and each one's error, on one line.
func (e *TargetsError) Error() string {
	parts := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		parts[i] = f.Target + ": " + oneLineErr(f.Err)
	}
	noun := "targets"
	if e.Total == 1 {
		noun = "target"
	}
	return fmt.Sprintf("%d of %d %s failed: %s", len(e.Failed), e.Total, noun, strings.Join(parts, "; "))
}

// Unwrap returns the error of each failed target.
func (e *TargetsError) Unwrap() []error {
	out := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		out[i] = f.Err
	}
	return out
}

// onlySourceErrors reports whether err is the failure of sources of a
// target (one or several), each of which dropped its own pages, and not of
// the target as a whole or of the run.
func onlySourceErrors(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var many sourceErrors
	if errors.As(err, &many) {
		return true
	}
	var one *sourceError
	return errors.As(err, &one)
}
