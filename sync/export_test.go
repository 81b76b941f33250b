package sync

import "github.com/archiver-dev/archiver/archive/kinds"

// ServerFingerprint is the fingerprint of a source server's state.
var ServerFingerprint = func(raw []byte) ([]byte, error) { return stateFingerprint(kinds.DRSSourceServer, raw) }

// ObservationFingerprint exposes observationFingerprint to the tests.
var ObservationFingerprint = observationFingerprint

// FailCommits makes every transaction of a commit, from the n-th on (the
// first is 1), fail after its writes with err, until the test ends.
func FailCommits(t interface{ Cleanup(func()) }, n int, err error) {
	tx := 0
	commitFault = func([]commit) error {
		tx++
		if tx >= n {
			return err
		}
		return nil
	}
	t.Cleanup(func() { commitFault = nil })
}
