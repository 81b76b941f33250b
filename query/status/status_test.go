package status_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query/status"
	archsync "github.com/archiver-dev/archiver/sync"
)

// TestGatherIndexLag: the report of an archive with no index, with an
// empty index (every record behind) and with an index a sync brought up to
// date, against the emulator's history.
func TestGatherIndexLag(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 73})
	dir := archivetest.Dir(t)
	seen := emu.Now()
	sync := func(noIndex bool) {
		t.Helper()
		err := archsync.Run(context.Background(), archsync.Options{
			ArchiveDir: dir, Regions: []string{"us-east-1"}, EndpointURL: emu.URL(), NoIndex: noIndex,
			Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
			Now:         func() time.Time { return seen },
		}, &archsync.Stats{})
		if err != nil {
			t.Fatalf("sync: %v", err)
		}
	}
	gather := func() status.Report {
		t.Helper()
		rep, err := status.Gather(context.Background(), status.Options{ArchiveDir: dir, Output: "json", LockTimeout: time.Minute}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	jobs, items := len(emu.Jobs()), emu.TotalLogItems()
	if jobs == 0 || items == 0 {
		t.Fatal("the emulator serves no jobs or log items; the test proves nothing")
	}

	sync(true)
	rep := gather()
	if rep.Archive.Records[kinds.DRSJob] != jobs || rep.Archive.Records[kinds.DRSJobLogItem] != items {
		t.Fatalf("archive records %v; the emulator serves %d jobs and %d log items", rep.Archive.Records, jobs, items)
	}
	if rep.Index.State != status.IndexMissing {
		t.Errorf("no index: %+v", rep.Index)
	}

	// An empty index, at position 0, has reached no record.
	x, err := index.Open(dir, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x.Close()
	rep = gather()
	if rep.Index.State != status.IndexBehind || rep.Index.Position != 0 || rep.Index.RecordsBehind != rep.Archive.Total ||
		rep.Index.ChangesBehind != rep.Archive.Position {
		t.Errorf("empty index: %+v; the archive holds %d records at change %d", rep.Index, rep.Archive.Total, rep.Archive.Position)
	}

	sync(false)
	rep = gather()
	if rep.Index.State != status.IndexCurrent || rep.Index.RecordsBehind != 0 || rep.Index.ChangesBehind != 0 ||
		rep.Index.Position != rep.Archive.Position || rep.Index.SizeBytes == 0 {
		t.Errorf("index after a sync: %+v; the archive is at change %d", rep.Index, rep.Archive.Position)
	}

	// Run writes the same report as JSON.
	var out bytes.Buffer
	if err := status.Run(context.Background(), status.Options{ArchiveDir: dir, Output: "json", LockTimeout: time.Minute}, seen, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var got status.Report
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if got.Archive.Total != rep.Archive.Total || got.Index.State != status.IndexCurrent {
		t.Errorf("Run wrote %+v, want %+v", got, rep)
	}
}
