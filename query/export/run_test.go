package export_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/query/export"
)

// TestRunAndRunVerify exports the fixture archive to a file as the export
// command does, checks the file with RunVerify, then changes one byte of a
// record and checks that RunVerify reports it, one problem a line.
func TestRunAndRunVerify(t *testing.T) {
	dir := archivetest.Dir(t)
	archivetest.Fixture(t, dir)
	want := archivetest.Records(t, dir)
	pub, key := testKey(3)
	out := filepath.Join(t.TempDir(), "export.json")
	var stdout, stderr bytes.Buffer
	o := export.RunOptions{ArchiveDir: dir, LockTimeout: time.Minute, Out: out, SignKey: key, Version: "test"}
	if err := export.Run(context.Background(), o, &stdout, &stderr); err != nil {
		t.Fatalf("export: %v", err)
	}
	if stdout.Len() != 0 || !strings.HasPrefix(stderr.String(), fmt.Sprintf("archiver export: %d records to %s (", want, out)) {
		t.Errorf("export said %q on stdout and %q on stderr", stdout.String(), stderr.String())
	}
	if err := export.Run(context.Background(), o, io.Discard, io.Discard); err == nil {
		t.Error("a second export over the file succeeded without Force")
	}

	stdout.Reset()
	stderr.Reset()
	if err := export.RunVerify(out, pub, false, &stdout, &stderr); err != nil {
		t.Fatalf("verify: %v: %s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), fmt.Sprintf("ok: %s, %s, %d records", out, export.Format, want)) || !strings.Contains(stdout.String(), "signature verified") {
		t.Errorf("verify said %q", stdout.String())
	}

	doc, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	doc = bytes.Replace(doc, []byte(`"COMPLETED"`), []byte(`"COMPLETEd"`), 1)
	if err := os.WriteFile(out, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	err = export.RunVerify(out, nil, false, &stdout, &stderr)
	if err == nil || stdout.Len() != 0 {
		t.Fatalf("verify of a changed export: %v, said %q", err, stdout.String())
	}
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if !strings.HasSuffix(err.Error(), fmt.Sprintf(": %d problems", len(lines))) {
		t.Errorf("error %q; stderr has %d problems: %q", err, len(lines), stderr.String())
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "archiver verify: ") {
			t.Errorf("problem line %q", l)
		}
	}
}
