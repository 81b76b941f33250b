package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	archsync "github.com/archiver-dev/archiver/sync"
)

// TestRunImportSays runs an import as the import command does: it says what
// each file held and what changed, then that a second import changed
// nothing; quiet says nothing; a file that is not JSON stops the import
// with no summary.
func TestRunImportSays(t *testing.T) {
	dir, src := archivetest.Dir(t), t.TempDir()
	at := time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)
	jobs := []string{impJob, "drsjob-0123456789abcdefB"}
	var items []string
	for _, id := range jobs {
		items = append(items, fmt.Sprintf(`{"jobID": %q, "arn": "%sjob/%s", "status": "COMPLETED", "creationDateTime": %q}`, id, impARN, id, impTime))
	}
	file := cliFile(t, src, "jobs.json", `{"items": [`+strings.Join(items, ",")+`]}`, at)
	o := archsync.ImportOptions{ArchiveDir: dir, Region: "eu-west-1", Account: "111122223333", LockTimeout: time.Minute}
	for _, want := range []string{
		fmt.Sprintf("1 file: 1 file (%d %s); %d added, 0 updated, 0 already archived", len(jobs), kinds.DRSJob, len(jobs)),
		fmt.Sprintf("1 file: 1 file (%d %s); 0 added, 0 updated, %d already archived", len(jobs), kinds.DRSJob, len(jobs)),
	} {
		var stdout bytes.Buffer
		if err := archsync.RunImport(context.Background(), o, []string{file}, false, false, &stdout, io.Discard); err != nil {
			t.Fatalf("import: %v", err)
		}
		if !strings.HasPrefix(stdout.String(), "archiver import: "+want) || strings.Count(stdout.String(), "\n") != 1 {
			t.Errorf("import said %q, want %q", stdout.String(), want)
		}
	}
	var js bytes.Buffer
	if err := archsync.RunImport(context.Background(), o, []string{file}, false, true, &js, io.Discard); err != nil {
		t.Fatalf("import --output json: %v", err)
	}
	var sum archsync.ImportSummary
	if err := json.Unmarshal(js.Bytes(), &sum); err != nil {
		t.Fatalf("import --output json: %v: %q", err, js.String())
	}
	if sum.Version != archsync.ImportSummaryVersion || sum.Files != 1 || len(sum.Kinds) != 1 || sum.Kinds[0].Kind != kinds.DRSJob ||
		sum.Kinds[0].Items != len(jobs) || sum.Unchanged != len(jobs) || sum.Added != 0 {
		t.Errorf("import --output json: %+v", sum)
	}
	var stdout bytes.Buffer
	if err := archsync.RunImport(context.Background(), o, []string{file}, true, false, &stdout, io.Discard); err != nil || stdout.Len() != 0 {
		t.Errorf("quiet import: %v, said %q; want nothing", err, stdout.String())
	}
	bad := cliFile(t, src, "broken.json", `{"items": [`, at)
	err := archsync.RunImport(context.Background(), o, []string{file, bad}, false, false, &stdout, io.Discard)
	var refused *archsync.ImportRefusedError
	if err == nil || errors.As(err, &refused) || stdout.Len() != 0 {
		t.Errorf("import of a file that is not JSON: %v, said %q; want the import refused whole, with no summary", err, stdout.String())
	}
	archivetest.Check(t, dir)
}
