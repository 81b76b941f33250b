package main

import (
	"fmt"
	"testing"

	"github.com/archiver-dev/archiver/internal/emulator"
)

// TestTortureOrganization is the torture test of an organization-wide sync
// with eight targets in flight: four member accounts in two regions, each
// role assumed, all read side by side into the one committer. Kills at
// random points lose and duplicate nothing.
func TestTortureOrganization(t *testing.T) {
	if testing.Short() {
		t.Skip("kills sync processes; skipped with -short")
	}
	org := &emulator.Organization{ManagementKey: "AKIDORGTORTURE"}
	for i := range 4 {
		org.Accounts = append(org.Accounts, emulator.OrgAccount{ID: fmt.Sprintf("6000000000%02d", i+1)})
	}
	torture(t, tortureConfig{
		kills:      20,
		history:    emulator.Options{Seed: 73, Jobs: 60, LogItemsPerJob: 30, Servers: 3, SnowballClusters: 1, SMSJobs: 2},
		seed:       2,
		org:        org,
		orgRegions: []string{"us-east-1", "eu-west-1"},
		orgArgs:    []string{"--org-role", "ArchiverReadOnly", "--target-concurrency", "8"},
	})
}
