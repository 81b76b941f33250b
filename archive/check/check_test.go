package check_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive/check"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

// TestRun checks an archive synced from the emulator: sound, with the
// emulator's jobs counted, its hash chain intact and its index matching.
func TestRun(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 4})
	if len(emu.Jobs()) == 0 {
		t.Fatal("the emulator has no jobs; the test proves nothing")
	}
	dir := archivetest.Dir(t)
	var stats archsync.Stats
	err := archsync.Run(context.Background(), archsync.Options{
		ArchiveDir: dir, Regions: []string{"us-east-1"}, EndpointURL: emu.URL(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	}, &stats)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	o := check.RunOptions{ArchiveDir: dir, LockTimeout: time.Minute}
	for _, tc := range []struct {
		name  string
		prep  func()
		index string
	}{
		{name: "indexed", prep: func() {}, index: "full-text index matches"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.prep()
			var stdout, stderr bytes.Buffer
			if err := check.Run(context.Background(), o, &stdout, &stderr); err != nil {
				t.Fatalf("check: %v: %s", err, stderr.String())
			}
			out := stdout.String()
			want := fmt.Sprintf("%d %s", len(emu.Jobs()), kinds.DRSJob)
			if !strings.HasPrefix(out, "archiver verify: ok: ") || !strings.Contains(out, want) || !strings.Contains(out, "hash chain of") || !strings.Contains(out, tc.index) {
				t.Errorf("check said %q; want ok with %q and %q", out, want, tc.index)
			}
		})
	}
}
