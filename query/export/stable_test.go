package export_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query/export"
	archsync "github.com/archiver-dev/archiver/sync"
)

// TestExportStable: the records an export writes of a fixed history (three
// syncs at fixed times, with changes and deletions upstream between them)
// are byte for byte those in testdata/export-stable.jsonl, which an earlier
// archiver wrote of the same history: how records are filed, observed,
// marked and written never changes unnoticed.
func TestExportStable(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 71, Jobs: 6, LogItemsPerJob: 4, InProgress: 2,
		SnowballClusters: 2, SnowballJobsPerCluster: 2, SMSJobs: 3})
	dir := archivetest.Dir(t)
	t0 := emu.Now()
	syncAll(t, dir, emu, t0)
	emu.Advance(time.Hour)
	syncAll(t, dir, emu, t0.Add(time.Hour))
	jobs := emu.Jobs()
	if len(jobs) < 2 {
		t.Fatalf("the history has %d jobs", len(jobs))
	}
	deleted := false
	for _, j := range jobs {
		deleted = deleted || emu.DeleteJob(jobIDOf(t, j)) == nil // a job that ended
	}
	if !deleted {
		t.Fatal("no job could be deleted upstream")
	}
	if err := emu.DeleteCluster(emu.ClusterIDs()[0]); err != nil {
		t.Fatal(err)
	}
	emu.Advance(time.Hour)
	syncAll(t, dir, emu, t0.Add(2*time.Hour))

	st, err := archive.Open(t.Context(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out bytes.Buffer
	err = st.View(func(r *archive.Reader) error {
		_, err := export.Write(t.Context(), r, &out, export.Options{Version: "test", Now: t0})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Kinds added since the golden file was written are left out: the
	// records of every kind it has must stay as they were.
	var recs []string
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, `{"kind":`) && !slices.ContainsFunc(addedKinds, func(k archive.Kind) bool {
			return strings.HasPrefix(line, `{"kind":"`+string(k)+`"`)
		}) {
			recs = append(recs, strings.TrimSuffix(line, ","))
		}
	}
	if len(recs) == 0 {
		t.Fatal("the export holds no records")
	}
	got := strings.Join(recs, "\n") + "\n"
	golden := filepath.Join("testdata", "export-stable.jsonl")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("%d records, %d wanted; record %d differs:\n got %s\nwant %s", len(gl)-1, len(wl)-1, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%d records, %d wanted", len(gl)-1, len(wl)-1)
	}
}

// addedKinds are the kinds archived since testdata/export-stable.jsonl was
// written.
var addedKinds = []archive.Kind{kinds.DRSLaunchConfiguration, kinds.DRSReplicationConfiguration, kinds.DRSSourceNetwork}

// jobIDOf returns the jobID of a DRS job as the emulator serves it.
func jobIDOf(t *testing.T, raw []byte) string {
	t.Helper()
	var j struct {
		JobID string `json:"jobID"`
	}
	if err := json.Unmarshal(raw, &j); err != nil || j.JobID == "" {
		t.Fatalf("job %s: no jobID", raw)
	}
	return j.JobID
}

// syncAll syncs every source of emu into the archive in dir, as at seen.
func syncAll(t *testing.T, dir string, emu *emulator.Server, seen time.Time) {
	t.Helper()
	var st archsync.Stats
	err := archsync.Run(t.Context(), archsync.Options{
		ArchiveDir: dir, Regions: []string{emu.Region()}, EndpointURL: emu.URL(),
		Sources:     []archsync.Source{archsync.SourceDRS, archsync.SourceSnowball, archsync.SourceSMS},
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Now:         func() time.Time { return seen },
	}, &st)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
}
