package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query/status"
)

// statusOf runs 'archiver status --output json' and parses it.
func statusOf(t *testing.T, dir string) status.Report {
	t.Helper()
	code, stdout, stderr := runCLI(t, "--archive", dir, "status", "--output", "json")
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, stderr)
	}
	var rep status.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("status --output json is not JSON: %v\n%s", err, stdout)
	}
	return rep
}

// TestStatus follows an archive through a good sync, a sync that leaves the
// index behind and a failed sync, and checks what status says against the
// emulator, the archive and verify.
func TestStatus(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 71, InProgress: 2})
	dir := archivetest.Dir(t)
	if code, _, stderr := runCLI(t, "--archive", dir, "status"); code != 2 || !strings.Contains(stderr, "no archive here") {
		t.Errorf("status of no archive: exit %d: %s", code, stderr)
	}
	sync := func(args ...string) int {
		t.Helper()
		code, _, _ := runCLI(t, append([]string{"--archive", dir, "sync", "--endpoint-url", emu.URL(), "--quiet"}, args...)...)
		return code
	}
	if sync() != 0 {
		t.Fatal("first sync failed")
	}
	rep := statusOf(t, dir)
	if len(rep.Syncs) != 1 {
		t.Fatalf("syncs %+v, want one for drs in us-east-1", rep.Syncs)
	}
	s := rep.Syncs[0]
	if s.Source != "drs" || s.Region != "us-east-1" || s.Account != emu.Account() || !s.OK || s.Error != "" ||
		s.LastSuccess == nil || !s.LastSuccess.Equal(s.Finished) || s.Runs != 1 || s.Finished.Before(s.Started) {
		t.Errorf("first sync: %+v", s)
	}
	if s.ItemsByKind[kinds.DRSJob] != int64(len(emu.Jobs())) || s.ItemsByKind[kinds.DRSJobLogItem] != int64(emu.TotalLogItems()) {
		t.Errorf("first sync read %v; the emulator serves %d jobs and %d log items", s.ItemsByKind, len(emu.Jobs()), emu.TotalLogItems())
	}
	if s.RecordsAdded != int64(rep.Archive.Total) || rep.Archive.Total == 0 {
		t.Errorf("first sync added %d records; the archive holds %d", s.RecordsAdded, rep.Archive.Total)
	}
	if rep.Archive.Records[kinds.DRSJob] != len(emu.Jobs()) {
		t.Errorf("archive records %v; the emulator serves %d jobs", rep.Archive.Records, len(emu.Jobs()))
	}
	if fi, err := os.Stat(filepath.Join(dir, archive.FileName)); err != nil || fi.Size() != rep.Archive.SizeBytes ||
		rep.Archive.DiskBytes <= 0 || rep.Archive.DiskBytes > fi.Size()+4096 {
		t.Errorf("archive size %d on disk %d, file %v", rep.Archive.SizeBytes, rep.Archive.DiskBytes, fi)
	}
	if rep.Index.State != status.IndexCurrent || rep.Index.RecordsBehind != 0 || rep.Index.SizeBytes == 0 {
		t.Errorf("index after a sync: %+v", rep.Index)
	}

	// The index left behind: status counts what verify counts.
	emu.Advance(24 * time.Hour)
	if sync("--no-index") != 0 {
		t.Fatal("sync --no-index failed")
	}
	rep = statusOf(t, dir)
	_, vout, _ := runCLI(t, "--archive", dir, "verify")
	m := regexp.MustCompile(`(\d+) records not indexed yet`).FindStringSubmatch(vout)
	if m == nil {
		t.Fatalf("verify does not see the index behind; the test proves nothing: %s", vout)
	}
	if n, _ := strconv.Atoi(m[1]); rep.Index.State != status.IndexBehind || rep.Index.RecordsBehind != n || rep.Index.ChangesBehind == 0 {
		t.Errorf("index behind: status says %+v, verify %d records", rep.Index, n)
	}
	good := *rep.Syncs[0].LastSuccess

	// A failed sync: its error, the last success kept.
	emu.SetFaults(emulator.Faults{Malformed: map[string]bool{emulator.OpDescribeJobs: true}})
	if sync() != 1 {
		t.Fatal("sync against a malformed answer did not fail")
	}
	rep = statusOf(t, dir)
	s = rep.Syncs[0]
	if s.OK || !strings.Contains(s.Error, "DescribeJobs") || s.LastSuccess == nil || !s.LastSuccess.Equal(good) || s.Runs != 3 || s.Failures != 1 {
		t.Errorf("failed sync: %+v", s)
	}
	before := treeHash(t, dir)
	code, stdout, stderr := runCLI(t, "--archive", dir, "status")
	if code != 0 || stderr != "" {
		t.Fatalf("status: exit %d: %s", code, stderr)
	}
	statusOf(t, dir)
	if treeHash(t, dir) != before {
		t.Error("status changed the archive directory")
	}
	checkWidth(t, stdout)
	for _, want := range []string{"outcome", "DescribeJobs", "drs.jobLogItem", emu.Account()} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status table lacks %q:\n%s", want, stdout)
		}
	}
	if code, _, stderr := runCLI(t, "--archive", dir, "status", "--output", "yaml"); code != 2 || !strings.Contains(stderr, "--output") {
		t.Errorf("status --output yaml: exit %d: %s", code, stderr)
	}
}

// checkWidth fails the test if a line of out is wider than 80 columns,
// unless it is one word too long for any line after its key.
func checkWidth(t *testing.T, out string) {
	t.Helper()
	for i, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if n := utf8.RuneCountInString(l); n > 80 {
			words := strings.Fields(l)
			if len(words) == 2 && utf8.RuneCountInString(words[1]) > 80-24 {
				continue
			}
			t.Errorf("line %d has %d runes: %q", i+1, n, l)
		}
	}
}

// treeHash hashes the names, modes and contents of every file under dir.
func treeHash(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %v\n", p, fi.Mode())
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
