package retention_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/archive/retention"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/awstime"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query/export"
	archsync "github.com/archiver-dev/archiver/sync"
)

// TestRun prunes half the emulator's jobs: a plan first, which removes
// nothing, then the prune, whose export holds exactly the jobs created
// before the bound and verifies.
func TestRun(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 12, Jobs: 30})
	dir := archivetest.Dir(t)
	var stats archsync.Stats
	err := archsync.Run(context.Background(), archsync.Options{
		ArchiveDir: dir, Regions: []string{"us-east-1"}, EndpointURL: emu.URL(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	}, &stats)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	var created []time.Time
	for _, raw := range emu.Jobs() {
		var j struct{ CreationDateTime string }
		json.Unmarshal(raw, &j)
		at, err := awstime.Parse(j.CreationDateTime)
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, at)
	}
	slices.SortFunc(created, func(a, b time.Time) int { return a.Compare(b) })
	cut := created[len(created)/2]
	older := 0
	for _, at := range created {
		if at.Before(cut) {
			older++
		}
	}
	if older == 0 {
		t.Fatal("no job is older than the bound; the test proves nothing")
	}
	out := filepath.Join(t.TempDir(), "pruned.json")
	o := retention.RunOptions{ArchiveDir: dir, LockTimeout: time.Minute, Before: cut, Export: out,
		ExportOptions: export.Options{Version: "test"}}

	var stdout bytes.Buffer
	if err := retention.Run(context.Background(), o, &stdout, io.Discard); err != nil {
		t.Fatalf("plan: %v", err)
	}
	if !strings.Contains(stdout.String(), "would remove") || !strings.Contains(stdout.String(), fmt.Sprintf("%d %s", older, kinds.DRSJob)) {
		t.Errorf("plan said %q; want it to name the %d older jobs", stdout.String(), older)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a plan wrote its export")
	}

	o.Confirm = true
	stdout.Reset()
	if err := retention.Run(context.Background(), o, &stdout, io.Discard); err != nil {
		t.Fatalf("prune: %v", err)
	}
	if !strings.HasPrefix(stdout.String(), "archiver prune: removed ") || !strings.Contains(stdout.String(), "after exporting them to "+out) {
		t.Errorf("prune said %q", stdout.String())
	}
	doc, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rep, problems := export.Verify(doc, nil)
	if len(problems) != 0 {
		t.Fatalf("the prune's export does not verify: %v", problems)
	}
	if got := rep.Manifest.Counts[kinds.DRSJob]; got != older {
		t.Errorf("the export holds %d jobs, want the %d created before %s", got, older, cut)
	}
	archivetest.Check(t, dir)
}
