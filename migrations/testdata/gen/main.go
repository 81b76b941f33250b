//go:build ignore

// Command gen writes schema1.db, an archive exactly as schema 1 of archiver
// wrote it, for the tests that upgrade an old file to the current schema.
//
// Regenerate it, from the module root, with
//
//	go generate ./migrations
//
// which runs
//
//	go run testdata/gen/main.go -o testdata/schema1.db
//
// in the migrations directory. The same program writes the same bytes.
//
// Schema 1 is the layout of step 1 of package migrations:
//
//   - one bucket per record kind, keyed by record key: the record's own time
//     as big-endian Unix nanoseconds with the sign bit flipped, then a
//     file-wide sequence number (the meta bucket's bbolt sequence), 8 bytes
//     each;
//   - records in the all-JSON layout: {"kind", "id", "region", "account",
//     "jobID", "pos", "time", "capturedAt", "firstSeen", "lastSeen", "data"},
//     with data the AWS object's bytes exactly as received;
//   - "ids": kind, ID, region and account joined by NUL -> the record key of
//     the identity's current record, followed for observations (source
//     servers) by the SHA-256 state fingerprint;
//   - "joblog": one entry per log item: job ID, region and account, each
//     followed by NUL, then the position as 4 bytes big-endian -> record key;
//   - "jobstate": job ID, region and account, each followed by NUL -> JSON
//     {"logComplete", "logItems"};
//   - "meta": schemaVersion -> 1 as 4 bytes big-endian.
//
// The history is two nightly syncs of a small DRS estate in two regions: a
// drill whose second server failed to launch (LAUNCH_FAILED with a
// rawError), a cleanup, a drill in another region, a recovery that was
// running during the first sync and had finished by the second, one started
// just before the second sync, and source-server snapshots, one server with
// a second snapshot because its replication stalled in between.
package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/migrations"
)

const (
	account = "123456789012"
	east    = "us-east-1"
	west    = "us-west-2"
)

// The two syncs that wrote the file.
var (
	sync1 = time.Date(2025, 6, 2, 2, 17, 4, 512000000, time.UTC)
	sync2 = time.Date(2025, 6, 3, 2, 17, 3, 981000000, time.UTC)
)

func main() {
	out := flag.String("o", "testdata/schema1.db", "file to write (replaced if it exists)")
	flag.Parse()
	// The syncs write a scratch file, in transactions as sync made them; a
	// compacted copy of it, holding the same buckets, keys, values and
	// sequences without the free pages, is the fixture.
	scratch := *out + ".scratch"
	for _, f := range []string{*out, scratch} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			log.Fatal(err)
		}
	}
	db, err := bolt.Open(scratch, 0o600, &bolt.Options{PageSize: 4096})
	if err != nil {
		log.Fatal(err)
	}
	g := &gen{db: db}
	g.update(func(tx *bolt.Tx) error {
		if err := migrations.Steps()[0].Apply(tx); err != nil {
			return err
		}
		var v [4]byte
		binary.BigEndian.PutUint32(v[:], 1)
		return tx.Bucket([]byte("meta")).Put([]byte("schemaVersion"), v[:])
	})
	g.firstSync()
	g.secondSync()
	dst, err := bolt.Open(*out, 0o600, &bolt.Options{PageSize: 4096})
	if err != nil {
		log.Fatal(err)
	}
	compact(dst, db)
	for _, c := range []func() error{dst.Close, db.Close, func() error { return os.Remove(scratch) }} {
		if err := c(); err != nil {
			log.Fatal(err)
		}
	}
	fi, err := os.Stat(*out)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %s (%d bytes)\n", *out, fi.Size())
}

// compact copies every bucket of src into dst, one transaction per bucket
// in name order. bbolt writes the buckets changed in one transaction in map
// order; one bucket at a time makes the same history give the same bytes.
func compact(dst, src *bolt.DB) {
	var names []string
	err := src.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names = append(names, string(name))
			return nil
		})
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range names {
		err := src.View(func(stx *bolt.Tx) error {
			return dst.Update(func(dtx *bolt.Tx) error {
				sb := stx.Bucket([]byte(name))
				db, err := dtx.CreateBucket([]byte(name))
				if err != nil {
					return err
				}
				db.FillPercent = 1
				if err := db.SetSequence(sb.Sequence()); err != nil {
					return err
				}
				return sb.ForEach(func(k, v []byte) error { return db.Put(k, v) })
			})
		})
		if err != nil {
			log.Fatal(err)
		}
	}
}

type gen struct {
	db *bolt.DB
}

func (g *gen) update(fn func(tx *bolt.Tx) error) {
	if err := g.db.Update(fn); err != nil {
		log.Fatal(err)
	}
}

// legacy is the provenance of a record in the all-JSON layout.
type legacy struct {
	Kind       string     `json:"kind"`
	ID         string     `json:"id,omitempty"`
	Region     string     `json:"region"`
	Account    string     `json:"account"`
	JobID      string     `json:"jobID,omitempty"`
	Pos        *int       `json:"pos,omitempty"`
	Time       time.Time  `json:"time"`
	CapturedAt *time.Time `json:"capturedAt,omitempty"`
	FirstSeen  time.Time  `json:"firstSeen"`
	LastSeen   time.Time  `json:"lastSeen"`
}

// encode renders a record as schema 1 stored it: the provenance, then
// "data" with the AWS bytes spliced in untouched (json.Marshal would have
// compacted and HTML-escaped them).
func (l legacy) encode(data string) []byte {
	if !json.Valid([]byte(data)) {
		log.Fatalf("%s %s%s: data is not valid JSON: %s", l.Kind, l.ID, l.JobID, data)
	}
	head, err := json.Marshal(l)
	if err != nil {
		log.Fatal(err)
	}
	v := append(head[:len(head)-1], `,"data":`...)
	v = append(v, data...)
	return append(v, '}')
}

// key makes a record key for a record of time t, taking the next sequence
// number of the meta bucket.
func key(tx *bolt.Tx, t time.Time) []byte {
	seq, err := tx.Bucket([]byte("meta")).NextSequence()
	if err != nil {
		log.Fatal(err)
	}
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k[:8], uint64(t.UnixNano())^(1<<63))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

func put(tx *bolt.Tx, bucket string, k, v []byte) {
	if err := tx.Bucket([]byte(bucket)).Put(k, v); err != nil {
		log.Fatal(err)
	}
}

func identity(kind, id, region string) []byte {
	return []byte(kind + "\x00" + id + "\x00" + region + "\x00" + account)
}

func jobPrefix(jobID, region string) []byte {
	return []byte(jobID + "\x00" + region + "\x00" + account + "\x00")
}

// job is one DRS job as DescribeJobs returned it.
type job struct {
	id, region string
	created    time.Time
	data       string
}

// putJob writes the current state of a job, or replaces it in place (same
// creation time, same key) keeping its first sighting, as schema 1 did.
func putJob(tx *bolt.Tx, j job, firstSeen, seen time.Time) {
	id := identity("drs.job", j.id, j.region)
	k := tx.Bucket([]byte("ids")).Get(id)
	if k == nil {
		k = key(tx, j.created)
		put(tx, "ids", id, k)
	}
	k = append([]byte(nil), k...)
	l := legacy{Kind: "drs.job", ID: j.id, Region: j.region, Account: account, Time: j.created, FirstSeen: firstSeen, LastSeen: seen}
	put(tx, "drs.job", k, l.encode(j.data))
}

// putLog writes the log items of a job from position from on, and the
// job's state.
func putLog(tx *bolt.Tx, j job, from int, items []string, seen time.Time, complete bool) {
	for i := from; i < len(items); i++ {
		var h struct {
			LogDateTime time.Time `json:"logDateTime"`
		}
		if err := json.Unmarshal([]byte(items[i]), &h); err != nil {
			log.Fatalf("log item %s[%d]: %v", j.id, i, err)
		}
		pos := i
		l := legacy{Kind: "drs.jobLogItem", Region: j.region, Account: account, JobID: j.id, Pos: &pos,
			Time: h.LogDateTime, FirstSeen: seen, LastSeen: seen}
		k := key(tx, h.LogDateTime)
		put(tx, "drs.jobLogItem", k, l.encode(items[i]))
		var p [4]byte
		binary.BigEndian.PutUint32(p[:], uint32(i))
		put(tx, "joblog", append(jobPrefix(j.id, j.region), p[:]...), k)
	}
	st, _ := json.Marshal(struct {
		LogComplete bool `json:"logComplete"`
		LogItems    int  `json:"logItems"`
	}{complete, len(items)})
	put(tx, "jobstate", jobPrefix(j.id, j.region), st)
}

// touchLog moves the lastSeen of log items that a later sync read again
// unchanged.
func touchLog(tx *bolt.Tx, j job, n int, seen time.Time) {
	for i := 0; i < n; i++ {
		var p [4]byte
		binary.BigEndian.PutUint32(p[:], uint32(i))
		k := tx.Bucket([]byte("joblog")).Get(append(jobPrefix(j.id, j.region), p[:]...))
		touch(tx, "drs.jobLogItem", k, seen)
	}
}

// touch moves the lastSeen of the record at k, leaving its data untouched.
func touch(tx *bolt.Tx, bucket string, k []byte, seen time.Time) {
	k = append([]byte(nil), k...)
	v := tx.Bucket([]byte(bucket)).Get(k)
	var l legacy
	var d struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(v, &l); err != nil {
		log.Fatal(err)
	}
	if err := json.Unmarshal(v, &d); err != nil {
		log.Fatal(err)
	}
	l.LastSeen = seen
	put(tx, bucket, k, l.encode(string(d.Data)))
}

// server is one source server as DescribeSourceServers returned it.
type server struct {
	id, region string
	data       string
}

// volatile are the members left out of a source server's state fingerprint:
// clocks and byte counters that move on every call.
var volatile = [][2]string{
	{"lifeCycle", "lastSeenByServiceDateTime"},
	{"lifeCycle", "elapsedReplicationDuration"},
	{"dataReplicationInfo", "etaDateTime"},
	{"dataReplicationInfo", "replicatedDisks"},
	{"sourceProperties", "lastUpdatedDateTime"},
}

// fingerprint is the SHA-256 of a server's state: the object without its
// volatile members, keys in canonical order.
func fingerprint(data string) []byte {
	dec := json.NewDecoder(strings.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		log.Fatal(err)
	}
	for _, p := range volatile {
		if sub, ok := m[p[0]].(map[string]any); ok {
			delete(sub, p[1])
		}
	}
	canon, err := json.Marshal(m)
	if err != nil {
		log.Fatal(err)
	}
	sum := sha256.Sum256(canon)
	return sum[:]
}

// observe keeps a snapshot of a source server if its state changed since
// the last one, else moves that one's lastSeen.
func observe(tx *bolt.Tx, s server, seen time.Time) {
	id := identity("drs.sourceServer", s.id, s.region)
	fp := fingerprint(s.data)
	if cur := tx.Bucket([]byte("ids")).Get(id); cur != nil && string(cur[16:]) == string(fp) {
		touch(tx, "drs.sourceServer", cur[:16], seen)
		return
	}
	at := seen
	l := legacy{Kind: "drs.sourceServer", ID: s.id, Region: s.region, Account: account, Time: seen, CapturedAt: &at, FirstSeen: seen, LastSeen: seen}
	k := key(tx, seen)
	put(tx, "drs.sourceServer", k, l.encode(s.data))
	put(tx, "ids", id, append(k, fp...))
}

func (g *gen) firstSync() {
	// DescribeJobs, newest first, one page per region.
	g.update(func(tx *bolt.Tx) error {
		for _, j := range []job{recoveryRunning, cleanup, drill} {
			putJob(tx, j, sync1, sync1)
		}
		putJob(tx, westDrill, sync1, sync1)
		return nil
	})
	// Each job's log, one transaction per job.
	for _, l := range []struct {
		j        job
		items    []string
		complete bool
	}{
		{drill, drillLog, true},
		{cleanup, cleanupLog, true},
		{recoveryRunning, recoveryLog[:2], false},
		{westDrill, westDrillLog, true},
	} {
		g.update(func(tx *bolt.Tx) error {
			putLog(tx, l.j, 0, l.items, sync1, l.complete)
			return nil
		})
	}
	g.update(func(tx *bolt.Tx) error {
		for _, s := range []server{appHealthy, dbServer, westServer} {
			observe(tx, s, sync1)
		}
		return nil
	})
}

func (g *gen) secondSync() {
	g.update(func(tx *bolt.Tx) error {
		putJob(tx, newJob, sync2, sync2)
		putJob(tx, recoveryDone, sync1, sync2)
		for _, j := range []job{cleanup, drill} {
			touch(tx, "drs.job", tx.Bucket([]byte("ids")).Get(identity("drs.job", j.id, j.region)), sync2)
		}
		touch(tx, "drs.job", tx.Bucket([]byte("ids")).Get(identity("drs.job", westDrill.id, westDrill.region)), sync2)
		return nil
	})
	g.update(func(tx *bolt.Tx) error {
		touchLog(tx, recoveryDone, 2, sync2)
		putLog(tx, recoveryDone, 2, recoveryLog, sync2, true)
		return nil
	})
	g.update(func(tx *bolt.Tx) error {
		putLog(tx, newJob, 0, newJobLog, sync2, false)
		return nil
	})
	g.update(func(tx *bolt.Tx) error {
		for _, s := range []server{appStalled, dbServer, westServer} {
			observe(tx, s, sync2)
		}
		return nil
	})
}

// The history. Data is compact, as AWS sends it; strings hold escapes,
// non-ASCII and HTML characters, and some objects carry members newer than
// the SDK, so that any change to the bytes shows.

var drill = job{id: "drsjob-3c1f0a9b7d2e4c6a1", region: east, created: time.Date(2025, 5, 14, 9, 30, 12, 104233000, time.UTC),
	data: `{"arn":"arn:aws:drs:us-east-1:123456789012:job/drsjob-3c1f0a9b7d2e4c6a1","creationDateTime":"2025-05-14T09:30:12.104233+00:00","endDateTime":"2025-05-14T09:52:47.918020+00:00","initiatedBy":"START_DRILL","jobID":"drsjob-3c1f0a9b7d2e4c6a1","participatingServers":[{"launchStatus":"LAUNCHED","recoveryInstanceID":"i-0d3c5b7a9e1f2a4c6","sourceServerID":"s-1a2b3c4d5e6f70812"},{"launchStatus":"FAILED","sourceServerID":"s-9f8e7d6c5b4a30291"}],"status":"COMPLETED","tags":{"purpose":"quarterly-drill","requested-by":"Zoë <dr-team> & ops"},"type":"LAUNCH","x-drillTicket":{"id":"CHG-20250514-03","links":["https://example.com/chg?id=03&view=full"]}}`}

var drillLog = []string{
	`{"event":"JOB_START","logDateTime":"2025-05-14T09:30:18.200114+00:00"}`,
	`{"event":"SNAPSHOT_START","eventData":{"sourceServerID":"s-1a2b3c4d5e6f70812"},"logDateTime":"2025-05-14T09:30:21.773001+00:00"}`,
	`{"event":"SNAPSHOT_START","eventData":{"sourceServerID":"s-9f8e7d6c5b4a30291"},"logDateTime":"2025-05-14T09:30:22Z"}`,
	`{"event":"SNAPSHOT_END","eventData":{"sourceServerID":"s-1a2b3c4d5e6f70812"},"logDateTime":"2025-05-14T09:33:40.015872+00:00"}`,
	`{"event":"SNAPSHOT_END","eventData":{"sourceServerID":"s-9f8e7d6c5b4a30291"},"logDateTime":"2025-05-14T09:34:02.5Z"}`,
	`{"event":"CONVERSION_START","eventData":{"conversionServerID":"i-07e1d2c3b4a596870","sourceServerID":"s-1a2b3c4d5e6f70812"},"logDateTime":"2025-05-14T09:34:30.441210+00:00"}`,
	`{"event":"CONVERSION_START","eventData":{"conversionServerID":"i-0a9b8c7d6e5f40312","sourceServerID":"s-9f8e7d6c5b4a30291"},"logDateTime":"2025-05-14T09:34:31.007348+00:00"}`,
	`{"event":"CONVERSION_END","eventData":{"conversionProperties":{"dataTimestamp":"2025-05-14T09:29:55.118000+00:00","forceUefi":false,"rootVolumeName":"/dev/sda1","volumeToConversionMap":{"/dev/sda1":{"snap-0f1e2d3c4b5a69788":"snap-0123456789abcdef0"}},"volumeToVolumeSize":{"/dev/sda1":85899345920}},"conversionServerID":"i-07e1d2c3b4a596870","sourceServerID":"s-1a2b3c4d5e6f70812"},"logDateTime":"2025-05-14T09:41:12.660009+00:00"}`,
	`{"event":"CONVERSION_END","eventData":{"conversionServerID":"i-0a9b8c7d6e5f40312","sourceServerID":"s-9f8e7d6c5b4a30291"},"logDateTime":"2025-05-14T09:42:50.300101+00:00"}`,
	`{"event":"LAUNCH_START","eventData":{"sourceServerID":"s-1a2b3c4d5e6f70812","targetInstanceID":"i-0d3c5b7a9e1f2a4c6"},"logDateTime":"2025-05-14T09:43:05.128877+00:00"}`,
	`{"event":"LAUNCH_START","eventData":{"sourceServerID":"s-9f8e7d6c5b4a30291"},"logDateTime":"2025-05-14T09:43:06.902215+00:00"}`,
	`{"event":"LAUNCH_FAILED","eventData":{"rawError":"An error occurred (InsufficientInstanceCapacity) when calling the RunInstances operation (reached max retries: 4): We currently do not have sufficient r5.4xlarge capacity in the Availability Zone you requested (us-east-1b). Our system will be working on provisioning additional capacity.\nLaunch template \"drs-launch-s-9f8e7d6c5b4a30291\" version 7; subnet \"subnet-0aa1bb2cc3dd4ee5f\" <private>","sourceServerID":"s-9f8e7d6c5b4a30291"},"logDateTime":"2025-05-14T09:47:31.554390+00:00"}`,
	`{"event":"JOB_END","logDateTime":"2025-05-14T09:52:46.700000+00:00"}`,
}

var cleanup = job{id: "drsjob-7a4e2b9c1d0f3e5b8", region: east, created: time.Date(2025, 5, 14, 11, 2, 40, 0, time.UTC),
	data: `{"arn":"arn:aws:drs:us-east-1:123456789012:job/drsjob-7a4e2b9c1d0f3e5b8","creationDateTime":"2025-05-14T11:02:40Z","endDateTime":"2025-05-14T11:04:09.230551+00:00","initiatedBy":"TERMINATE_RECOVERY_INSTANCES","jobID":"drsjob-7a4e2b9c1d0f3e5b8","participatingServers":[{"launchStatus":"TERMINATED","recoveryInstanceID":"i-0d3c5b7a9e1f2a4c6","sourceServerID":"s-1a2b3c4d5e6f70812"}],"status":"COMPLETED","tags":{},"type":"TERMINATE"}`}

var cleanupLog = []string{
	`{"event":"JOB_START","logDateTime":"2025-05-14T11:02:44.118205+00:00"}`,
	`{"event":"CLEANUP_START","eventData":{"sourceServerID":"s-1a2b3c4d5e6f70812","targetInstanceID":"i-0d3c5b7a9e1f2a4c6"},"logDateTime":"2025-05-14T11:02:47.500000+00:00"}`,
	`{"event":"CLEANUP_END","eventData":{"sourceServerID":"s-1a2b3c4d5e6f70812","targetInstanceID":"i-0d3c5b7a9e1f2a4c6"},"logDateTime":"2025-05-14T11:03:58.004417+00:00"}`,
	`{"event":"JOB_END","logDateTime":"2025-05-14T11:04:08Z"}`,
}

var westDrill = job{id: "drsjob-0b1c2d3e4f5a6b7c8", region: west, created: time.Date(2025, 5, 20, 16, 45, 0, 250000000, time.UTC),
	data: `{"arn":"arn:aws:drs:us-west-2:123456789012:job/drsjob-0b1c2d3e4f5a6b7c8","creationDateTime":"2025-05-20T16:45:00.25Z","endDateTime":"2025-05-20T16:58:13.640012+00:00","initiatedBy":"START_DRILL","jobID":"drsjob-0b1c2d3e4f5a6b7c8","participatingServers":[{"launchStatus":"LAUNCHED","recoveryInstanceID":"i-0f9e8d7c6b5a41302","sourceServerID":"s-4c5d6e7f8091a2b3c"}],"status":"COMPLETED","tags":{"purpose":"dr-test"},"type":"LAUNCH"}`}

var westDrillLog = []string{
	`{"event":"JOB_START","logDateTime":"2025-05-20T16:45:06.310092+00:00"}`,
	`{"event":"USING_PREVIOUS_SNAPSHOT","eventData":{"sourceServerID":"s-4c5d6e7f8091a2b3c"},"logDateTime":"2025-05-20T16:45:09.870331+00:00"}`,
	`{"event":"CONVERSION_START","eventData":{"conversionServerID":"i-0c1d2e3f4a5b60718","sourceServerID":"s-4c5d6e7f8091a2b3c"},"logDateTime":"2025-05-20T16:45:30Z"}`,
	`{"event":"CONVERSION_END","eventData":{"conversionServerID":"i-0c1d2e3f4a5b60718","sourceServerID":"s-4c5d6e7f8091a2b3c"},"logDateTime":"2025-05-20T16:53:44.128000+00:00"}`,
	`{"event":"LAUNCH_START","eventData":{"sourceServerID":"s-4c5d6e7f8091a2b3c","targetInstanceID":"i-0f9e8d7c6b5a41302"},"logDateTime":"2025-05-20T16:54:02.415230+00:00"}`,
	`{"event":"JOB_END","logDateTime":"2025-05-20T16:58:12.900301+00:00"}`,
}

// The recovery was running at the first sync and done by the second: its
// record was replaced in place.
var recoveryRunning = job{id: "drsjob-e5d4c3b2a1f0e9d87", region: east, created: time.Date(2025, 6, 2, 2, 16, 30, 0, time.UTC),
	data: `{"arn":"arn:aws:drs:us-east-1:123456789012:job/drsjob-e5d4c3b2a1f0e9d87","creationDateTime":"2025-06-02T02:16:30Z","initiatedBy":"START_RECOVERY","jobID":"drsjob-e5d4c3b2a1f0e9d87","participatingServers":[{"launchStatus":"PENDING","sourceServerID":"s-9f8e7d6c5b4a30291"}],"status":"STARTED","tags":{"incident":"INC-4471"},"type":"LAUNCH"}`}

var recoveryDone = job{id: recoveryRunning.id, region: east, created: recoveryRunning.created,
	data: `{"arn":"arn:aws:drs:us-east-1:123456789012:job/drsjob-e5d4c3b2a1f0e9d87","creationDateTime":"2025-06-02T02:16:30Z","endDateTime":"2025-06-02T02:31:07.781120+00:00","initiatedBy":"START_RECOVERY","jobID":"drsjob-e5d4c3b2a1f0e9d87","participatingServers":[{"launchStatus":"LAUNCHED","recoveryInstanceID":"i-0e4f5a6b7c8d9e0f1","sourceServerID":"s-9f8e7d6c5b4a30291"}],"status":"COMPLETED","tags":{"incident":"INC-4471"},"type":"LAUNCH"}`}

var recoveryLog = []string{
	`{"event":"JOB_START","logDateTime":"2025-06-02T02:16:35.014471+00:00"}`,
	`{"event":"SNAPSHOT_START","eventData":{"sourceServerID":"s-9f8e7d6c5b4a30291"},"logDateTime":"2025-06-02T02:16:39.902113+00:00"}`,
	`{"event":"SNAPSHOT_END","eventData":{"sourceServerID":"s-9f8e7d6c5b4a30291"},"logDateTime":"2025-06-02T02:19:51.330400+00:00"}`,
	`{"event":"CONVERSION_START","eventData":{"conversionServerID":"i-0b2c3d4e5f6a70819","sourceServerID":"s-9f8e7d6c5b4a30291"},"logDateTime":"2025-06-02T02:20:10.000500+00:00"}`,
	`{"event":"CONVERSION_END","eventData":{"conversionServerID":"i-0b2c3d4e5f6a70819","sourceServerID":"s-9f8e7d6c5b4a30291"},"logDateTime":"2025-06-02T02:27:48.611902+00:00"}`,
	`{"event":"LAUNCH_START","eventData":{"sourceServerID":"s-9f8e7d6c5b4a30291","targetInstanceID":"i-0e4f5a6b7c8d9e0f1"},"logDateTime":"2025-06-02T02:28:03.250000+00:00"}`,
	`{"event":"JOB_END","logDateTime":"2025-06-02T02:31:06.918004+00:00"}`,
}

// newJob started just before the second sync and was still running.
var newJob = job{id: "drsjob-5f6e7d8c9b0a1f2e3", region: east, created: time.Date(2025, 6, 3, 2, 15, 51, 338000000, time.UTC),
	data: `{"arn":"arn:aws:drs:us-east-1:123456789012:job/drsjob-5f6e7d8c9b0a1f2e3","creationDateTime":"2025-06-03T02:15:51.338+00:00","initiatedBy":"DIAGNOSTIC","jobID":"drsjob-5f6e7d8c9b0a1f2e3","participatingServers":[{"launchStatus":"PENDING","sourceServerID":"s-1a2b3c4d5e6f70812"}],"status":"STARTED","tags":{},"type":"CREATE_CONVERTED_SNAPSHOT"}`}

var newJobLog = []string{
	`{"event":"JOB_START","logDateTime":"2025-06-03T02:15:57.004189+00:00"}`,
}

// app-prod-01 replicated continuously at the first sync and had stalled by
// the second.
var appHealthy = server{id: "s-1a2b3c4d5e6f70812", region: east,
	data: `{"agentVersion":"4.6.1298.0","arn":"arn:aws:drs:us-east-1:123456789012:source-server/s-1a2b3c4d5e6f70812","dataReplicationInfo":{"dataReplicationState":"CONTINUOUS","lagDuration":"PT2S","replicatedDisks":[{"backloggedStorageBytes":0,"deviceName":"/dev/sda1","replicatedStorageBytes":85899345920,"rescannedStorageBytes":0,"totalStorageBytes":85899345920}],"stagingAvailabilityZone":"us-east-1a"},"lastLaunchResult":"SUCCEEDED","lifeCycle":{"addedToServiceDateTime":"2025-01-09T14:20:31.5Z","elapsedReplicationDuration":"P143DT11H56M33S","firstByteDateTime":"2025-01-09T14:31:02.118000+00:00","lastLaunch":{"initiated":{"apiCallDateTime":"2025-05-14T09:30:12.104233+00:00","jobID":"drsjob-3c1f0a9b7d2e4c6a1","type":"DRILL"},"status":"LAUNCHED"},"lastSeenByServiceDateTime":"2025-06-02T02:16:58.430001+00:00"},"replicationDirection":"FAILOVER","sourceCloudProperties":{},"sourceProperties":{"cpus":[{"cores":8,"modelName":"Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz"}],"disks":[{"bytes":85899345920,"deviceName":"/dev/sda1"}],"identificationHints":{"fqdn":"app-prod-01.corp.example.com","hostname":"app-prod-01","vmWareUuid":"4217c2a9-3f0e-8d1b-6a5c-0e9f8d7c6b5a"},"lastUpdatedDateTime":"2025-06-01T22:10:04.002000+00:00","networkInterfaces":[{"ips":["10.20.1.15"],"isPrimary":true,"macAddress":"00:50:56:9a:1b:2c"}],"os":{"fullString":"Red Hat Enterprise Linux release 8.9 (Ootpa)"},"ramBytes":34359738368,"recommendedInstanceType":"m5.2xlarge"},"sourceServerID":"s-1a2b3c4d5e6f70812","stagingArea":{"status":"NOT_EXTENDED"},"tags":{"Name":"app-prod-01","environment":"prod"}}`}

var appStalled = server{id: "s-1a2b3c4d5e6f70812", region: east,
	data: `{"agentVersion":"4.6.1298.0","arn":"arn:aws:drs:us-east-1:123456789012:source-server/s-1a2b3c4d5e6f70812","dataReplicationInfo":{"dataReplicationError":{"error":"AGENT_NOT_SEEN","rawError":"Replication agent last reported 2025-06-02T19:44:10Z; host \"app-prod-01\" unreachable <timeout>"},"dataReplicationState":"STALLED","lagDuration":"PT6H32M53S","replicatedDisks":[{"backloggedStorageBytes":2147483648,"deviceName":"/dev/sda1","replicatedStorageBytes":85899345920,"rescannedStorageBytes":0,"totalStorageBytes":85899345920}],"stagingAvailabilityZone":"us-east-1a"},"lastLaunchResult":"SUCCEEDED","lifeCycle":{"addedToServiceDateTime":"2025-01-09T14:20:31.5Z","elapsedReplicationDuration":"P144DT11H56M32S","firstByteDateTime":"2025-01-09T14:31:02.118000+00:00","lastLaunch":{"initiated":{"apiCallDateTime":"2025-05-14T09:30:12.104233+00:00","jobID":"drsjob-3c1f0a9b7d2e4c6a1","type":"DRILL"},"status":"LAUNCHED"},"lastSeenByServiceDateTime":"2025-06-02T19:44:10Z"},"replicationDirection":"FAILOVER","sourceCloudProperties":{},"sourceProperties":{"cpus":[{"cores":8,"modelName":"Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz"}],"disks":[{"bytes":85899345920,"deviceName":"/dev/sda1"}],"identificationHints":{"fqdn":"app-prod-01.corp.example.com","hostname":"app-prod-01","vmWareUuid":"4217c2a9-3f0e-8d1b-6a5c-0e9f8d7c6b5a"},"lastUpdatedDateTime":"2025-06-02T19:40:00Z","networkInterfaces":[{"ips":["10.20.1.15"],"isPrimary":true,"macAddress":"00:50:56:9a:1b:2c"}],"os":{"fullString":"Red Hat Enterprise Linux release 8.9 (Ootpa)"},"ramBytes":34359738368,"recommendedInstanceType":"m5.2xlarge"},"sourceServerID":"s-1a2b3c4d5e6f70812","stagingArea":{"status":"NOT_EXTENDED"},"tags":{"Name":"app-prod-01","environment":"prod"}}`}

// db-prod-01's state did not change between the syncs, only its clocks.
var dbServer = server{id: "s-9f8e7d6c5b4a30291", region: east,
	data: `{"agentVersion":"4.7.1532.0","arn":"arn:aws:drs:us-east-1:123456789012:source-server/s-9f8e7d6c5b4a30291","dataReplicationInfo":{"dataReplicationState":"CONTINUOUS","lagDuration":"PT1S","replicatedDisks":[{"backloggedStorageBytes":0,"deviceName":"/dev/nvme0n1","replicatedStorageBytes":214748364800,"rescannedStorageBytes":0,"totalStorageBytes":214748364800},{"backloggedStorageBytes":0,"deviceName":"/dev/nvme1n1","replicatedStorageBytes":1099511627776,"rescannedStorageBytes":0,"totalStorageBytes":1099511627776}],"stagingAvailabilityZone":"us-east-1b"},"lastLaunchResult":"SUCCEEDED","lifeCycle":{"addedToServiceDateTime":"2024-11-27T08:02:11Z","firstByteDateTime":"2024-11-27T08:15:40.3Z","lastLaunch":{"initiated":{"apiCallDateTime":"2025-06-02T02:16:30Z","jobID":"drsjob-e5d4c3b2a1f0e9d87","type":"RECOVERY"},"status":"LAUNCHED"}},"recoveryInstanceId":"i-0e4f5a6b7c8d9e0f1","replicationDirection":"FAILOVER","sourceCloudProperties":{"originAccountID":"123456789012","originAvailabilityZone":"eu-west-1a","originRegion":"eu-west-1"},"sourceProperties":{"cpus":[{"cores":16,"modelName":"AMD EPYC 7R13 Processor"}],"disks":[{"bytes":214748364800,"deviceName":"/dev/nvme0n1"},{"bytes":1099511627776,"deviceName":"/dev/nvme1n1"}],"identificationHints":{"awsInstanceID":"i-0123abcd4567ef890","fqdn":"ip-10-3-41-67.eu-west-1.compute.internal","hostname":"db-prod-01"},"networkInterfaces":[{"ips":["10.3.41.67"],"isPrimary":true,"macAddress":"0a:8c:ea:78:f4:dc"}],"os":{"fullString":"Ubuntu 22.04.4 LTS"},"ramBytes":137438953472,"recommendedInstanceType":"r5.4xlarge"},"sourceServerID":"s-9f8e7d6c5b4a30291","stagingArea":{"status":"NOT_EXTENDED"},"tags":{"Name":"db-prod-01","environment":"prod","owner":"Zoë <dr-team> & ops"}}`}

var westServer = server{id: "s-4c5d6e7f8091a2b3c", region: west,
	data: `{"agentVersion":"4.6.1298.0","arn":"arn:aws:drs:us-west-2:123456789012:source-server/s-4c5d6e7f8091a2b3c","dataReplicationInfo":{"dataReplicationState":"CONTINUOUS","lagDuration":"PT3S","replicatedDisks":[{"backloggedStorageBytes":0,"deviceName":"C:0","replicatedStorageBytes":128849018880,"rescannedStorageBytes":0,"totalStorageBytes":128849018880}],"stagingAvailabilityZone":"us-west-2c"},"lastLaunchResult":"SUCCEEDED","lifeCycle":{"addedToServiceDateTime":"2025-02-18T10:00:00Z","firstByteDateTime":"2025-02-18T10:12:45.9Z","lastLaunch":{"initiated":{"apiCallDateTime":"2025-05-20T16:45:00.25Z","jobID":"drsjob-0b1c2d3e4f5a6b7c8","type":"DRILL"},"status":"LAUNCHED"}},"replicationDirection":"FAILOVER","sourceCloudProperties":{},"sourceProperties":{"cpus":[{"cores":4,"modelName":"Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz"}],"disks":[{"bytes":128849018880,"deviceName":"C:0"}],"identificationHints":{"fqdn":"FILESRV02.corp.example.com","hostname":"FILESRV02"},"networkInterfaces":[{"ips":["10.40.8.22"],"isPrimary":true,"macAddress":"00:50:56:a1:3e:7f"}],"os":{"fullString":"Microsoft Windows Server 2019 Datacenter"},"ramBytes":17179869184,"recommendedInstanceType":"m5.xlarge"},"sourceServerID":"s-4c5d6e7f8091a2b3c","stagingArea":{"status":"NOT_EXTENDED"},"tags":{"Name":"FILESRV02","environment":"prod"}}`}
