package check_test

import (
	"bytes"
	"context"
	"errors"
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

// synced returns an emulator of the history o describes and a new archive
// of it, synced with its index.
func synced(t *testing.T, o emulator.Options) (*emulator.Server, string) {
	t.Helper()
	emu := archivetest.Emulator(t, o)
	dir := archivetest.Dir(t)
	var stats archsync.Stats
	err := archsync.Run(context.Background(), archsync.Options{
		ArchiveDir: dir, Regions: []string{"us-east-1"}, EndpointURL: emu.URL(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	}, &stats)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return emu, dir
}

// TestRun checks an archive synced from the emulator: sound, with the
// emulator's jobs counted, its hash chain intact and its index matching.
func TestRun(t *testing.T) {
	emu, dir := synced(t, emulator.Options{Seed: 4})
	if len(emu.Jobs()) == 0 {
		t.Fatal("the emulator has no jobs; the test proves nothing")
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

// TestRunInterrupted interrupts a check at every point it looks at its
// context, from the first to the last: each time it stops with the
// interrupt, reporting no problem and no summary, for what it did not get
// to check is no problem found.
func TestRunInterrupted(t *testing.T) {
	_, dir := synced(t, emulator.Options{Seed: 5, Jobs: 60, LogItemsPerJob: 100})
	o := check.RunOptions{ArchiveDir: dir, LockTimeout: time.Minute}
	looks := 0
	for ; ; looks++ {
		ctx := &countdown{Context: context.Background(), left: looks}
		var stdout, stderr bytes.Buffer
		err := check.Run(ctx, o, &stdout, &stderr)
		if !ctx.fired {
			if err != nil {
				t.Fatalf("check, not interrupted: %v: %s", err, stderr.String())
			}
			break
		}
		if !errors.Is(err, context.Canceled) || stdout.Len() > 0 || stderr.Len() > 0 {
			t.Fatalf("check interrupted at its look %d: %v, stdout %q, stderr %q", looks, err, stdout.String(), stderr.String())
		}
	}
	// Every walk of the check looks: counting the records, the hash
	// chain, the transparency log, the derived buckets and the index.
	if looks < 8 {
		t.Errorf("the check looked at its context %d times; its walks do not all look", looks)
	}
}

// countdown is a context that is done once Err has been asked left times.
type countdown struct {
	context.Context
	left  int
	fired bool
}

func (c *countdown) Err() error {
	if c.left == 0 {
		c.fired = true
		return context.Canceled
	}
	c.left--
	return nil
}
