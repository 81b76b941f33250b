//go:build torture

package main

import (
	"testing"

	"github.com/archiver-dev/archiver/internal/emulator"
)

// TestTortureLong is the torture test at full length: 200 kill points over
// a larger history, with a new seed each run unless ARCHIVER_TORTURE_SEED
// gives one. Run it with
//
//	go test -tags torture -run Torture -timeout 30m ./cmd/archiver/
func TestTortureLong(t *testing.T) {
	torture(t, tortureConfig{
		kills:   200,
		history: emulator.Options{Seed: 73, Jobs: 200, LogItemsPerJob: 40, Servers: 24, SnowballClusters: 2, SMSJobs: 6},
	})
}
