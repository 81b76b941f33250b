package sync

import "time"

// Lock takes the sync lock of the archive in dir for a command that must not
// run beside a sync (a prune), and returns its release. It fails with
// ErrSyncRunning when a sync or another such command holds it.
func Lock(dir string) (unlock func(), err error) {
	l, err := lockSync(dir, time.Now())
	if err != nil {
		return nil, err
	}
	return l.unlock, nil
}
