//go:build ignore

// Command schemas writes one archive for every schema version main has
// written after schema 1 (testdata/gen writes schema 1), laid out exactly
// as the archiver of that version wrote it, for the tests that upgrade old
// files to the current schema:
//
//	schema2.db               change log of record keys
//	schema3.db               binary record headers
//	schema4.db               job-log index as one key list per job
//	schema5.db               staging accounts, Snowball cluster jobs, SMS
//	                         jobs, import provenance (imported data kept
//	                         the AWS CLI's indentation)
//	schema6.db               hash chain
//	schema7.db               DRS recovery snapshots and instances (the
//	                         line that had step 7 before step 8)
//	schema8-before-step7.db  deleted-upstream markings, from the main that
//	                         had step 8 but not yet step 7: no recovery
//	                         buckets
//	schema8.db               both
//	schema9.db               imported data compacted
//	schema10.db              the same, with the steps applied recorded
//	                         by name (step 10 added nothing to a file that
//	                         had step 7)
//	schema11.db              the buckets of DRS launch and replication
//	                         configurations and source networks (empty)
//	schema12.db              the transparency log: its first leaf anchors
//	                         the empty chain of a new file, one leaf per
//	                         link after it
//	schema13.db              job log states and deleted-upstream markings
//	                         linked into the chain as they change, their
//	                         sums covering the key they are filed under
//	schema14.db              the bucket of compression dictionaries (empty:
//	                         no kind has records enough to train one, so
//	                         every record is stored plainly)
//
// testdata/schema14-compressed.db is not written here: it is schema13.db
// as the archiver of schema 14 left it after 'migrate' and compressing its
// records one by one with dictionaries it trained (package reczip).
//
// Regenerate them, from the module root, with
//
//	go generate ./migrations
//
// which runs
//
//	go run testdata/gen/schemas/main.go -dir testdata
//
// in the migrations directory. The same program writes the same bytes.
//
// Every layout is spelled out here, frozen: the record encodings, bucket
// names, kind codes, change-log entries and hash chain are copies of what
// each version wrote, never today's archive code, so that the files stay
// what old archivers wrote however the program changes.
//
// Each file holds the history of two nightly syncs of a small estate in one
// region and account (and, from schema 5, an import of saved AWS CLI
// output), with a few records of each kind its version knew:
//
//   - a drill that completed before the first sync, whose log the first
//     sync read whole;
//   - a recovery running at the first sync and completed by the second,
//     its log read in two parts;
//   - two source servers, one of which changed between the syncs;
//   - from schema 5: a staging account, a Snowball cluster job, an SMS
//     replication job, and a job with its log imported from saved output;
//   - from schema 7 (step 7): a recovery snapshot and a recovery instance;
//   - from schema 8 (step 8): the staging account, missing from the second
//     sync's listing, marked deleted upstream.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	merkle "github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	bolt "go.etcd.io/bbolt"
)

// layout is one file to write: its schema version and the steps of
// numbers 7 and 8 it has.
type layout struct {
	file     string
	version  int
	recovery bool // step 7: recovery snapshot and instance buckets
	deleted  bool // step 8: the deleted-upstream bucket
}

var layouts = []layout{
	{"schema2.db", 2, false, false},
	{"schema3.db", 3, false, false},
	{"schema4.db", 4, false, false},
	{"schema5.db", 5, false, false},
	{"schema6.db", 6, false, false},
	{"schema7.db", 7, true, false},
	{"schema8-before-step7.db", 8, false, true},
	{"schema8.db", 8, true, true},
	{"schema9.db", 9, true, true},
	{"schema10.db", 10, true, true},
	{"schema11.db", 11, true, true},
	{"schema12.db", 12, true, true},
	{"schema13.db", 13, true, true},
	{"schema14.db", 14, true, true},
}

const (
	account = "123456789012"
	region  = "us-east-1"
)

var (
	sync1 = time.Date(2025, 9, 1, 2, 17, 4, 512000000, time.UTC)
	sync2 = time.Date(2025, 9, 2, 2, 17, 3, 981000000, time.UTC)
	impAt = time.Date(2025, 9, 2, 9, 3, 11, 250000000, time.UTC)
)

func main() {
	dir := flag.String("dir", "testdata", "directory to write the files to (each replaced if it exists)")
	flag.Parse()
	for _, l := range layouts {
		write(filepath.Join(*dir, l.file), l)
	}
}

// write makes the file of layout l. The history goes to a scratch file,
// in transactions as the archiver made them; a compacted copy of it,
// holding the same buckets, keys, values and sequences without the free
// pages, is the fixture.
func write(out string, l layout) {
	scratch := out + ".scratch"
	for _, f := range []string{out, scratch} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			log.Fatal(err)
		}
	}
	db, err := bolt.Open(scratch, 0o600, &bolt.Options{PageSize: 4096})
	if err != nil {
		log.Fatal(err)
	}
	f := &file{l: l, db: db, recs: map[string]stored{}}
	f.create()
	f.history()
	dst, err := bolt.Open(out, 0o600, &bolt.Options{PageSize: 4096})
	if err != nil {
		log.Fatal(err)
	}
	compact(dst, db)
	for _, c := range []func() error{dst.Close, db.Close, func() error { return os.Remove(scratch) }} {
		if err := c(); err != nil {
			log.Fatal(err)
		}
	}
	fi, err := os.Stat(out)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %s (%d bytes)\n", out, fi.Size())
}

// compact copies every bucket of src into dst, one transaction per bucket
// in name order, so that the same history gives the same bytes.
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

// kindNames numbers record kinds, as the binary header and the change log
// store them (append-only since schema 2).
var kindNames = []string{"drs.job", "drs.jobLogItem", "drs.sourceServer", "snowball.clusterJob", "sms.replicationJob",
	"drs.stagingAccount", "drs.recoverySnapshot", "drs.recoveryInstance"}

func kindCode(kind string) byte {
	for i, k := range kindNames {
		if k == kind {
			return byte(i)
		}
	}
	log.Fatalf("unknown kind %s", kind)
	return 0
}

// Change-log and hash-chain operations.
const (
	opPut   = 1
	opTouch = 2
	opMark  = 6
)

type file struct {
	l    layout
	db   *bolt.DB
	recs map[string]stored // record key -> header and data, to touch records
}

type stored struct {
	h    header
	data string
}

// header is a record's provenance.
type header struct {
	Kind                      string
	ID, Region, Account       string
	JobID                     string
	Pos                       int
	HasPos                    bool
	Time, FirstSeen, LastSeen time.Time
	CapturedAt                time.Time
	HasCaptured               bool
	ClusterID                 string
	ImportFile, ImportSHA256  string
}

// create makes the file as a new archive of its version: the buckets of
// every step up to it, the version, and, from schema 6, the chain's start.
func (f *file) create() {
	f.update(func(w *txw) {
		names := []string{"meta", "drs.job", "drs.jobLogItem", "drs.sourceServer", "snowball.clusterJob", "sms.replicationJob", "ids", "joblog", "jobstate", "changes"}
		if f.l.version >= 5 {
			names = append(names, "drs.stagingAccount")
		}
		if f.l.recovery {
			names = append(names, "drs.recoverySnapshot", "drs.recoveryInstance")
		}
		if f.l.deleted {
			names = append(names, "deleted")
		}
		if f.l.version >= 11 {
			names = append(names, "drs.launchConfiguration", "drs.replicationConfiguration", "drs.sourceNetwork")
		}
		if f.l.version >= 14 {
			names = append(names, "dicts")
		}
		for _, n := range names {
			if _, err := w.tx.CreateBucket([]byte(n)); err != nil {
				log.Fatal(err)
			}
		}
		meta := w.tx.Bucket([]byte("meta"))
		if f.l.version >= 6 {
			// A new file: the change log is empty, the chain starts at its
			// first entry and has no links yet.
			must(meta.Put([]byte("chainStart"), binary.BigEndian.AppendUint64(nil, 1)))
		}
		must(meta.Put([]byte("schemaVersion"), binary.BigEndian.AppendUint32(nil, uint32(f.l.version))))
		if f.l.version >= 12 {
			// A new file's log: leaf 0 anchors the empty chain (0x00, link
			// count 0, zero hash), and the log's name is the file's own.
			anchor := make([]byte, 1+8+32)
			edge := binary.BigEndian.AppendUint64(nil, 1)
			edge = append(edge, rfc6962.DefaultHasher.HashLeaf(anchor)...)
			must(meta.Put([]byte("logStart"), binary.BigEndian.AppendUint64(nil, 0)))
			must(meta.Put([]byte("logRange"), edge))
			must(meta.Put([]byte("logID"), []byte("archiver.invalid/log/5c4e0a2b9d7f41e6a3b8c1d2e4f60718")))
		}
		switch {
		case f.l.version >= 14:
			must(meta.Put([]byte("schemaSteps"), []byte(stepsRecord10+"11 drs-settings-and-source-networks\n12 transparency-log\n13 log-job-states-and-markings\n14 compressed-records\n")))
		case f.l.version >= 13:
			must(meta.Put([]byte("schemaSteps"), []byte(stepsRecord10+"11 drs-settings-and-source-networks\n12 transparency-log\n13 log-job-states-and-markings\n")))
		case f.l.version >= 12:
			must(meta.Put([]byte("schemaSteps"), []byte(stepsRecord10+"11 drs-settings-and-source-networks\n12 transparency-log\n")))
		case f.l.version >= 11:
			must(meta.Put([]byte("schemaSteps"), []byte(stepsRecord10+"11 drs-settings-and-source-networks\n")))
		case f.l.version >= 10:
			// From schema 10 a file records the steps applied to it by
			// name; a new file had every step up to its version.
			must(meta.Put([]byte("schemaSteps"), []byte(stepsRecord10)))
		}
	})
}

// stepsRecord10 is the record of applied steps of a new schema 10 file.
const stepsRecord10 = "1 initial-buckets\n2 change-log\n3 binary-record-headers\n4 job-log-lists\n" +
	"5 staging-accounts-and-provenance\n6 hash-chain\n7 drs-recovery-snapshots-and-instances\n8 deleted-upstream\n" +
	"9 compact-imported-data\n10 drs-recovery-buckets-where-missing\n"

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// txw is one write transaction and the records it wrote; from schema 13,
// extra are its job-state links, which follow the others.
type txw struct {
	f     *file
	tx    *bolt.Tx
	muts  []mut
	extra []mut
}

// mut is one link: a record written (value, hashed whole), or, when filed
// is set, a link whose kind code and sum are given (schema 13's job states
// and markings).
type mut struct {
	op    byte
	kind  string
	key   []byte
	value []byte
	filed bool
	code  byte
	sum   [32]byte
}

// link returns the kind code and sum of m's link.
func (m mut) link() (byte, [32]byte) {
	if m.filed {
		return m.code, m.sum
	}
	var sum [32]byte
	if m.value != nil {
		sum = sha256.Sum256(m.value)
	}
	return kindCode(m.kind), sum
}

// filedSum is the sum of schema 13's job-state and marking links:
// SHA-256 of the 4-byte big-endian length of the key a value is filed
// under, the key, and the value.
func filedSum(key, v []byte) [32]byte {
	return sha256.Sum256(append(append(binary.BigEndian.AppendUint32(nil, uint32(len(key))), key...), v...))
}

// update runs fn in one transaction and appends its change-log entry.
func (f *file) update(fn func(w *txw)) {
	err := f.db.Update(func(tx *bolt.Tx) error {
		w := &txw{f: f, tx: tx}
		fn(w)
		w.muts = append(w.muts, w.extra...)
		w.flush()
		return nil
	})
	must(err)
}

// flush appends the transaction's change-log entry: before schema 6, op,
// kind code and record key per write; from schema 6, the hash chain's
// links and trailer, and the new head in meta.
func (w *txw) flush() {
	if len(w.muts) == 0 {
		return
	}
	var v []byte
	meta := w.tx.Bucket([]byte("meta"))
	if w.f.l.version < 6 {
		for _, m := range w.muts {
			v = append(v, m.op, kindCode(m.kind))
			v = append(v, m.key...)
		}
	} else {
		var n uint64
		var hash [32]byte
		if h := meta.Get([]byte("chainHead")); h != nil {
			n = binary.BigEndian.Uint64(h)
			copy(hash[:], h[8:])
		}
		for _, m := range w.muts {
			code, sum := m.link()
			link := append([]byte{m.op, code}, m.key...)
			link = append(link, sum[:]...)
			v = append(v, link...)
			n++
			buf := append(append(append([]byte(nil), hash[:]...), binary.BigEndian.AppendUint64(nil, n)...), link...)
			hash = sha256.Sum256(buf)
		}
		head := append(binary.BigEndian.AppendUint64(nil, n), hash[:]...)
		v = append(v, head...)
		must(meta.Put([]byte("chainHead"), head))
		if w.f.l.version >= 12 {
			w.appendLeaves(meta)
		}
	}
	changes := w.tx.Bucket([]byte("changes"))
	seq, err := changes.NextSequence()
	must(err)
	must(changes.Put(binary.BigEndian.AppendUint64(nil, seq), v))
}

// appendLeaves adds a leaf per link of the transaction to the transparency
// log (schema 12): 0x01, op, kind code, record key, value SHA-256 (zero for
// a delete), its RFC 6962 leaf hash appended to the tree's right edge in
// meta (8-byte size, then the edge's hashes).
func (w *txw) appendLeaves(meta *bolt.Bucket) {
	edge := meta.Get([]byte("logRange"))
	var hashes [][]byte
	for i := 8; i < len(edge); i += 32 {
		hashes = append(hashes, bytes.Clone(edge[i:i+32]))
	}
	rf := merkle.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	rg, err := rf.NewRange(0, binary.BigEndian.Uint64(edge), hashes)
	must(err)
	for _, m := range w.muts {
		code, sum := m.link()
		leaf := append([]byte{0x01, m.op, code}, m.key...)
		leaf = append(leaf, sum[:]...)
		must(rg.Append(rfc6962.DefaultHasher.HashLeaf(leaf), nil))
	}
	out := binary.BigEndian.AppendUint64(nil, rg.End())
	for _, h := range rg.Hashes() {
		out = append(out, h...)
	}
	must(meta.Put([]byte("logRange"), out))
}

// key makes a record key for a record of time t: its Unix nanoseconds,
// sign bit flipped, then the next sequence number of the meta bucket.
func (w *txw) key(t time.Time) []byte {
	seq, err := w.tx.Bucket([]byte("meta")).NextSequence()
	must(err)
	k := binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())^(1<<63))
	return binary.BigEndian.AppendUint64(k, seq)
}

// encode renders a record as the file's version stores it.
func (f *file) encode(h header, data string) []byte {
	if !json.Valid([]byte(data)) {
		log.Fatalf("%s %s: data is not valid JSON", h.Kind, h.ID)
	}
	if f.l.version < 3 {
		return legacyEncode(h, data)
	}
	return binaryEncode(h, data)
}

// legacyEncode is the all-JSON layout of schemas 1 and 2: the provenance,
// then "data" with the AWS bytes spliced in untouched.
func legacyEncode(h header, data string) []byte {
	l := struct {
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
	}{Kind: h.Kind, ID: h.ID, Region: h.Region, Account: h.Account, JobID: h.JobID, Time: h.Time, FirstSeen: h.FirstSeen, LastSeen: h.LastSeen}
	if h.HasPos {
		p := h.Pos
		l.Pos = &p
	}
	if h.HasCaptured {
		c := h.CapturedAt
		l.CapturedAt = &c
	}
	head, err := json.Marshal(l)
	must(err)
	v := append(head[:len(head)-1], `,"data":`...)
	v = append(v, data...)
	return append(v, '}')
}

// binaryEncode is the binary header of schema 3 on: marker 0xA1, kind
// code, uvarint flags (ID 1, job ID 2, position 4, capture time 8, and from
// schema 5 cluster ID 16 and import 32), the strings present (uvarint
// length, bytes), the position, the times (varint Unix seconds, uvarint
// nanoseconds), then the data.
func binaryEncode(h header, data string) []byte {
	var flags uint64
	if h.ID != "" {
		flags |= 1
	}
	if h.JobID != "" {
		flags |= 2
	}
	if h.HasPos {
		flags |= 4
	}
	if h.HasCaptured {
		flags |= 8
	}
	if h.ClusterID != "" {
		flags |= 16
	}
	if h.ImportFile != "" {
		flags |= 32
	}
	str := func(b []byte, s string) []byte { return append(binary.AppendUvarint(b, uint64(len(s))), s...) }
	tm := func(b []byte, t time.Time) []byte {
		return binary.AppendUvarint(binary.AppendVarint(b, t.Unix()), uint64(t.Nanosecond()))
	}
	b := []byte{0xA1, kindCode(h.Kind)}
	b = binary.AppendUvarint(b, flags)
	if h.ID != "" {
		b = str(b, h.ID)
	}
	b = str(b, h.Region)
	b = str(b, h.Account)
	if h.JobID != "" {
		b = str(b, h.JobID)
	}
	if h.ClusterID != "" {
		b = str(b, h.ClusterID)
	}
	if h.ImportFile != "" {
		b = str(b, h.ImportFile)
		b = str(b, h.ImportSHA256)
	}
	if h.HasPos {
		b = binary.AppendUvarint(b, uint64(h.Pos))
	}
	b = tm(b, h.Time)
	if h.HasCaptured {
		b = tm(b, h.CapturedAt)
	}
	b = tm(b, h.FirstSeen)
	b = tm(b, h.LastSeen)
	return append(b, data...)
}

// put writes a record at k.
func (w *txw) put(op byte, h header, k []byte, data string) {
	v := w.f.encode(h, data)
	must(w.tx.Bucket([]byte(h.Kind)).Put(k, v))
	w.f.recs[string(k)] = stored{h, data}
	w.muts = append(w.muts, mut{op: op, kind: h.Kind, key: append([]byte(nil), k...), value: v})
}

// touch moves the lastSeen of the record at k.
func (w *txw) touch(k []byte, seen time.Time) {
	s := w.f.recs[string(k)]
	s.h.LastSeen = seen
	w.put(opTouch, s.h, k, s.data)
}

func identity(kind, id string) []byte {
	return []byte(kind + "\x00" + id + "\x00" + region + "\x00" + account)
}

// putLatest writes the latest state of an object kept once per identity
// (a job, a recovery snapshot): in place, keeping its key, when it was
// archived before.
func (w *txw) putLatest(h header, data string) {
	ids := w.tx.Bucket([]byte("ids"))
	id := identity(h.Kind, h.ID)
	if k := ids.Get(id); k != nil {
		k = append([]byte(nil), k...)
		h.FirstSeen = w.f.recs[string(k)].h.FirstSeen
		w.put(opPut, h, k, data)
		return
	}
	k := w.key(h.Time)
	w.put(opPut, h, k, data)
	must(ids.Put(id, k))
}

// observe keeps a snapshot of an observed object (a source server, staging
// account, Snowball or SMS job, recovery instance) if its state changed
// since the last one, else moves that one's lastSeen. The identity's entry
// is the record key, then the state fingerprint.
func (w *txw) observe(h header, data string) {
	ids := w.tx.Bucket([]byte("ids"))
	id := identity(h.Kind, h.ID)
	fp := fingerprint(data)
	if cur := ids.Get(id); cur != nil && bytes.Equal(cur[16:], fp) {
		w.touch(append([]byte(nil), cur[:16]...), h.LastSeen)
		return
	}
	k := w.key(h.Time)
	w.put(opPut, h, k, data)
	must(ids.Put(id, append(k, fp...)))
}

// volatile are the members left out of a state fingerprint.
var volatile = [][2]string{
	{"lifeCycle", "lastSeenByServiceDateTime"},
	{"lifeCycle", "elapsedReplicationDuration"},
	{"dataReplicationInfo", "etaDateTime"},
	{"dataReplicationInfo", "replicatedDisks"},
	{"sourceProperties", "lastUpdatedDateTime"},
}

// fingerprint is the SHA-256 of an object's state: the object without its
// volatile members, keys in canonical order.
func fingerprint(data string) []byte {
	dec := json.NewDecoder(strings.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	must(dec.Decode(&m))
	for _, p := range volatile {
		if sub, ok := m[p[0]].(map[string]any); ok {
			delete(sub, p[1])
		}
	}
	canon, err := json.Marshal(m)
	must(err)
	sum := sha256.Sum256(canon)
	return sum[:]
}

func jobPrefix(jobID string) []byte {
	return []byte(jobID + "\x00" + region + "\x00" + account + "\x00")
}

// putLog writes the log items of a job from position from on, and the
// job's state; items before from are touched.
func (w *txw) putLog(jobID string, items []string, from int, seen time.Time, complete bool, imp *header) {
	joblog := w.tx.Bucket([]byte("joblog"))
	prefix := jobPrefix(jobID)
	var list []byte
	if w.f.l.version >= 4 {
		list = append(list, joblog.Get(prefix)...)
	}
	for i := 0; i < from; i++ {
		var k []byte
		if w.f.l.version >= 4 {
			k = append([]byte(nil), list[i*16:i*16+16]...)
		} else {
			k = append([]byte(nil), joblog.Get(binary.BigEndian.AppendUint32(append([]byte(nil), prefix...), uint32(i)))...)
		}
		w.touch(k, seen)
	}
	for i := from; i < len(items); i++ {
		var it struct {
			LogDateTime time.Time `json:"logDateTime"`
		}
		must(json.Unmarshal([]byte(items[i]), &it))
		h := header{Kind: "drs.jobLogItem", Region: region, Account: account, JobID: jobID, Pos: i, HasPos: true,
			Time: it.LogDateTime.UTC(), FirstSeen: seen, LastSeen: seen}
		if imp != nil {
			h.ImportFile, h.ImportSHA256 = imp.ImportFile, imp.ImportSHA256
		}
		k := w.key(h.Time)
		w.put(opPut, h, k, items[i])
		if w.f.l.version >= 4 {
			list = append(list, k...)
		} else {
			must(joblog.Put(binary.BigEndian.AppendUint32(append([]byte(nil), prefix...), uint32(i)), k))
		}
	}
	if w.f.l.version >= 4 {
		must(joblog.Put(prefix, list))
	}
	st, err := json.Marshal(struct {
		LogComplete bool `json:"logComplete"`
		LogItems    int  `json:"logItems"`
	}{complete, len(items)})
	must(err)
	states := w.tx.Bucket([]byte("jobstate"))
	if w.f.l.version >= 13 && !bytes.Equal(states.Get(prefix), st) {
		// A changed state is a link: op 9, kind code 0xFE, the first 16
		// bytes of the SHA-256 of the job's key.
		id := sha256.Sum256(prefix)
		w.extra = append(w.extra, mut{op: 9, key: id[:16], filed: true, code: 0xFE, sum: filedSum(prefix, st)})
	}
	must(states.Put(prefix, st))
}

// mark records that a complete listing no longer held the object: its
// identity -> the marking, a link of the hash chain.
func (w *txw) mark(kind, id string, at time.Time) {
	ref := w.tx.Bucket([]byte("ids")).Get(identity(kind, id))
	k := append([]byte(nil), ref[:16]...)
	rec := w.f.recs[string(k)]
	v, err := json.Marshal(struct {
		Key               string    `json:"key"`
		DeletedUpstreamAt time.Time `json:"deletedUpstreamAt"`
		LastSeen          time.Time `json:"lastSeen"`
		ListedAt          time.Time `json:"listedAt"`
	}{hex.EncodeToString(k), at, rec.h.LastSeen, at})
	must(err)
	must(w.tx.Bucket([]byte("deleted")).Put(identity(kind, id), v))
	if w.f.l.version >= 13 {
		// The sum covers the identity the marking is filed under (op 8).
		w.muts = append(w.muts, mut{op: 8, kind: kind, key: k, filed: true, code: kindCode(kind), sum: filedSum(identity(kind, id), v)})
		return
	}
	w.muts = append(w.muts, mut{op: opMark, kind: kind, key: k, value: v})
}

func job(id string, created, seen time.Time) header {
	return header{Kind: "drs.job", ID: id, Region: region, Account: account, Time: created, FirstSeen: seen, LastSeen: seen}
}

func observed(kind, id string, t, seen time.Time) header {
	return header{Kind: kind, ID: id, Region: region, Account: account, Time: t, CapturedAt: seen, HasCaptured: true, FirstSeen: seen, LastSeen: seen}
}

// history writes the two syncs and the import.
func (f *file) history() {
	v5 := f.l.version >= 5
	// First sync.
	f.update(func(w *txw) {
		w.putLatest(job(drillID, drillCreated, sync1), drill)
		w.putLatest(job(recoveryID, recoveryCreated, sync1), recoveryRunning)
	})
	f.update(func(w *txw) { w.putLog(drillID, drillLog, 0, sync1, true, nil) })
	f.update(func(w *txw) { w.putLog(recoveryID, recoveryLog[:1], 0, sync1, false, nil) })
	f.update(func(w *txw) {
		w.observe(observed("drs.sourceServer", appID, sync1, sync1), appHealthy)
		w.observe(observed("drs.sourceServer", dbID, sync1, sync1), dbServer)
	})
	if v5 {
		f.update(func(w *txw) {
			w.observe(observed("drs.stagingAccount", stagingID, sync1, sync1), staging)
			sb := observed("snowball.clusterJob", snowballID, snowballCreated, sync1)
			sb.ClusterID = clusterID
			w.observe(sb, snowballJob)
			w.observe(observed("sms.replicationJob", smsID, smsSeeded, sync1), smsJob)
		})
	}
	if f.l.recovery {
		f.update(func(w *txw) {
			w.putLatest(header{Kind: "drs.recoverySnapshot", ID: snapshotID, Region: region, Account: account, Time: snapshotTaken, FirstSeen: sync1, LastSeen: sync1}, snapshot)
			w.observe(observed("drs.recoveryInstance", instanceID, snapshotTaken, sync1), instance)
		})
	}
	// Second sync.
	f.update(func(w *txw) {
		w.putLatest(job(recoveryID, recoveryCreated, sync2), recoveryDone)
		w.touch(append([]byte(nil), w.tx.Bucket([]byte("ids")).Get(identity("drs.job", drillID))...), sync2)
	})
	f.update(func(w *txw) { w.putLog(recoveryID, recoveryLog, 1, sync2, true, nil) })
	f.update(func(w *txw) {
		w.observe(observed("drs.sourceServer", appID, sync2, sync2), appStalled)
		w.observe(observed("drs.sourceServer", dbID, sync2, sync2), dbServer)
	})
	if v5 {
		f.update(func(w *txw) {
			sb := observed("snowball.clusterJob", snowballID, snowballCreated, sync2)
			sb.ClusterID = clusterID
			w.observe(sb, snowballJob)
			w.observe(observed("sms.replicationJob", smsID, smsSeeded, sync2), smsJob)
			if f.l.deleted {
				// The staging account was not in the second listing.
				w.mark("drs.stagingAccount", stagingID, sync2)
			}
		})
	}
	if f.l.recovery {
		f.update(func(w *txw) {
			w.putLatest(header{Kind: "drs.recoverySnapshot", ID: snapshotID, Region: region, Account: account, Time: snapshotTaken, FirstSeen: sync2, LastSeen: sync2}, snapshot)
			w.observe(observed("drs.recoveryInstance", instanceID, snapshotTaken, sync2), instance)
		})
	}
	// An import of saved AWS CLI output: before schema 9 the data kept the
	// CLI's indentation; schema 9 stores it compacted.
	if v5 {
		f.update(func(w *txw) {
			imp := header{ImportFile: "drs-describe-jobs-2025-08.json", ImportSHA256: importSHA}
			h := job(oldID, oldCreated, impAt)
			h.ImportFile, h.ImportSHA256 = imp.ImportFile, imp.ImportSHA256
			data, items := indent(oldJob), make([]string, len(oldLog))
			for i, it := range oldLog {
				items[i] = indent(it)
			}
			if f.l.version >= 9 {
				data, items = oldJob, oldLog
			}
			w.putLatest(h, data)
			w.putLog(oldID, items, 0, impAt, true, &imp)
		})
	}
}

// indent renders data as the AWS CLI prints it: four spaces a level.
func indent(data string) string {
	var b bytes.Buffer
	must(json.Indent(&b, []byte(data), "", "    "))
	return b.String()
}

// The history. Data is compact, as AWS sends it; strings hold escapes,
// non-ASCII and HTML characters, so that any change to the bytes shows.

const (
	drillID    = "drsjob-7a1b2c3d4e5f60718"
	recoveryID = "drsjob-8b2c3d4e5f6071829"
	oldID      = "drsjob-1f2e3d4c5b6a79808"
	appID      = "s-2b3c4d5e6f7081920"
	dbID       = "s-3c4d5e6f708192a3b"
	stagingID  = "210987654321"
	snowballID = "JID1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809"
	clusterID  = "CID0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	smsID      = "sms-job-0a1b2c3d4e5f60718"
	snapshotID = "pit-0123456789abcdef0"
	instanceID = "i-0a1b2c3d4e5f60718"
	importSHA  = "5d41402abc4b2a76b9719d911017c592aaf2d1b3c4e5f60718293a4b5c6d7e8f"
)

var (
	drillCreated    = time.Date(2025, 8, 20, 9, 30, 12, 104233000, time.UTC)
	recoveryCreated = time.Date(2025, 9, 1, 2, 10, 30, 0, time.UTC)
	oldCreated      = time.Date(2025, 8, 3, 14, 0, 5, 700000000, time.UTC)
	snowballCreated = time.Date(2025, 7, 15, 16, 20, 0, 0, time.UTC)
	smsSeeded       = time.Date(2025, 6, 30, 23, 0, 0, 0, time.UTC)
	snapshotTaken   = time.Date(2025, 9, 1, 1, 50, 0, 0, time.UTC)
)

var drill = `{"arn":"arn:aws:drs:us-east-1:123456789012:job/drsjob-7a1b2c3d4e5f60718","creationDateTime":"2025-08-20T09:30:12.104233+00:00","endDateTime":"2025-08-20T09:52:47.918020+00:00","initiatedBy":"START_DRILL","jobID":"drsjob-7a1b2c3d4e5f60718","participatingServers":[{"launchStatus":"LAUNCHED","recoveryInstanceID":"i-0a1b2c3d4e5f60718","sourceServerID":"s-2b3c4d5e6f7081920"}],"status":"COMPLETED","tags":{"requested-by":"Zoë <dr-team> & ops"},"type":"LAUNCH"}`

var drillLog = []string{
	`{"event":"JOB_START","logDateTime":"2025-08-20T09:30:18.200114+00:00"}`,
	`{"event":"LAUNCH_START","eventData":{"sourceServerID":"s-2b3c4d5e6f7081920","targetInstanceID":"i-0a1b2c3d4e5f60718"},"logDateTime":"2025-08-20T09:43:05.128877+00:00"}`,
	`{"event":"JOB_END","logDateTime":"2025-08-20T09:52:47.5Z"}`,
}

var recoveryRunning = `{"arn":"arn:aws:drs:us-east-1:123456789012:job/drsjob-8b2c3d4e5f6071829","creationDateTime":"2025-09-01T02:10:30Z","initiatedBy":"START_RECOVERY","jobID":"drsjob-8b2c3d4e5f6071829","participatingServers":[{"launchStatus":"PENDING","sourceServerID":"s-3c4d5e6f708192a3b"}],"status":"STARTED","tags":{"incident":"INC-5102"},"type":"LAUNCH"}`

var recoveryDone = `{"arn":"arn:aws:drs:us-east-1:123456789012:job/drsjob-8b2c3d4e5f6071829","creationDateTime":"2025-09-01T02:10:30Z","endDateTime":"2025-09-01T02:31:07.781120+00:00","initiatedBy":"START_RECOVERY","jobID":"drsjob-8b2c3d4e5f6071829","participatingServers":[{"launchStatus":"FAILED","sourceServerID":"s-3c4d5e6f708192a3b"}],"status":"COMPLETED","tags":{"incident":"INC-5102"},"type":"LAUNCH"}`

var recoveryLog = []string{
	`{"event":"JOB_START","logDateTime":"2025-09-01T02:10:35.014471+00:00"}`,
	`{"event":"LAUNCH_FAILED","eventData":{"rawError":"InsufficientInstanceCapacity: \"r5.4xlarge\" <us-east-1b>","sourceServerID":"s-3c4d5e6f708192a3b"},"logDateTime":"2025-09-01T02:28:03.25Z"}`,
	`{"event":"JOB_END","logDateTime":"2025-09-01T02:31:06.918004+00:00"}`,
}

var oldJob = `{"arn":"arn:aws:drs:us-east-1:123456789012:job/drsjob-1f2e3d4c5b6a79808","creationDateTime":"2025-08-03T14:00:05.7+00:00","endDateTime":"2025-08-03T14:20:00+00:00","initiatedBy":"DIAGNOSTIC","jobID":"drsjob-1f2e3d4c5b6a79808","participatingServers":[{"launchStatus":"LAUNCHED","sourceServerID":"s-2b3c4d5e6f7081920"}],"status":"COMPLETED","tags":{},"type":"CREATE_CONVERTED_SNAPSHOT"}`

var oldLog = []string{
	`{"event":"JOB_START","logDateTime":"2025-08-03T14:00:09.1+00:00"}`,
	`{"event":"JOB_END","logDateTime":"2025-08-03T14:19:58.002+00:00"}`,
}

var appHealthy = `{"arn":"arn:aws:drs:us-east-1:123456789012:source-server/s-2b3c4d5e6f7081920","dataReplicationInfo":{"dataReplicationState":"CONTINUOUS","lagDuration":"PT2S","replicatedDisks":[{"deviceName":"/dev/sda1","replicatedStorageBytes":85899345920,"totalStorageBytes":85899345920}]},"lastLaunchResult":"SUCCEEDED","lifeCycle":{"addedToServiceDateTime":"2025-01-09T14:20:31.5Z","lastSeenByServiceDateTime":"2025-09-01T02:16:58.430001+00:00"},"replicationDirection":"FAILOVER","sourceProperties":{"identificationHints":{"hostname":"app-prod-02"},"os":{"fullString":"Red Hat Enterprise Linux release 9.4 (Plow)"}},"sourceServerID":"s-2b3c4d5e6f7081920","tags":{"Name":"app-prod-02"}}`

var appStalled = `{"arn":"arn:aws:drs:us-east-1:123456789012:source-server/s-2b3c4d5e6f7081920","dataReplicationInfo":{"dataReplicationError":{"error":"AGENT_NOT_SEEN","rawError":"host \"app-prod-02\" unreachable <timeout>"},"dataReplicationState":"STALLED","lagDuration":"PT6H32M53S","replicatedDisks":[{"deviceName":"/dev/sda1","replicatedStorageBytes":85899345920,"totalStorageBytes":85899345920}]},"lastLaunchResult":"SUCCEEDED","lifeCycle":{"addedToServiceDateTime":"2025-01-09T14:20:31.5Z","lastSeenByServiceDateTime":"2025-09-01T19:44:10Z"},"replicationDirection":"FAILOVER","sourceProperties":{"identificationHints":{"hostname":"app-prod-02"},"os":{"fullString":"Red Hat Enterprise Linux release 9.4 (Plow)"}},"sourceServerID":"s-2b3c4d5e6f7081920","tags":{"Name":"app-prod-02"}}`

var dbServer = `{"arn":"arn:aws:drs:us-east-1:123456789012:source-server/s-3c4d5e6f708192a3b","dataReplicationInfo":{"dataReplicationState":"CONTINUOUS","lagDuration":"PT1S"},"lastLaunchResult":"FAILED","lifeCycle":{"addedToServiceDateTime":"2024-11-27T08:02:11Z"},"replicationDirection":"FAILOVER","sourceProperties":{"identificationHints":{"hostname":"db-prod-02"},"os":{"fullString":"Ubuntu 24.04 LTS"}},"sourceServerID":"s-3c4d5e6f708192a3b","tags":{"Name":"db-prod-02","owner":"Zoë <dr-team> & ops"}}`

var staging = `{"accountID":"210987654321"}`

var snowballJob = `{"CreationDate":"2025-07-15T16:20:00Z","Description":"Edge cluster <site B> & lab","IsMaster":true,"JobId":"JID1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809","JobState":"InUse","JobType":"LOCAL_USE","SnowballType":"EDGE_C"}`

var smsJob = `{"frequency":12,"latestAmiId":"ami-0a1b2c3d4e5f60718","numberOfRecentAmisToKeep":3,"replicationJobId":"sms-job-0a1b2c3d4e5f60718","seedReplicationTime":"2025-06-30T23:00:00Z","serverId":"s-0f1e2d3c4b5a69788","serverType":"VIRTUAL_MACHINE","state":"ACTIVE","statusMessage":"replicating \"vm-17\" <ok>"}`

var snapshot = `{"ebsSnapshots":["snap-0123456789abcdef0"],"expectedTimestamp":"2025-09-01T01:50:00Z","snapshotID":"pit-0123456789abcdef0","sourceServerID":"s-3c4d5e6f708192a3b","timestamp":"2025-09-01T01:50:00Z"}`

var instance = `{"arn":"arn:aws:drs:us-east-1:123456789012:recovery-instance/i-0a1b2c3d4e5f60718","ec2InstanceID":"i-0a1b2c3d4e5f60718","ec2InstanceState":"RUNNING","isDrill":true,"jobID":"drsjob-7a1b2c3d4e5f60718","pointInTimeSnapshotDateTime":"2025-09-01T01:50:00Z","recoveryInstanceID":"i-0a1b2c3d4e5f60718","sourceServerID":"s-2b3c4d5e6f7081920","tags":{}}`
