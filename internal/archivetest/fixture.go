package archivetest

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/migrations"
)

// Fixture fills an archive with a small, fixed history: two jobs (one with a
// failed launch, in another account), their logs, two snapshots of one
// server and an orphan log item whose job is not archived.
func Fixture(t *testing.T, dir string) {
	t.Helper()
	st := Open(t, dir)
	seen := time.Date(2026, 11, 20, 2, 17, 0, 0, time.UTC)
	later := seen.Add(24 * time.Hour)
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339Nano, s); return t }
	err := st.Update(func(w *archive.Writer) error {
		jobs := []archive.Record{
			{Kind: kinds.DRSJob, ID: "drsjob-1", Region: "us-east-1", Account: "111122223333", Time: at("2026-11-01T10:00:00Z"), FirstSeen: seen, LastSeen: later,
				Data: json.RawMessage(`{"jobID":"drsjob-1","arn":"arn:aws:drs:us-east-1:111122223333:job/drsjob-1","status":"COMPLETED","initiatedBy":"START_DRILL","tags":{"owner":"alice","purpose":"drill"},"x-futureField":{"n":1.50}}`)},
			{Kind: kinds.DRSJob, ID: "drsjob-2", Region: "eu-west-1", Account: "444455556666", Time: at("2026-11-02T11:00:00.5+00:00"), FirstSeen: later, LastSeen: later,
				Data: json.RawMessage(`{"jobID":"drsjob-2", "status":"STARTED", "participatingServers":[{"launchStatus":"FAILED"}]}`)},
		}
		for _, j := range jobs {
			if _, err := w.PutLatest(j); err != nil {
				return err
			}
		}
		logs := map[archive.JobRef][]string{
			{JobID: "drsjob-1", Region: "us-east-1", Account: "111122223333"}: {
				`{"event":"JOB_START","logDateTime":"2026-11-01T10:00:01Z"}`,
				`{"event":"LAUNCH_END","eventData":{"targetInstanceID":"i-0abc"},"logDateTime":"2026-11-01T10:20:00Z"}`,
			},
			{JobID: "drsjob-2", Region: "eu-west-1", Account: "444455556666"}: {
				`{"event":"LAUNCH_FAILED","eventData":{"rawError":"An error occurred (InsufficientInstanceCapacity) <t3.small> & \u00e9 \"quoted\""},"logDateTime":"2026-11-02T11:05:00Z"}`,
			},
			{JobID: "drsjob-gone", Region: "us-east-1", Account: "111122223333"}: {
				`{"event":"JOB_START","logDateTime":"2026-10-01T00:00:00Z"}`,
			},
		}
		refs := slices.SortedFunc(maps.Keys(logs), func(a, b archive.JobRef) int { return strings.Compare(a.JobID, b.JobID) })
		for _, ref := range refs { // in a fixed order: the hash chain follows the order of writes
			items := logs[ref]
			for i, it := range items {
				var h struct{ LogDateTime string }
				json.Unmarshal([]byte(it), &h)
				if _, err := w.PutLogItem(ref, i, archive.Record{Time: at(h.LogDateTime), FirstSeen: seen, LastSeen: seen, Data: json.RawMessage(it)}); err != nil {
					return err
				}
			}
		}
		for i, state := range []string{"CONTINUOUS", "STALLED"} {
			c := seen.Add(time.Duration(i) * 24 * time.Hour)
			rec := archive.Record{Kind: kinds.DRSSourceServer, ID: "s-1", Region: "us-east-1", Account: "111122223333", Time: c, CapturedAt: &c, FirstSeen: c, LastSeen: c,
				Data: json.RawMessage(`{"sourceServerID":"s-1","dataReplicationInfo":{"dataReplicationState":"` + state + `"}}`)}
			if _, err := w.PutObservation(rec, []byte(state)); err != nil {
				return err
			}
		}
		// One record of each other kind: a staging account, a Snowball
		// cluster job and an SMS job imported from a file.
		others := []archive.Record{
			{Kind: kinds.DRSStagingAccount, ID: "210987654321", Data: json.RawMessage(`{"accountID":"210987654321"}`)},
			{Kind: kinds.SnowballJob, ID: "JID123e4567-e89b-12d3-a456-426655440000", ClusterID: "CID123e4567-e89b-12d3-a456-426655440000", Time: at("2016-11-30T03:12:04.335Z"),
				Data: json.RawMessage(`{"JobId":"JID123e4567-e89b-12d3-a456-426655440000","JobState":"New","CreationDate":1480475524.335}`)},
			{Kind: kinds.SMSJob, ID: "sms-job-1", Time: at("2023-01-05T10:00:00Z"), Imported: &archive.Import{File: "sms.json", SHA256: "5f70"},
				Data: json.RawMessage(`{"replicationJobId":"sms-job-1","state":"FAILED","statusMessage":"Role not found"}`)},
		}
		for _, rec := range others {
			rec.Region, rec.Account, rec.FirstSeen, rec.LastSeen, rec.CapturedAt = "us-east-1", "111122223333", seen, seen, &seen
			if rec.Time.IsZero() {
				rec.Time = seen
			}
			if _, err := w.PutObservation(rec, []byte(rec.ID)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// The log's name is random per archive; the fixture's is fixed, so that
	// its exports (which carry the log's checkpoint) are the same each time.
	db, err := bolt.Open(filepath.Join(dir, archive.FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(migrations.MetaBucket)).Put([]byte("logID"), []byte(FixtureLogID))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// FixtureLogID is the name of the transparency log of Fixture's archive.
const FixtureLogID = "archiver.invalid/log/fixture"
