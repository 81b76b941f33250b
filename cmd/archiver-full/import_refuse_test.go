package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
)

// TestImportRefusesOnlyTheFileThatDisagrees: a log file that differs from
// the archived log is refused, named with the item (from 1) and the member;
// the other files go in, the summary is printed, and the exit status is 1.
func TestImportRefusesOnlyTheFileThatDisagrees(t *testing.T) {
	hermeticEnv(t)
	dir, src := archivetest.Dir(t), t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const job, other = "drsjob-0123456789abcdefA", "drsjob-0123456789abcdefB"
	arn := "arn:aws:drs:eu-west-1:111122223333:job/"
	jobs := write("jobs.json", `{"items": [{"jobID": "`+job+`", "arn": "`+arn+job+`", "status": "COMPLETED"}]}`)
	log := write(job+".json", "{\n    \"items\": [\n        {\"event\": \"JOB_START\"},\n        {\"event\": \"LAUNCH_FAILED\", \"eventData\": {\"rawError\": \"capacity\", \"x-new\": 1}}\n    ]\n}\n")
	if code, _, stderr := runCLI(t, "--archive", dir, "import", jobs, log); code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	more := write("more.json", `{"items": [{"jobID": "`+other+`", "arn": "`+arn+other+`"}]}`)
	// The same log as the CLI prints it, less the member it does not know,
	// goes in; one whose second item differs does not.
	same := write("same-"+job+".json", `{"items": [{"event": "JOB_START"}, {"event": "LAUNCH_FAILED", "eventData": {"rawError": "capacity"}}]}`)
	bad := write("bad-"+job+".json", `{"items": [{"event": "JOB_START"}, {"event": "LAUNCH_FAILED", "eventData": {"rawError": "quota"}}, {"event": "JOB_END"}]}`)
	code, stdout, stderr := runCLI(t, "--archive", dir, "import", more, same, bad)
	if code != 1 {
		t.Fatalf("import: exit %d, want 1: %s %s", code, stdout, stderr)
	}
	for _, want := range []string{"refused 1 of 3 files", "bad-" + job + ".json: item 2 of the log of " + job, "$.eventData.rawError"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	if strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr is not one line: %q", stderr)
	}
	if !strings.HasPrefix(stdout, "archiver import: ") || !strings.Contains(stdout, "1 added") {
		t.Errorf("summary %q; want the other job added", stdout)
	}
	got := kindCounts(t, dir)
	if got[kinds.DRSJob] != 2 || got[kinds.DRSJobLogItem] != 2 {
		t.Errorf("%d jobs and %d log items archived; want 2 jobs and the 2 items of the first log", got[kinds.DRSJob], got[kinds.DRSJobLogItem])
	}
	verifyClean(t, dir, "after the refused import")
	checkJSONL(t, dir)
}

// TestImportRefusesBadText: a file that is not UTF-8, or nests deeper than
// archiver reads, fails the import with exit status 1 and one line naming
// the file and the byte offset; the good file beside it is not imported.
func TestImportRefusesBadText(t *testing.T) {
	hermeticEnv(t)
	src := t.TempDir()
	const job = "drsjob-0123456789abcdefA"
	head := `{"items": [{"jobID": "` + job + `", "arn": "arn:aws:drs:eu-west-1:111122223333:job/` + job + `", "name": "`
	tests := []struct{ name, content, msg string }{
		{"not UTF-8", head + "caf\xe9\"}]}", fmt.Sprintf("bad.json: invalid UTF-8 at byte offset %d", len(head)+3)},
		{"too deep", head + `x", "d": ` + strings.Repeat("[", 9000) + strings.Repeat("]", 9000) + `}]}`, "bad.json: JSON nested deeper than 64 levels at byte offset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := archivetest.Dir(t)
			good := filepath.Join(src, "good.json")
			bad := filepath.Join(src, "bad.json")
			if err := os.WriteFile(good, []byte(head+`ok"}]}`), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(bad, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runCLI(t, "--archive", dir, "import", good, bad)
			if code != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", code, stdout)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.msg) {
				t.Errorf("stderr %q: want one line saying %q", stderr, tt.msg)
			}
			if _, err := os.Stat(filepath.Join(dir, archive.FileName)); err == nil {
				if n := kindCounts(t, dir)[kinds.DRSJob]; n != 0 {
					t.Errorf("%d jobs archived by a refused import", n)
				}
			}
		})
	}
}
