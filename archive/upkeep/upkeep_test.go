package upkeep_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/upkeep"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/migrations"
)

// TestRunBackup backs the fixture archive up as the backup command does
// and says how many records it copied.
func TestRunBackup(t *testing.T) {
	dir := archivetest.Dir(t)
	archivetest.Fixture(t, dir)
	want := archivetest.Records(t, dir)
	out := filepath.Join(t.TempDir(), "backup.db")
	var stdout bytes.Buffer
	if err := upkeep.RunBackup(context.Background(), dir, out, archive.BackupOptions{LockTimeout: time.Minute}, &stdout, io.Discard); err != nil {
		t.Fatalf("backup: %v", err)
	}
	if s := stdout.String(); !strings.HasPrefix(s, "archiver backup: ") || !strings.Contains(s, fmt.Sprintf(", %d records as of change ", want)) || !strings.HasSuffix(s, "checked, to "+out+"\n") {
		t.Errorf("backup said %q", s)
	}
	if err := upkeep.RunBackup(context.Background(), dir, out, archive.BackupOptions{LockTimeout: time.Minute}, io.Discard, io.Discard); err == nil {
		t.Error("a second backup over the file succeeded without Force")
	}
}

// TestRunMigrate lists the steps a schema-1 archive needs, applies them,
// and then has nothing to do.
func TestRunMigrate(t *testing.T) {
	dir := archivetest.Copy(t, filepath.Join("..", "..", "migrations", "testdata", "schema1.db"))
	pending := migrations.Latest() - 1
	if pending < 1 {
		t.Fatal("no step after schema 1; the test proves nothing")
	}
	o := archive.Options{LockTimeout: time.Minute}
	for _, tc := range []struct {
		dryRun bool
		want   []string
	}{
		{true, []string{fmt.Sprintf("archiver migrate: schema 1; this archiver writes schema %d; %d steps pending:\n", migrations.Latest(), pending)}},
		// The steps rewrite what they change (the job-log index, packed at
		// schema 15) and the file is rewritten without the pages they freed.
		{false, []string{fmt.Sprintf("archiver migrate: schema 1 -> %d in ", migrations.Latest()), "archiver migrate: archive file rewritten without its free pages"}},
		{false, []string{fmt.Sprintf("archiver migrate: schema %d, up to date; nothing to do\n", migrations.Latest())}},
	} {
		var stdout bytes.Buffer
		if err := upkeep.RunMigrate(context.Background(), dir, tc.dryRun, o, archive.CheckpointOptions{}, &stdout, io.Discard); err != nil {
			t.Fatalf("migrate (dry run %v): %v", tc.dryRun, err)
		}
		for _, want := range tc.want {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("migrate (dry run %v) said %q; want %q", tc.dryRun, stdout.String(), want)
			}
		}
	}
}
