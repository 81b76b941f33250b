package sync_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	archsync "github.com/archiver-dev/archiver/sync"
)

const (
	impJob    = "drsjob-0123456789abcdefA"
	impServer = "s-0123456789abcdefA"
	impARN    = "arn:aws:drs:eu-west-1:111122223333:"
	impTime   = "2026-05-01T10:00:00Z"
)

// cliFile writes content as a saved AWS CLI output taken at modTime.
func cliFile(t *testing.T, dir, name, content string, modTime time.Time) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, modTime, modTime); err != nil {
		t.Fatal(err)
	}
	return p
}

func importFiles(t *testing.T, o archsync.ImportOptions, files ...string) archsync.ImportResult {
	t.Helper()
	res, err := archsync.Import(context.Background(), o, files)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}

// records returns every record of kind, oldest key first.
func records(t *testing.T, dir string, kind archive.Kind) []archive.Record {
	t.Helper()
	st := archivetest.Open(t, dir)
	defer st.Close()
	var out []archive.Record
	if err := st.View(func(r *archive.Reader) error {
		return r.Each(kind, func(rec archive.Record) error { out = append(out, rec); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestImportMergesWithoutDuplicates(t *testing.T) {
	dir, src := archivetest.Dir(t), t.TempDir()
	at := time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)
	// The AWS CLI prints with indentation; the merged pagination output of
	// the log comes as one object, the jobs as two pages one after another.
	jobs := cliFile(t, src, "jobs.json", `{
    "items": [
        {
            "jobID": "`+impJob+`",
            "arn": "`+impARN+`job/`+impJob+`",
            "status": "COMPLETED",
            "creationDateTime": "`+impTime+`"
        }
    ],
    "nextToken": "abc"
}
{"items": [{"jobID": "drsjob-0123456789abcdefB", "arn": "`+impARN+`job/drsjob-0123456789abcdefB", "status": "STARTED"}]}
`, at)
	logs := cliFile(t, src, "log-"+impJob+".json", `{"items": [
        {"event": "JOB_START", "logDateTime": "2026-05-01T10:00:01Z"},
        {"event": "LAUNCH_FAILED", "eventData": {"rawError": "InsufficientInstanceCapacity"}, "logDateTime": "2026-05-01T10:05:00Z"}
    ]}`, at)
	servers := cliFile(t, src, "servers.json", `{"items": [{"sourceServerID": "`+impServer+`", "arn": "`+impARN+`source-server/`+impServer+`", "dataReplicationInfo": {"dataReplicationState": "STALLED"}}]}`, at)
	snow := cliFile(t, src, "snowball-CID123e4567-e89b-12d3-a456-426655440000.json", `{"JobListEntries": [{"JobId": "JID123e4567-e89b-12d3-a456-426655440000", "JobState": "InTransitToCustomer", "CreationDate": 1480475524.335}]}`, at)
	sms := cliFile(t, src, "sms.json", `{"replicationJobList": [{"replicationJobId": "sms-job-0a1b2c3d", "serverId": "s-12345678", "state": "FAILED", "statusMessage": "Role not found", "seedReplicationTime": "2023-01-05T10:00:00+00:00", "replicationRunList": []}]}`, at)
	o := archsync.ImportOptions{ArchiveDir: dir, Region: "eu-west-1", Account: "111122223333"}

	res := importFiles(t, o, logs, jobs, servers, snow, sms) // the log before its job: jobs are merged first
	if res.Added != 7 || res.Updated != 0 || res.Unchanged != 0 {
		t.Fatalf("first import: %+v, want 7 added", res)
	}
	res = importFiles(t, o, jobs, logs, servers, snow, sms)
	if res.Added != 0 || res.Updated != 0 || res.Unchanged != 7 {
		t.Fatalf("second import: %+v, want 7 already archived", res)
	}
	archivetest.Check(t, dir)

	log := records(t, dir, kinds.DRSJobLogItem)
	if len(log) != 2 || log[1].JobID != impJob || log[1].Region != "eu-west-1" || log[1].Account != "111122223333" || *log[1].Pos != 1 {
		t.Fatalf("log items: %+v", log)
	}
	sn := records(t, dir, kinds.SnowballJob)
	want := time.Unix(1480475524, 335000000).UTC()
	if len(sn) != 1 || !sn[0].Time.Equal(want) || sn[0].ClusterID != "CID123e4567-e89b-12d3-a456-426655440000" {
		t.Fatalf("snowball: %+v, want time %v", sn, want)
	}
	sm := records(t, dir, kinds.SMSJob)
	if len(sm) != 1 || !sm[0].Time.Equal(time.Date(2023, 1, 5, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("sms: %+v", sm)
	}
	for _, r := range append(append(log, sn...), sm...) {
		if r.Imported == nil || len(r.Imported.SHA256) != 64 || r.Imported.File == "" {
			t.Errorf("%s %s: provenance %+v", r.Kind, r.ID, r.Imported)
		}
		if !r.FirstSeen.Equal(at) || !r.LastSeen.Equal(at) {
			t.Errorf("%s %s: seen %v..%v, want the file time %v", r.Kind, r.ID, r.FirstSeen, r.LastSeen, at)
		}
	}
	if log[0].Imported.File != filepath.Base(logs) {
		t.Errorf("log item from %q, want %q", log[0].Imported.File, filepath.Base(logs))
	}
}

func TestImportKeepsTheLatestState(t *testing.T) {
	dir, src := archivetest.Dir(t), t.TempDir()
	t1 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	t2, t3 := t1.Add(24*time.Hour), t1.Add(48*time.Hour)
	server := func(state string) string {
		return `{"items": [{"sourceServerID": "` + impServer + `", "arn": "` + impARN + `source-server/` + impServer + `", "dataReplicationInfo": {"dataReplicationState": "` + state + `"}}]}`
	}
	job := func(status string) string {
		return `{"items": [{"jobID": "` + impJob + `", "arn": "` + impARN + `job/` + impJob + `", "status": "` + status + `", "creationDateTime": "` + impTime + `"}]}`
	}
	o := archsync.ImportOptions{ArchiveDir: dir}
	importFiles(t, o, cliFile(t, src, "s2.json", server("CONTINUOUS"), t2), cliFile(t, src, "j2.json", job("COMPLETED"), t2))
	// Older output: the server's earlier state is history, the job's earlier
	// state is not kept over its later one.
	res := importFiles(t, o, cliFile(t, src, "s1.json", server("INITIAL_SYNC"), t1), cliFile(t, src, "j1.json", job("STARTED"), t1))
	if res.Added != 1 || res.Updated != 0 || res.Unchanged != 1 {
		t.Fatalf("older import: %+v, want 1 added (the old snapshot), 1 unchanged (the job)", res)
	}
	// Newer output of a known state adds nothing; the same job state widens
	// its seen times.
	res = importFiles(t, o, cliFile(t, src, "s3.json", server("CONTINUOUS"), t3), cliFile(t, src, "j3.json", job("COMPLETED"), t3))
	if res.Added != 0 || res.Updated != 0 {
		t.Fatalf("newer import of known states: %+v, want nothing added or updated", res)
	}
	snaps := records(t, dir, kinds.DRSSourceServer)
	if len(snaps) != 2 {
		t.Fatalf("%d snapshots, want 2", len(snaps))
	}
	st := archivetest.Open(t, dir)
	defer st.Close()
	_ = st.View(func(r *archive.Reader) error {
		cur, ok, err := r.Latest(kinds.DRSSourceServer, impServer, "eu-west-1", "111122223333")
		if err != nil || !ok || !strings.Contains(string(cur.Data), "CONTINUOUS") {
			t.Errorf("current snapshot %s, %v, %v; want the CONTINUOUS one", cur.Data, ok, err)
		}
		j, ok, err := r.Latest(kinds.DRSJob, impJob, "eu-west-1", "111122223333")
		if err != nil || !ok || !strings.Contains(string(j.Data), "COMPLETED") || !j.FirstSeen.Equal(t2) || !j.LastSeen.Equal(t3) {
			t.Errorf("job %s seen %v..%v (%v, %v); want COMPLETED seen %v..%v", j.Data, j.FirstSeen, j.LastSeen, ok, err, t2, t3)
		}
		return nil
	})
}

func TestImportRefusesWholly(t *testing.T) {
	src := t.TempDir()
	at := time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)
	good := cliFile(t, src, "jobs.json", `{"items": [{"jobID": "`+impJob+`", "arn": "`+impARN+`job/`+impJob+`", "status": "COMPLETED"}]}`, at)
	log := `{"items": [{"event": "JOB_START", "logDateTime": "2026-05-01T10:00:01Z"}]}`
	tests := []struct {
		name, file, content string
		o                   archsync.ImportOptions
		want                string
	}{
		{"empty", "a.json", "", archsync.ImportOptions{}, "the file is empty"},
		{"not JSON", "a.json", "<html>", archsync.ImportOptions{}, "not JSON"},
		{"array", "a.json", `[1]`, archsync.ImportOptions{}, "is not a JSON object"},
		{"other command", "a.json", `{"Reservations": []}`, archsync.ImportOptions{}, "has none of items, accounts, JobListEntries, replicationJobList (its members: Reservations)"},
		{"truncated", "a.json", `{"items": [{"jobID": "x"`, archsync.ImportOptions{}, "not JSON"},
		{"mixed pages", "a.json", `{"items": []} {"JobListEntries": []}`, archsync.ImportOptions{}, "keep each command's output in its own file"},
		{"mixed items", "a.json", `{"items": [{"jobID": "` + impJob + `"}, {"sourceServerID": "s-1"}]}`, archsync.ImportOptions{}, "item 1 is a drs.sourceServer but item 0 is a drs.job"},
		{"unknown items", "a.json", `{"items": [{"foo": 1}]}`, archsync.ImportOptions{}, "neither a DRS job"},
		{"log without job", "log.json", log, archsync.ImportOptions{}, "give --job-id"},
		{"snowball without region", "CID123e4567-e89b-12d3-a456-426655440000.json", `{"JobListEntries": [{"JobId": "JID1"}]}`, archsync.ImportOptions{}, "give --region and --account"},
		{"snowball without cluster", "a.json", `{"JobListEntries": [{"JobId": "JID1"}]}`, archsync.ImportOptions{Region: "eu-west-1", Account: "111122223333"}, "give --snowball-cluster-id"},
		{"ARN elsewhere", "a.json", `{"items": [{"jobID": "` + impJob + `", "arn": "` + impARN + `job/x"}]}`, archsync.ImportOptions{Region: "us-east-1"}, "is not in --region us-east-1"},
		{"log of an unknown job", "a.json", log, archsync.ImportOptions{JobID: "drsjob-0123456789abcdefZ"}, "is not in the archive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := archivetest.Dir(t)
			importFiles(t, archsync.ImportOptions{ArchiveDir: dir, JobID: impJob}, good,
				cliFile(t, src, "base.json", log, at))
			before := archivetest.ContentHash(t, dir)
			tt.o.ArchiveDir = dir
			// A good file beside the bad one is not imported either.
			other := cliFile(t, src, "more.json", `{"items": [{"jobID": "drsjob-0123456789abcdefQ", "arn": "`+impARN+`job/drsjob-0123456789abcdefQ"}]}`, at)
			_, err := archsync.Import(context.Background(), tt.o, []string{other, cliFile(t, src, tt.file, tt.content, at)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if tt.name != "log of an unknown job" && !errors.Is(err, archsync.ErrImportShape) && !strings.Contains(err.Error(), "give --") && !strings.Contains(err.Error(), "is not in --region") {
				t.Errorf("error %v does not say what is wrong with the file", err)
			}
			if after := archivetest.ContentHash(t, dir); after != before {
				t.Error("a refused import changed the archive")
			}
		})
	}
}

func TestImportRefusesAFileThatDisagrees(t *testing.T) {
	dir, src := archivetest.Dir(t), t.TempDir()
	at := time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)
	job := cliFile(t, src, "jobs.json", `{"items": [{"jobID": "`+impJob+`", "arn": "`+impARN+`job/`+impJob+`", "status": "COMPLETED"}]}`, at)
	// The archive's log holds a member the AWS CLI does not print (extra).
	base := cliFile(t, src, "base.json", `{"items": [{"event": "JOB_START", "logDateTime": "2026-05-01T10:00:01Z"},
		{"event": "LAUNCH_FAILED", "eventData": {"rawError": "InsufficientInstanceCapacity", "extra": 1.50}, "logDateTime": "2026-05-01T10:05:00Z"}]}`, at)
	importFiles(t, archsync.ImportOptions{ArchiveDir: dir, JobID: impJob}, job, base)
	before := records(t, dir, kinds.DRSJobLogItem)

	tests := []struct {
		name, content string
		// reason is what the refusal says; empty: the file goes in.
		reason string
	}{
		{"less members", `{"items": [{"event": "JOB_START", "logDateTime": "2026-05-01T10:00:01Z"},
			{"event": "LAUNCH_FAILED", "eventData": {"rawError": "InsufficientInstanceCapacity"}, "logDateTime": "2026-05-01T10:05:00Z"}]}`, ""},
		{"number written otherwise", `{"items": [{"event": "JOB_START", "logDateTime": "2026-05-01T10:00:01Z"},
			{"event": "LAUNCH_FAILED", "eventData": {"rawError": "InsufficientInstanceCapacity", "extra": 1.5}, "logDateTime": "2026-05-01T10:05:00Z"}]}`, ""},
		{"a value differs", `{"items": [{"event": "JOB_START", "logDateTime": "2026-05-01T10:00:01Z"},
			{"event": "LAUNCH_FAILED", "eventData": {"rawError": "Other"}, "logDateTime": "2026-05-01T10:05:00Z"},
			{"event": "JOB_END", "logDateTime": "2026-05-01T10:06:00Z"}]}`, "item 2 of the log of " + impJob + " differs from the archived item at member $.eventData.rawError"},
		// The archived log was imported too: a newer CLI may print a
		// member the older one did not.
		{"a member the imported log lacks", `{"items": [{"event": "JOB_START", "logDateTime": "2026-05-01T10:00:01Z", "eventData": {}}]}`, ""},
		{"a member the imported log lacks, and a value differs", `{"items": [{"event": "JOB_START", "logDateTime": "2026-05-01T10:00:02Z", "eventData": {}}]}`,
			"item 1 of the log of " + impJob + " differs from the archived item at member $.logDateTime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := "drsjob-0123456789abcdef" + string(rune('B'+len(tt.name)%20))
			good := cliFile(t, src, "more.json", `{"items": [{"jobID": "`+other+`", "arn": "`+impARN+`job/`+other+`"}]}`, at)
			file := cliFile(t, src, "log-"+impJob+".json", tt.content, at)
			res, err := archsync.Import(context.Background(), archsync.ImportOptions{ArchiveDir: dir}, []string{good, file})
			if tt.reason == "" {
				if err != nil || len(res.Refused) != 0 {
					t.Fatalf("import: %v, refused %v; want the file in", err, res.Refused)
				}
			} else {
				var refused *archsync.ImportRefusedError
				if !errors.As(err, &refused) || len(refused.Refused) != 1 || refused.Refused[0].Name != filepath.Base(file) ||
					!strings.Contains(refused.Refused[0].Reason, tt.reason) {
					t.Fatalf("import: %v; want %s refused: %s", err, filepath.Base(file), tt.reason)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
			}
			// The other file went in either way; the log is what it was.
			found := false
			for _, rec := range records(t, dir, kinds.DRSJob) {
				found = found || rec.ID == other
			}
			if !found {
				t.Errorf("job %s of the good file is not archived", other)
			}
			after := records(t, dir, kinds.DRSJobLogItem)
			if len(after) != len(before) {
				t.Fatalf("the log went from %d to %d items", len(before), len(after))
			}
			for i := range after {
				if !bytes.Equal(after[i].Data, before[i].Data) {
					t.Errorf("log item %d changed: %s", i, after[i].Data)
				}
			}
		})
	}
}

// TestImportLogOfANewerCLI: a log imported from an older AWS CLI, which
// printed fewer members, and then from a newer one that prints a member
// more is the same log: nothing is refused or added. A value that differs
// is still refused.
func TestImportLogOfANewerCLI(t *testing.T) {
	dir, src := archivetest.Dir(t), t.TempDir()
	at := time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)
	o := archsync.ImportOptions{ArchiveDir: dir, Region: "eu-west-1", Account: "111122223333"}
	jobs := cliFile(t, src, "jobs.json", `{"items": [{"jobID": "`+impJob+`", "arn": "`+impARN+`job/`+impJob+`", "status": "COMPLETED", "creationDateTime": "`+impTime+`"}]}`, at)
	older := cliFile(t, src, "old-"+impJob+".json", `{"items": [
        {"event": "LAUNCH_FAILED", "eventData": {"rawError": "InsufficientInstanceCapacity"}, "logDateTime": "2026-05-01T10:05:00Z"}
    ]}`, at)
	newer := cliFile(t, src, "new-"+impJob+".json", `{"items": [
        {"event": "LAUNCH_FAILED", "eventData": {"rawError": "InsufficientInstanceCapacity", "targetInstanceID": "i-0abc"}, "logDateTime": "2026-05-01T10:05:00Z"}
    ]}`, at)
	other := cliFile(t, src, "other-"+impJob+".json", `{"items": [
        {"event": "LAUNCH_FAILED", "eventData": {"rawError": "VolumeLimitExceeded", "targetInstanceID": "i-0abc"}, "logDateTime": "2026-05-01T10:05:00Z"}
    ]}`, at)
	if res := importFiles(t, o, jobs, older); res.Added != 2 {
		t.Fatalf("first import: %+v, want the job and its item added", res)
	}
	if res := importFiles(t, o, newer); res.Added != 0 || res.Unchanged != 1 || len(res.Refused) != 0 {
		t.Fatalf("import of the newer CLI's log: %+v, want the item already archived", res)
	}
	if _, err := archsync.Import(context.Background(), o, []string{other}); err == nil || !strings.Contains(err.Error(), "$.eventData.rawError") {
		t.Fatalf("import of a log that differs: %v, want a refusal naming $.eventData.rawError", err)
	}
	if n := len(records(t, dir, kinds.DRSJobLogItem)); n != 1 {
		t.Fatalf("%d log items archived, want 1", n)
	}
	archivetest.Check(t, dir)
}
