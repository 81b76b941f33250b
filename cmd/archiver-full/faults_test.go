package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"syscall"
	"testing"

	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

// TestSyncFaultMessages: what a person reads on stderr when the service
// misbehaves or refuses: one line naming the operation, with a hint where
// there is something to do, and exit status 1.
func TestSyncFaultMessages(t *testing.T) {
	hermeticEnv(t)
	tests := []struct {
		name   string
		region string
		source string
		faults emulator.Faults
		want   string // the whole of stderr, as a regexp
	}{
		{
			name:   "proxy page",
			faults: emulator.Faults{Malformed: map[string]bool{emulator.OpDescribeJobs: true}},
			want:   `archiver: sync: DescribeJobs page 1: the answer was not JSON \(text/html: a proxy or captive portal\?\)`,
		},
		{
			name:   "wrong type",
			source: "snowball",
			faults: emulator.Faults{WrongTypes: map[string]emulator.WrongType{emulator.OpListClusterJobs: emulator.ListAsObject}},
			want:   `archiver: sync: ListClusterJobs CID[0-9a-f-]{36} page 1: the answer has the wrong shape: member JobListEntries is an object, not a list`,
		},
		{
			name:   "same token forever",
			faults: emulator.Faults{RepeatTokens: map[string]int{emulator.OpDescribeJobLogItems: 1}},
			want:   `archiver: sync: DescribeJobLogItems drsjob-[0-9a-z]{17} page 2: the service returned the same nextToken twice \(after pages 1 and 2\); stopping`,
		},
		{
			name:   "tokens refused",
			source: "sms",
			faults: emulator.Faults{ExpireTokens: map[string]int{emulator.OpGetReplicationJobs: 4}},
			want:   `archiver: sync: GetReplicationJobs page 5: the service refused a nextToken it had issued \(InvalidParameterException: nextToken has expired; start the listing again\); gave up after 3 restarts from the first page`,
		},
		{
			name:   "access denied",
			faults: emulator.Faults{AccessDenied: map[string]bool{emulator.OpDescribeJobLogItems: true}},
			want:   `archiver: sync: DescribeJobLogItems drsjob-[0-9a-z]{17} page 1: access denied: the credentials lack drs:DescribeJobLogItems \(add it to the role's policy; see README "IAM permissions"\)`,
		},
		{
			name:   "access denied, SMS",
			source: "sms",
			faults: emulator.Faults{AccessDenied: map[string]bool{emulator.OpGetReplicationJobs: true}},
			want:   `archiver: sync: GetReplicationJobs page 1: access denied: the credentials lack sms:GetReplicationJobs \(add it to the role's policy; see README "IAM permissions"\)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			region, source := tc.region, tc.source
			if region == "" {
				region = "us-east-1"
			}
			if source == "" {
				source = "drs"
			}
			emu := archivetest.Emulator(t, emulator.Options{Seed: 29, Jobs: 8, LogItemsPerJob: 12, SMSJobs: 12, Region: region})
			emu.SetFaults(tc.faults)
			dir := archivetest.Dir(t)
			code, stdout, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--region", region,
				"--source", source, "--page-size", "2", "--max-backoff", "1ms", "--no-index")
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if !regexp.MustCompile(`^` + tc.want + `\n$`).MatchString(stderr) {
				t.Errorf("stderr %q\ndoes not match %q", stderr, tc.want)
			}
			if stdout != "" {
				t.Errorf("stdout not empty: %q", stdout)
			}
		})
	}
}

// TestDiskFullHints: a commit that ran out of space says what to do, by
// the cause.
func TestDiskFullHints(t *testing.T) {
	for _, tc := range []struct {
		errno syscall.Errno
		want  string
	}{
		{syscall.ENOSPC, "archiver: commit DescribeJobs page 1: no space left on device; the transaction was rolled back, nothing of it was written (free space and run sync again)\n"},
		{syscall.EDQUOT, "archiver: commit DescribeJobs page 1: disk quota exceeded; the transaction was rolled back, nothing of it was written (free space and run sync again)\n"},
		{syscall.EFBIG, "archiver: commit DescribeJobs page 1: file too large (the file size limit was reached); the transaction was rolled back, nothing of it was written (raise the file size limit (ulimit -f) and run sync again)\n"},
	} {
		t.Run(tc.errno.Error(), func(t *testing.T) {
			err := fmt.Errorf("commit DescribeJobs page 1: %w", &archsync.DiskFullError{Errno: tc.errno, Err: &os.PathError{Op: "write", Path: "archive.db", Err: tc.errno}})
			var stderr bytes.Buffer
			if code := cliapp.ExitCode(err, &stderr, exitRule); code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if stderr.String() != tc.want {
				t.Errorf("stderr %q\n      want %q", stderr.String(), tc.want)
			}
			if !errors.Is(err, tc.errno) {
				t.Errorf("%v does not unwrap to %v", err, tc.errno)
			}
		})
	}
}
