package migrations_test

//go:generate go run testdata/gen/main.go -o testdata/schema1.db
//go:generate go run testdata/gen/schemas/main.go -dir testdata

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/migrations"
)

// fixture is an archive as schema 1 wrote it; testdata/gen/main.go makes it.
// Tests work on copies: the committed file is never opened for writing.
const fixture = "testdata/schema1.db"

// legacyRec is a record as schema 1 stored it, read here without the
// migrations package.
type legacyRec struct {
	Key        []byte          `json:"-"`
	Kind       string          `json:"kind"`
	ID         string          `json:"id"`
	Region     string          `json:"region"`
	Account    string          `json:"account"`
	JobID      string          `json:"jobID"`
	Pos        *int            `json:"pos"`
	Time       time.Time       `json:"time"`
	CapturedAt *time.Time      `json:"capturedAt"`
	FirstSeen  time.Time       `json:"firstSeen"`
	LastSeen   time.Time       `json:"lastSeen"`
	Data       json.RawMessage `json:"data"`
}

// schema1 is everything a schema-1 file holds.
type schema1 struct {
	version  int
	seq      uint64 // the meta bucket's sequence: the last record sequence used
	buckets  []string
	records  map[string][]legacyRec // by kind, in key order
	ids      map[string][]byte      // identity -> record key (+ fingerprint)
	joblog   map[string][][]byte    // job prefix -> record keys by position
	jobstate map[string]archive.JobState
}

// readSchema1 reads a schema-1 archive file raw, with bbolt alone.
func readSchema1(t *testing.T, path string) schema1 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := schema1{records: map[string][]legacyRec{}, ids: map[string][]byte{}, joblog: map[string][][]byte{}, jobstate: map[string]archive.JobState{}}
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			s.buckets = append(s.buckets, string(name))
			return b.ForEach(func(k, v []byte) error {
				k, v = bytes.Clone(k), bytes.Clone(v)
				switch string(name) {
				case "meta":
					if string(k) != "schemaVersion" || len(v) != 4 {
						return fmt.Errorf("meta entry %q = %x", k, v)
					}
					s.version = int(binary.BigEndian.Uint32(v))
					s.seq = b.Sequence()
				case "ids":
					s.ids[string(k)] = v
				case "joblog":
					if len(k) < 5 || k[len(k)-5] != 0 || len(v) != 16 {
						return fmt.Errorf("joblog entry %q is not one item's", k)
					}
					prefix, pos := string(k[:len(k)-4]), int(binary.BigEndian.Uint32(k[len(k)-4:]))
					if pos != len(s.joblog[prefix]) {
						return fmt.Errorf("joblog of %q: position %d after %d items", prefix, pos, len(s.joblog[prefix]))
					}
					s.joblog[prefix] = append(s.joblog[prefix], v)
				case "jobstate":
					var st archive.JobState
					if err := json.Unmarshal(v, &st); err != nil {
						return fmt.Errorf("jobstate %q: %w", k, err)
					}
					s.jobstate[string(k)] = st
				default:
					if len(v) == 0 || v[0] != '{' {
						return fmt.Errorf("%s record %x is not in the all-JSON layout", name, k)
					}
					var r legacyRec
					if err := json.Unmarshal(v, &r); err != nil {
						return fmt.Errorf("%s record %x: %w", name, k, err)
					}
					r.Key = k
					s.records[string(name)] = append(s.records[string(name)], r)
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return s
}

// all returns every record, kind by kind.
func (s schema1) all() []legacyRec {
	var out []legacyRec
	for _, k := range kinds.Names() {
		out = append(out, s.records[string(k)]...)
	}
	return out
}

func recordKey(t time.Time, seq uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(t.UnixNano())^(1<<63))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

func fileSHA(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// txID returns the ID of the last transaction committed to the file.
func txID(t *testing.T, path string) int {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id int
	db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil })
	return id
}

// TestSchema1Fixture checks that the fixture is what it claims to be: a
// schema-1 file of a small DRS history, laid out as schema 1 laid it out.
func TestSchema1Fixture(t *testing.T) {
	s := readSchema1(t, filepath.Join(archivetest.Copy(t, fixture), archive.FileName))
	if s.version != 1 {
		t.Fatalf("fixture is at schema %d, want 1", s.version)
	}
	wantBuckets := []string{"drs.job", "drs.jobLogItem", "drs.sourceServer", "ids", "joblog", "jobstate", "meta", "sms.replicationJob", "snowball.clusterJob"}
	if !slices.Equal(s.buckets, wantBuckets) {
		t.Errorf("buckets %v, want those of step 1: %v", s.buckets, wantBuckets)
	}
	counts := map[string]int{}
	for k, recs := range s.records {
		counts[k] = len(recs)
	}
	if fmt.Sprint(counts) != "map[drs.job:5 drs.jobLogItem:31 drs.sourceServer:4]" {
		t.Errorf("record counts %v", counts)
	}
	jobID := regexp.MustCompile(`^drsjob-[0-9a-f]{17}$`)
	serverID := regexp.MustCompile(`^s-[0-9a-f]{17}$`)
	var maxSeq uint64
	snapshots := map[string]int{}
	launchFailed := 0
	for _, r := range s.all() {
		seq := binary.BigEndian.Uint64(r.Key[8:])
		maxSeq = max(maxSeq, seq)
		if !bytes.Equal(r.Key, recordKey(r.Time, seq)) {
			t.Errorf("%s record %x: key does not lead with its time %s", r.Kind, r.Key, r.Time)
		}
		if r.Account != "123456789012" || (r.Region != "us-east-1" && r.Region != "us-west-2") {
			t.Errorf("%s record %x: region %q account %q", r.Kind, r.Key, r.Region, r.Account)
		}
		if r.FirstSeen.After(r.LastSeen) {
			t.Errorf("%s record %x: first seen after last seen", r.Kind, r.Key)
		}
		switch r.Kind {
		case "drs.job":
			if !jobID.MatchString(r.ID) {
				t.Errorf("job ID %q", r.ID)
			}
		case "drs.jobLogItem":
			if !jobID.MatchString(r.JobID) || r.Pos == nil || r.ID != "" {
				t.Errorf("log item %x: job %q, position %v, ID %q", r.Key, r.JobID, r.Pos, r.ID)
			}
			var it struct {
				Event     string
				EventData struct{ RawError string }
			}
			json.Unmarshal(r.Data, &it)
			if it.Event == "LAUNCH_FAILED" && it.EventData.RawError != "" {
				launchFailed++
			}
		case "drs.sourceServer":
			if !serverID.MatchString(r.ID) || r.CapturedAt == nil || !r.CapturedAt.Equal(r.Time) {
				t.Errorf("snapshot %x: ID %q, captured %v, time %v", r.Key, r.ID, r.CapturedAt, r.Time)
			}
			snapshots[r.ID]++
		default:
			t.Errorf("record of kind %q", r.Kind)
		}
		if r.Kind != "drs.jobLogItem" {
			v := s.ids[r.Kind+"\x00"+r.ID+"\x00"+r.Region+"\x00"+r.Account]
			if len(v) < 16 {
				t.Errorf("%s %s has no identity", r.Kind, r.ID)
			}
		}
	}
	if s.seq != maxSeq || maxSeq != 40 {
		t.Errorf("meta sequence %d, records use up to %d; want 40 records numbered 1 to 40", s.seq, maxSeq)
	}
	if launchFailed != 1 {
		t.Errorf("%d LAUNCH_FAILED items with a rawError, want 1", launchFailed)
	}
	if snapshots["s-1a2b3c4d5e6f70812"] != 2 || len(snapshots) != 3 {
		t.Errorf("snapshots per server %v, want two of s-1a2b3c4d5e6f70812 and one each of two more", snapshots)
	}
	if len(s.ids) != 8 {
		t.Errorf("%d identities, want 5 jobs and 3 servers", len(s.ids))
	}
	items := 0
	for prefix, keys := range s.joblog {
		st, ok := s.jobstate[prefix]
		if !ok || st.LogItems != len(keys) {
			t.Errorf("job %q: %d items indexed, state %+v", prefix, len(keys), st)
		}
		items += len(keys)
	}
	if items != counts["drs.jobLogItem"] || len(s.jobstate) != 5 {
		t.Errorf("joblog indexes %d items of %d; %d job states, want 5", items, counts["drs.jobLogItem"], len(s.jobstate))
	}
}

// TestSchema1Upgrade opens a copy of the schema-1 fixture for writing: one
// transaction must bring it to the current schema with every record, job
// log, identity and job state intact, and the archive must take new writes
// after it.
func TestSchema1Upgrade(t *testing.T) {
	dir := archivetest.Copy(t, fixture)
	path := filepath.Join(dir, archive.FileName)
	old := readSchema1(t, path)
	before := txID(t, path)

	ctx := context.Background()
	if _, err := archive.Open(ctx, dir, archive.Options{ReadOnly: true}); !errors.Is(err, archive.ErrNeedsMigration) {
		t.Fatalf("read-only open of a schema-1 file: %v, want ErrNeedsMigration", err)
	}
	st, err := archive.Open(ctx, dir, archive.Options{})
	if err != nil {
		t.Fatalf("writable open of a schema-1 file: %v", err)
	}
	defer func() { st.Close() }()
	if v, err := st.SchemaVersion(); err != nil || v != migrations.Latest() {
		t.Fatalf("schema %d, %v after open; want %d", v, err, migrations.Latest())
	}
	for _, err := range st.Check() {
		t.Errorf("consistency check: %v", err)
	}

	err = st.View(func(r *archive.Reader) error {
		// Every record decodes to what schema 1 held, data byte for byte.
		for _, kind := range kinds.Names() {
			want := old.records[string(kind)]
			i := 0
			err := r.Each(kind, func(rec archive.Record) error {
				if i >= len(want) {
					return fmt.Errorf("%s: more records than the fixture's %d", kind, len(want))
				}
				if d := diffRecord(want[i], rec); d != "" {
					t.Errorf("%s record %x: %s", kind, want[i].Key, d)
				}
				i++
				return nil
			})
			if err != nil {
				return err
			}
			if i != len(want) {
				t.Errorf("%s: %d records after the upgrade, %d before", kind, i, len(want))
			}
		}
		// Each job's log is reachable in position order, and its state kept.
		complete, err := r.CompleteLogs()
		if err != nil {
			return err
		}
		nComplete := 0
		for prefix, keys := range old.joblog {
			parts := strings.Split(strings.TrimSuffix(prefix, "\x00"), "\x00")
			ref := archive.JobRef{JobID: parts[0], Region: parts[1], Account: parts[2]}
			var got [][]byte
			err := r.JobLog(ref, func(rec archive.Record) error {
				if rec.Pos == nil || *rec.Pos != len(got) || rec.JobID != ref.JobID {
					t.Errorf("log of %s: item %d has position %v, job %q", ref.JobID, len(got), rec.Pos, rec.JobID)
				}
				got = append(got, bytes.Clone(rec.Key[:]))
				return nil
			})
			if err != nil {
				return err
			}
			if !slices.EqualFunc(got, keys, bytes.Equal) {
				t.Errorf("log of %s: keys %x, want %x", ref.JobID, got, keys)
			}
			js, err := r.JobState(ref)
			if err != nil {
				return err
			}
			if js != old.jobstate[prefix] {
				t.Errorf("state of %s: %+v, want %+v", ref.JobID, js, old.jobstate[prefix])
			}
			if complete[ref] != js.LogComplete {
				t.Errorf("CompleteLogs()[%s] = %v, state says %v", ref.JobID, complete[ref], js.LogComplete)
			}
			if js.LogComplete {
				nComplete++
			}
		}
		if len(complete) != nComplete || nComplete != 4 {
			t.Errorf("CompleteLogs() has %d jobs, the states %d; want 4", len(complete), nComplete)
		}
		// Every identity points at its latest record.
		for id, v := range old.ids {
			parts := strings.Split(id, "\x00")
			kind := archive.Kind(parts[0])
			rec, ok, err := r.Latest(kind, parts[1], parts[2], parts[3])
			if err != nil || !ok {
				t.Errorf("identity %q: %v, %v", id, ok, err)
				continue
			}
			if !bytes.Equal(rec.Key[:], v[:16]) {
				t.Errorf("identity %q points at %x, want %x", id, rec.Key, v[:16])
			}
			for _, o := range old.records[string(kind)] {
				if o.ID == rec.ID && o.Region == rec.Region && o.Time.After(rec.Time) {
					t.Errorf("identity %q points at %s's record of %s; one of %s is later", id, rec.ID, rec.Time, o.Time)
				}
			}
		}
		stalled, _, err := r.Latest(kinds.DRSSourceServer, "s-1a2b3c4d5e6f70812", "us-east-1", "123456789012")
		if err != nil || !bytes.Contains(stalled.Data, []byte(`"dataReplicationState":"STALLED"`)) {
			t.Errorf("latest snapshot of s-1a2b3c4d5e6f70812 is not the stalled one: %v %.80s", err, stalled.Data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The upgraded archive takes new writes where schema 1 left off: the
	// running job's log goes on, record sequences go on, and a snapshot with
	// the state fingerprint on file is recognised as unchanged.
	running := archive.JobRef{JobID: "drsjob-5f6e7d8c9b0a1f2e3", Region: "us-east-1", Account: "123456789012"}
	seen := time.Date(2025, 6, 4, 2, 17, 0, 0, time.UTC)
	item := archive.Record{Time: seen.Add(-time.Hour), FirstSeen: seen, LastSeen: seen,
		Data: json.RawMessage(`{"event":"SNAPSHOT_START","eventData":{"sourceServerID":"s-1a2b3c4d5e6f70812"},"logDateTime":"2025-06-03T02:16:01Z"}`)}
	fp := old.ids["drs.sourceServer\x00s-1a2b3c4d5e6f70812\x00us-east-1\x00123456789012"][16:]
	snap := old.records["drs.sourceServer"][len(old.records["drs.sourceServer"])-1]
	err = st.Update(func(w *archive.Writer) error {
		ch, err := w.PutLogItem(running, 1, item)
		if err != nil || ch != archive.Added {
			return fmt.Errorf("next log item: %v, %v", ch, err)
		}
		ch, err = w.PutObservation(archive.Record{Kind: kinds.DRSSourceServer, ID: snap.ID, Region: snap.Region, Account: snap.Account,
			Time: seen, CapturedAt: &seen, FirstSeen: seen, LastSeen: seen, Data: snap.Data}, fp)
		if err != nil || ch != archive.Unchanged {
			return fmt.Errorf("same snapshot again: %v, %v; want Unchanged", ch, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st.View(func(r *archive.Reader) error {
		var keys []archive.Key
		r.JobLog(running, func(rec archive.Record) error { keys = append(keys, rec.Key); return nil })
		if len(keys) != 2 || keys[1].Seq() <= old.seq {
			t.Errorf("log after a new item: %d items, new sequence %d (schema 1 used up to %d)", len(keys), keys[len(keys)-1].Seq(), old.seq)
		}
		return nil
	})
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// The upgrade was one transaction, the new write another.
	if after := txID(t, path); after != before+2 {
		t.Errorf("transaction %d after the upgrade and one write, want %d: the upgrade took %d transactions", after, before+2, after-before-1)
	}
}

// diffRecord says how rec differs from the schema-1 record it came from.
func diffRecord(want legacyRec, rec archive.Record) string {
	var d []string
	check := func(what string, ok bool, got, w any) {
		if !ok {
			d = append(d, fmt.Sprintf("%s %v, want %v", what, got, w))
		}
	}
	check("key", bytes.Equal(rec.Key[:], want.Key), rec.Key, want.Key)
	check("kind", string(rec.Kind) == want.Kind, rec.Kind, want.Kind)
	check("ID", rec.ID == want.ID, rec.ID, want.ID)
	check("region", rec.Region == want.Region, rec.Region, want.Region)
	check("account", rec.Account == want.Account, rec.Account, want.Account)
	check("job", rec.JobID == want.JobID, rec.JobID, want.JobID)
	check("position", fmt.Sprint(deref(rec.Pos)) == fmt.Sprint(deref(want.Pos)), deref(rec.Pos), deref(want.Pos))
	check("time", rec.Time.Equal(want.Time), rec.Time, want.Time)
	check("capturedAt", (rec.CapturedAt == nil) == (want.CapturedAt == nil) && (rec.CapturedAt == nil || rec.CapturedAt.Equal(*want.CapturedAt)), rec.CapturedAt, want.CapturedAt)
	check("firstSeen", rec.FirstSeen.Equal(want.FirstSeen), rec.FirstSeen, want.FirstSeen)
	check("lastSeen", rec.LastSeen.Equal(want.LastSeen), rec.LastSeen, want.LastSeen)
	check("data", bytes.Equal(rec.Data, want.Data), string(rec.Data), string(want.Data))
	check("provenance", rec.Imported == nil && rec.ClusterID == "", rec.Imported, nil)
	return strings.Join(d, "; ")
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestFailedUpgradeLeavesFileAsItWas: when any step fails, every step
// before it in the same upgrade is rolled back with it, and the file keeps
// its bytes and its schema version.
func TestFailedUpgradeLeavesFileAsItWas(t *testing.T) {
	tests := []struct {
		name string
		// spoil damages the copy (raw, with bbolt) so that a step fails.
		spoil func(t *testing.T, path string)
		// steps, if set, replaces the schema history.
		steps func() []migrations.Step
		want  string
	}{
		{
			name: "record that is not JSON",
			spoil: func(t *testing.T, path string) {
				rawUpdate(t, path, func(tx *bolt.Tx) error {
					b := tx.Bucket([]byte("drs.jobLogItem"))
					k, _ := b.Cursor().Last()
					return b.Put(bytes.Clone(k), []byte(`{"kind":"drs.jobLogItem","data":{"event":`))
				})
			},
			want: "migration 3 (binary-record-headers)",
		},
		{
			name: "gap in a job log",
			spoil: func(t *testing.T, path string) {
				rawUpdate(t, path, func(tx *bolt.Tx) error {
					k := append([]byte("drsjob-3c1f0a9b7d2e4c6a1\x00us-east-1\x00123456789012\x00"), 0, 0, 0, 5)
					return tx.Bucket([]byte("joblog")).Delete(k)
				})
			},
			want: "migration 4 (job-log-lists)",
		},
		{
			name: "last step fails after writing",
			steps: func() []migrations.Step {
				last := migrations.Latest()
				return append(migrations.Steps(), migrations.Step{Version: last + 1, Name: "fails", Desc: "writes, then fails",
					Apply: func(tx *bolt.Tx) error {
						if err := tx.DeleteBucket([]byte("drs.job")); err != nil {
							return err
						}
						if _, err := tx.CreateBucket([]byte("half-done")); err != nil {
							return err
						}
						return errors.New("disk on fire")
					}})
			},
			want: fmt.Sprintf("migration %d (fails): disk on fire", migrations.Latest()+1),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := archivetest.Copy(t, fixture)
			path := filepath.Join(dir, archive.FileName)
			if tt.spoil != nil {
				tt.spoil(t, path)
			}
			if tt.steps != nil {
				migrations.SetStepsForTest(t, tt.steps())
			}
			sum := fileSHA(t, path)
			for _, open := range []struct {
				name string
				fn   func() error
			}{
				{"Open", func() error {
					st, err := archive.Open(context.Background(), dir, archive.Options{})
					if err == nil {
						st.Close()
					}
					return err
				}},
				{"Migrate", func() error { _, _, err := archive.Migrate(context.Background(), dir, archive.Options{}); return err }},
			} {
				err := open.fn()
				if err == nil {
					t.Fatalf("%s: upgrade succeeded", open.name)
				}
				if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
					t.Errorf("%s: error %q does not say %q on one line", open.name, err, tt.want)
				}
				if fileSHA(t, path) != sum {
					t.Errorf("%s: the failed upgrade changed the file", open.name)
				}
			}
			if v := rawVersion(t, path); v != 1 {
				t.Errorf("schema %d after the failed upgrade, want 1", v)
			}
		})
	}
}

// rawVersion reads the schema version of an archive file with bbolt alone.
func rawVersion(t *testing.T, path string) int {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v := -1
	db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte("meta")); b != nil && len(b.Get([]byte("schemaVersion"))) == 4 {
			v = int(binary.BigEndian.Uint32(b.Get([]byte("schemaVersion"))))
		}
		return nil
	})
	return v
}

// rawUpdate changes an archive file with bbolt alone.
func rawUpdate(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// TestNewerSchemaRefused: a file whose schema is newer than this archiver
// knows is refused by every way of opening it, with a message that says to
// upgrade archiver, and is left as it was.
func TestNewerSchemaRefused(t *testing.T) {
	dir := archivetest.Copy(t, fixture)
	path := filepath.Join(dir, archive.FileName)
	newer := migrations.Latest() + 1
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		var v [4]byte
		binary.BigEndian.PutUint32(v[:], uint32(newer))
		return tx.Bucket([]byte("meta")).Put([]byte("schemaVersion"), v[:])
	})
	sum := fileSHA(t, path)
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		fn   func() error
	}{
		{"writable open", func() error {
			st, err := archive.Open(ctx, dir, archive.Options{})
			if err == nil {
				st.Close()
			}
			return err
		}},
		{"read-only open", func() error {
			st, err := archive.Open(ctx, dir, archive.Options{ReadOnly: true})
			if err == nil {
				st.Close()
			}
			return err
		}},
		{"pending", func() error { _, _, err := archive.Pending(ctx, dir, archive.Options{}); return err }},
		{"migrate", func() error { _, _, err := archive.Migrate(ctx, dir, archive.Options{}); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.fn()
			if !errors.Is(err, archive.ErrTooNew) {
				t.Fatalf("error %v, want ErrTooNew", err)
			}
			for _, want := range []string{fmt.Sprintf("schema version %d", newer), fmt.Sprintf("up to %d", migrations.Latest()), "upgrade archiver"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if fileSHA(t, path) != sum {
				t.Error("the file changed")
			}
		})
	}
}
