package migrations

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/archiver-dev/archiver/internal/chain"
	"github.com/archiver-dev/archiver/internal/joblist"
	"github.com/archiver-dev/archiver/internal/recfmt"
)

// MetaBucket is the bucket that holds the schema version and other
// file-level facts. Its name never changes.
const MetaBucket = "meta"

// VersionKey is the key in MetaBucket under which the schema version is
// stored as a big-endian uint32.
const VersionKey = "schemaVersion"

// Step is one numbered change to the archive's layout.
type Step struct {
	// Version is the schema version the file has after this step.
	Version int
	// Name is a short identifier, e.g. "initial-buckets".
	Name string
	// Desc says in one sentence what the step does, for `migrate --dry-run`.
	Desc string
	// Apply performs the step inside the caller's write transaction. It must
	// be idempotent with respect to a file already at Version-1, and, for a
	// step with Present, with respect to any file the step may be run on.
	Apply func(tx *bolt.Tx) error
	// Present, if set, reports whether what the step makes is already in
	// the file. It is asked only of files from before the record of applied
	// steps (see StepsKey), whose applied steps are inferred from the
	// version number: a step the number claims but whose work is missing is
	// applied again. It is set for step 7 only, which archivers that had
	// step 8 first never applied; a missing bucket of any other step is
	// damage, for verify to report, not a step to run again.
	Present func(tx *bolt.Tx) bool
}

// ErrTooNew is returned when a file's schema version is newer than any step
// this binary knows, i.e. the file was written by a newer archiver.
var ErrTooNew = errors.New("archive was written by a newer archiver")

// steps is the ordered schema history. Append only; never edit a released
// step. A new step takes the number after the highest in
// testdata/released.txt, and its line is added there in the same change; a
// test holds the two together. testdata/gen/schemas writes an archive of
// every schema version released; add the layout of a new one there.
var steps = []Step{
	{
		Version: 1,
		Name:    "initial-buckets",
		Desc:    "create the meta, record, identity and job-log index buckets",
		Apply:   v1InitialBuckets,
	},
	{
		Version: 2,
		Name:    "change-log",
		Desc:    "create the change log that the full-text index follows",
		Apply:   v2ChangeLog,
	},
	{
		Version: 3,
		Name:    "binary-record-headers",
		Desc:    "rewrite records from an all-JSON layout to a binary header before the verbatim data, about half the size",
		Apply:   v3BinaryHeaders,
	},
	{
		Version: 4,
		Name:    "job-log-lists",
		Desc:    "index each job's log as one list of record keys instead of one entry per item",
		Apply:   v4JobLogLists,
	},
	{
		Version: 5,
		Name:    "staging-accounts-and-provenance",
		Desc:    "add the bucket of DRS staging accounts; records may now carry a Snowball cluster ID and the file they were imported from",
		Apply:   v5StagingAccounts,
	},
	{
		Version: 6,
		Name:    "hash-chain",
		Desc:    "start the hash chain: the change log's later entries carry each written record's SHA-256, linked to the one before; every record already archived is its first links",
		Apply:   v6HashChain,
	},
	{
		Version: 7,
		Name:    "drs-recovery-snapshots-and-instances",
		Desc:    "add the buckets of DRS recovery snapshots and recovery instances",
		Apply:   v7RecoveryBuckets,
		Present: hasBuckets("drs.recoverySnapshot", "drs.recoveryInstance"),
	},
	{
		Version: 8,
		Name:    "deleted-upstream",
		Desc:    "add the bucket of objects AWS no longer lists: identity to the marking of when a complete listing noticed",
		Apply:   v8DeletedUpstream,
	},
	{
		Version: 9,
		Name:    "compact-imported-data",
		Desc:    "rewrite the data of records imported with the AWS CLI's indentation (and any other data that spans lines) compacted, one line each; each rewrite is a link of the hash chain",
		Apply:   v9CompactData,
	},
	{
		Version: 10,
		Name:    "drs-recovery-buckets-where-missing",
		Desc:    "add the buckets of DRS recovery snapshots and recovery instances where they are missing: archivers that had step 8 before step 7 wrote schema 8 files without them",
		Apply:   v7RecoveryBuckets,
	},
	{
		Version: 11,
		Name:    "drs-settings-and-source-networks",
		Desc:    "add the buckets of DRS launch configurations, replication configurations and source networks",
		Apply:   v11SettingsBuckets,
		Present: hasBuckets("drs.launchConfiguration", "drs.replicationConfiguration", "drs.sourceNetwork"),
	},
	{
		Version: 12,
		Name:    "transparency-log",
		Desc:    "start the transparency log: an RFC 6962 Merkle tree whose first leaf anchors the hash chain's head and whose later leaves are the chain's later links; the log's name",
		Apply:   v12TransparencyLog,
	},
	{
		Version: 13,
		Name:    "log-job-states-and-markings",
		Desc:    "link every job's log state and every deleted-upstream marking into the hash chain and the transparency log, with sums that cover the job or object each is filed under",
		Apply:   v13StatesAndMarkings,
	},
	{
		Version: 14,
		Name:    "compressed-records",
		Desc:    "add the bucket of compression dictionaries: records may from now on be stored compressed with a dictionary of their kind, which older archivers cannot read (migrate then compresses the records already archived, in bounded transactions)",
		Apply:   v14CompressedRecords,
	},
	{
		Version: 15,
		Name:    "packed-logs",
		Desc:    "pack each job's entry of the job-log index (its record keys as differences from the key before, about 5 bytes a key instead of 16) and add the bucket of blocks: from now on log items written together are stored compressed together in blocks, and change-log entries packed, which older archivers cannot read",
		Apply:   v15PackedLogs,
	},
}

// Steps returns every known step in order.
func Steps() []Step { return append([]Step(nil), steps...) }

// Latest returns the schema version this binary writes.
func Latest() int { return steps[len(steps)-1].Version }

// Version reads the schema version of the file open in tx. A file with no
// meta bucket (a new, empty file) is at version 0.
func Version(tx *bolt.Tx) (int, error) {
	b := tx.Bucket([]byte(MetaBucket))
	if b == nil {
		return 0, nil
	}
	v := b.Get([]byte(VersionKey))
	if v == nil {
		return 0, nil
	}
	if len(v) != 4 {
		return 0, fmt.Errorf("meta %s: want 4 bytes, found %d", VersionKey, len(v))
	}
	return int(binary.BigEndian.Uint32(v)), nil
}

// Pending returns the steps a file at version current still needs by its
// version number alone, in order. It returns ErrTooNew if current is beyond
// Latest. A file may need more: see PendingIn.
func Pending(current int) ([]Step, error) {
	if current > Latest() {
		return nil, fmt.Errorf("schema version %d, this archiver supports up to %d: %w", current, Latest(), ErrTooNew)
	}
	var out []Step
	for _, s := range steps {
		if s.Version > current {
			out = append(out, s)
		}
	}
	return out, nil
}

// PendingIn returns the steps the file open in tx still needs, in order:
// every known step whose name is not among its applied steps (Applied). It
// returns ErrTooNew if the file's version is beyond Latest or it records a
// step this binary does not know.
func PendingIn(tx *bolt.Tx) ([]Step, error) {
	applied, _, err := Applied(tx)
	if err != nil {
		return nil, err
	}
	var out []Step
	for _, s := range steps {
		if !applied[s.Name] {
			out = append(out, s)
		}
	}
	return out, nil
}

// Applied returns the names of the steps applied to the file open in tx,
// and whether the file records them (under StepsKey). For a file from
// before the record, they are inferred: every step up to the file's
// version, except a step with Present whose work is missing. It returns
// ErrTooNew if the version is beyond Latest or the record names a step
// this binary does not know.
func Applied(tx *bolt.Tx) (map[string]bool, bool, error) {
	cur, err := Version(tx)
	if err != nil {
		return nil, false, err
	}
	if cur > Latest() {
		return nil, false, fmt.Errorf("schema version %d, this archiver supports up to %d: %w", cur, Latest(), ErrTooNew)
	}
	applied := map[string]bool{}
	var v []byte
	if b := tx.Bucket([]byte(MetaBucket)); b != nil {
		v = b.Get([]byte(StepsKey))
	}
	if v == nil {
		for _, s := range steps {
			if s.Version <= cur && (s.Present == nil || s.Present(tx)) {
				applied[s.Name] = true
			}
		}
		return applied, false, nil
	}
	recorded, err := parseRecord(v)
	if err != nil {
		return nil, true, err
	}
	known := map[string]bool{}
	for _, s := range steps {
		known[s.Name] = true
	}
	for _, r := range recorded {
		if !known[r.name] {
			return nil, true, fmt.Errorf("applied step %d (%s) is not one this archiver knows: %w", r.version, r.name, ErrTooNew)
		}
		applied[r.name] = true
	}
	return applied, true, nil
}

// StepsKey is the key in MetaBucket under which the applied steps are
// recorded: one line per step, in the order applied, each the step's
// version number, a space and its name. Files written before the record
// have no such key.
const StepsKey = "schemaSteps"

type recordedStep struct {
	version int
	name    string
}

// parseRecord reads the value of StepsKey.
func parseRecord(v []byte) ([]recordedStep, error) {
	var out []recordedStep
	for _, line := range strings.Split(strings.TrimSuffix(string(v), "\n"), "\n") {
		num, name, ok := strings.Cut(line, " ")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n <= 0 || name == "" || strings.ContainsAny(name, " \r\t") {
			return nil, fmt.Errorf("meta %s: line %q is not a step number and name", StepsKey, line)
		}
		out = append(out, recordedStep{n, name})
	}
	return out, nil
}

// Apply runs every pending step (PendingIn) inside tx, recording each in
// StepsKey and raising the version to the highest step applied. It returns
// the steps it applied. On error the caller must roll tx back, which bbolt
// does when the Update closure returns the error. A file from before the
// record gets one listing the steps inferred as applied, then those applied
// now.
func Apply(tx *bolt.Tx) ([]Step, error) {
	cur, err := Version(tx)
	if err != nil {
		return nil, err
	}
	applied, recorded, err := Applied(tx)
	if err != nil {
		return nil, err
	}
	todo, err := PendingIn(tx)
	if err != nil {
		return nil, err
	}
	if len(todo) == 0 {
		return nil, nil
	}
	var record []byte
	if recorded {
		record = append(record, tx.Bucket([]byte(MetaBucket)).Get([]byte(StepsKey))...)
	} else {
		for _, s := range steps {
			if applied[s.Name] {
				record = appendRecord(record, s)
			}
		}
	}
	for _, s := range todo {
		if err := s.Apply(tx); err != nil {
			return nil, fmt.Errorf("migration %d (%s): %w", s.Version, s.Name, err)
		}
		cur = max(cur, s.Version)
		if err := setVersion(tx, cur); err != nil {
			return nil, fmt.Errorf("migration %d (%s): record version: %w", s.Version, s.Name, err)
		}
		record = appendRecord(record, s)
		if err := tx.Bucket([]byte(MetaBucket)).Put([]byte(StepsKey), record); err != nil {
			return nil, fmt.Errorf("migration %d (%s): record step: %w", s.Version, s.Name, err)
		}
	}
	return todo, nil
}

func appendRecord(b []byte, s Step) []byte {
	return fmt.Appendf(b, "%d %s\n", s.Version, s.Name)
}

func setVersion(tx *bolt.Tx, v int) error {
	b, err := tx.CreateBucketIfNotExists([]byte(MetaBucket))
	if err != nil {
		return err
	}
	var buf [4]byte
	binary.BigEndian.PutUint32(buf[:], uint32(v))
	return b.Put([]byte(VersionKey), buf[:])
}

// hasBuckets returns a Present function that reports whether every named
// bucket exists.
func hasBuckets(names ...string) func(tx *bolt.Tx) bool {
	return func(tx *bolt.Tx) bool {
		for _, n := range names {
			if tx.Bucket([]byte(n)) == nil {
				return false
			}
		}
		return true
	}
}

// v1InitialBuckets creates the layout of schema 1. Bucket names are spelled
// out here on purpose: this step must do the same thing forever.
func v1InitialBuckets(tx *bolt.Tx) error {
	for _, name := range []string{
		"meta",
		// One bucket per record kind; keys are creation time + sequence.
		"drs.job", "drs.jobLogItem", "drs.sourceServer",
		"snowball.clusterJob", "sms.replicationJob",
		// Identity (kind, ID, region, account) -> record key of the latest record.
		"ids",
		// Job log index: job ID, region, account, position -> record key.
		"joblog",
		// Per-job sync state: job ID, region, account -> state.
		"jobstate",
	} {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// v2ChangeLog creates the change log: write-transaction number -> the
// records that transaction put, touched or deleted.
func v2ChangeLog(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists([]byte("changes")); err != nil {
		return fmt.Errorf("create bucket changes: %w", err)
	}
	return nil
}

// legacyRecord is a record in the all-JSON layout of schemas 1 and 2.
type legacyRecord struct {
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

// v3BinaryHeaders rewrites every record still in the all-JSON layout into
// the layout of package recfmt. Keys, and so the indexes and the change log,
// are unchanged; data keeps its bytes.
func v3BinaryHeaders(tx *bolt.Tx) error {
	for _, kind := range []string{"drs.job", "drs.jobLogItem", "drs.sourceServer", "snowball.clusterJob", "sms.replicationJob"} {
		b := tx.Bucket([]byte(kind))
		if b == nil {
			continue
		}
		var keys, vals [][]byte
		err := b.ForEach(func(k, v []byte) error {
			if len(v) == 0 || v[0] != '{' {
				return nil // already binary
			}
			var r legacyRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("%s record %x: %w", kind, k, err)
			}
			h := recfmt.Header{Kind: r.Kind, ID: r.ID, Region: r.Region, Account: r.Account, JobID: r.JobID,
				Time: r.Time.UTC(), FirstSeen: r.FirstSeen.UTC(), LastSeen: r.LastSeen.UTC()}
			if r.Pos != nil {
				h.Pos, h.HasPos = *r.Pos, true
			}
			if r.CapturedAt != nil {
				h.CapturedAt, h.HasCaptured = r.CapturedAt.UTC(), true
			}
			nv, err := recfmt.Append(nil, &h, r.Data)
			if err != nil {
				return fmt.Errorf("%s record %x: %w", kind, k, err)
			}
			keys = append(keys, append([]byte(nil), k...))
			vals = append(vals, nv)
			return nil
		})
		if err != nil {
			return err
		}
		for i := range keys {
			if err := b.Put(keys[i], vals[i]); err != nil {
				return fmt.Errorf("%s record %x: %w", kind, keys[i], err)
			}
		}
	}
	return nil
}

// v4JobLogLists turns the job-log index from one entry per log item (job
// ID, region and account, each followed by NUL, then the position as a
// 4-byte big-endian number -> record key) into one entry per job (the same
// prefix -> the record keys of its items, in position order).
func v4JobLogLists(tx *bolt.Tx) error {
	b := tx.Bucket([]byte("joblog"))
	if b == nil {
		return fmt.Errorf("no joblog bucket")
	}
	lists := map[string][]byte{}
	var order []string
	err := b.ForEach(func(k, v []byte) error {
		if len(k) < 5 || k[len(k)-5] != 0 || len(v) != 16 {
			return fmt.Errorf("joblog entry %q is not of schema 3", k)
		}
		prefix := string(k[:len(k)-4])
		pos := int(binary.BigEndian.Uint32(k[len(k)-4:]))
		if _, ok := lists[prefix]; !ok {
			order = append(order, prefix)
		}
		if pos != len(lists[prefix])/16 {
			return fmt.Errorf("joblog of %q: position %d out of order", prefix, pos)
		}
		lists[prefix] = append(lists[prefix], v...)
		return nil
	})
	if err != nil {
		return err
	}
	if err := tx.DeleteBucket([]byte("joblog")); err != nil {
		return err
	}
	nb, err := tx.CreateBucket([]byte("joblog"))
	if err != nil {
		return err
	}
	for _, p := range order {
		if err := nb.Put([]byte(p), lists[p]); err != nil {
			return err
		}
	}
	return nil
}

// v5StagingAccounts creates the record bucket of DRS staging accounts. The
// new optional record header fields (cluster ID, import provenance) need no
// rewrite: records without them keep their bytes.
func v5StagingAccounts(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists([]byte("drs.stagingAccount")); err != nil {
		return fmt.Errorf("create bucket drs.stagingAccount: %w", err)
	}
	return nil
}

// v7RecoveryBuckets creates the record buckets of DRS recovery snapshots
// and recovery instances. Bucket names are spelled out: this step must do
// the same thing forever.
func v7RecoveryBuckets(tx *bolt.Tx) error {
	for _, name := range []string{"drs.recoverySnapshot", "drs.recoveryInstance"} {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// v11SettingsBuckets creates the record buckets of DRS launch
// configurations, replication configurations and source networks. Bucket
// names are spelled out: this step must do the same thing forever.
func v11SettingsBuckets(tx *bolt.Tx) error {
	for _, name := range []string{"drs.launchConfiguration", "drs.replicationConfiguration", "drs.sourceNetwork"} {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// v12TransparencyLog starts the transparency log (see archive/tlog.go): its
// first leaf anchors the chain as it stands (0x00, the head's link count
// and hash), the tree's right edge is that one leaf's hash, and the log
// gets a name of its own. The layouts are spelled out: this step must do
// the same thing forever.
func v12TransparencyLog(tx *bolt.Tx) error {
	meta := tx.Bucket([]byte(MetaBucket))
	if meta == nil {
		return fmt.Errorf("no meta bucket")
	}
	var head chain.Head
	if v := meta.Get([]byte("chainHead")); v != nil {
		h, err := chain.ParseHead(v)
		if err != nil {
			return fmt.Errorf("hash chain head: %w", err)
		}
		head = h
	}
	leaf := chain.AppendHead([]byte{0x00}, head)
	edge := binary.BigEndian.AppendUint64(nil, 1)
	edge = append(edge, rfc6962.DefaultHasher.HashLeaf(leaf)...)
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return fmt.Errorf("name the log: %w", err)
	}
	for k, v := range map[string][]byte{
		"logStart": binary.BigEndian.AppendUint64(nil, head.N),
		"logRange": edge,
		"logID":    []byte("archiver.invalid/log/" + hex.EncodeToString(id[:])),
	} {
		if err := meta.Put([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

// v13StatesAndMarkings links, in one change-log entry, every deleted-upstream
// marking (op 8: the marking's kind code and record key, and the SHA-256 of
// the identity's length as 4 bytes big-endian, the identity and the stored
// marking) and every job state (op 9, kind code 0xFE: the first 16 bytes of
// the SHA-256 of the job's jobstate key, and the same sum of that key and
// the stored state), in bucket and key order; it appends their leaves (0x01,
// op, kind code, key, sum) to the transparency log and moves the chain's
// head. From then on the archive writes these links whenever a state or a
// marking changes, so verify checks both buckets against the chain. The
// layouts are spelled out: this step must do the same thing forever.
func v13StatesAndMarkings(tx *bolt.Tx) error {
	meta := tx.Bucket([]byte(MetaBucket))
	changes := tx.Bucket([]byte("changes"))
	if meta == nil || changes == nil {
		return fmt.Errorf("no meta or changes bucket")
	}
	filed := func(key, v []byte) [32]byte {
		h := sha256.New()
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(key))))
		h.Write(key)
		h.Write(v)
		var s [32]byte
		h.Sum(s[:0])
		return s
	}
	var links []chain.Link
	if del := tx.Bucket([]byte("deleted")); del != nil {
		err := del.ForEach(func(ident, v []byte) error {
			kind, _, _ := bytes.Cut(ident, []byte{0})
			code, err := recfmt.KindCode(string(kind))
			if err != nil {
				return fmt.Errorf("deleted-upstream marking %q: %w", ident, err)
			}
			var mv struct {
				Key string `json:"key"`
			}
			if err := json.Unmarshal(v, &mv); err != nil {
				return fmt.Errorf("deleted-upstream marking %q: %w", ident, err)
			}
			k, err := hex.DecodeString(mv.Key)
			if err != nil || len(k) != chain.KeyLen {
				return fmt.Errorf("deleted-upstream marking %q names a malformed record key", ident)
			}
			l := chain.Link{Op: 8, Kind: code, Sum: filed(ident, v)}
			copy(l.Key[:], k)
			links = append(links, l)
			return nil
		})
		if err != nil {
			return err
		}
	}
	if st := tx.Bucket([]byte("jobstate")); st != nil {
		err := st.ForEach(func(k, v []byte) error {
			id := sha256.Sum256(k)
			l := chain.Link{Op: 9, Kind: 0xFE, Sum: filed(k, v)}
			copy(l.Key[:], id[:chain.KeyLen])
			links = append(links, l)
			return nil
		})
		if err != nil {
			return err
		}
	}
	if len(links) == 0 {
		return nil
	}
	var head chain.Head
	if v := meta.Get([]byte("chainHead")); v != nil {
		h, err := chain.ParseHead(v)
		if err != nil {
			return fmt.Errorf("hash chain head: %w", err)
		}
		head = h
	}
	entry, head := chain.AppendPlainEntry(nil, head, links)
	seq, err := changes.NextSequence()
	if err != nil {
		return err
	}
	if err := changes.Put(binary.BigEndian.AppendUint64(nil, seq), entry); err != nil {
		return err
	}
	if err := meta.Put([]byte("chainHead"), chain.AppendHead(nil, head)); err != nil {
		return err
	}
	edge := meta.Get([]byte("logRange"))
	if len(edge) < 8 || (len(edge)-8)%32 != 0 {
		return fmt.Errorf("transparency log: meta logRange is malformed")
	}
	var hashes [][]byte
	for i := 8; i < len(edge); i += 32 {
		hashes = append(hashes, bytes.Clone(edge[i:i+32]))
	}
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	rg, err := rf.NewRange(0, binary.BigEndian.Uint64(edge), hashes)
	if err != nil {
		return fmt.Errorf("transparency log: %w", err)
	}
	for _, l := range links {
		leaf := append([]byte{0x01, l.Op, l.Kind}, l.Key[:]...)
		leaf = append(leaf, l.Sum[:]...)
		if err := rg.Append(rfc6962.DefaultHasher.HashLeaf(leaf), nil); err != nil {
			return fmt.Errorf("transparency log: %w", err)
		}
	}
	out := binary.BigEndian.AppendUint64(nil, rg.End())
	for _, h := range rg.Hashes() {
		out = append(out, h...)
	}
	return meta.Put([]byte("logRange"), out)
}

// v6HashChain starts the hash chain (package chain). Change-log entries from
// the next position on are in the chain layout; the first of them anchors
// every record already archived (op 4), in bucket and key order, so that
// those records are covered too.
func v6HashChain(tx *bolt.Tx) error {
	changes := tx.Bucket([]byte("changes"))
	meta := tx.Bucket([]byte(MetaBucket))
	if changes == nil || meta == nil {
		return fmt.Errorf("no changes or meta bucket")
	}
	start := changes.Sequence() + 1
	if err := meta.Put([]byte("chainStart"), binary.BigEndian.AppendUint64(nil, start)); err != nil {
		return err
	}
	var links []chain.Link
	for code, kind := range []string{"drs.job", "drs.jobLogItem", "drs.sourceServer", "snowball.clusterJob", "sms.replicationJob", "drs.stagingAccount"} {
		b := tx.Bucket([]byte(kind))
		if b == nil {
			continue
		}
		err := b.ForEach(func(k, v []byte) error {
			if len(k) != chain.KeyLen {
				return fmt.Errorf("%s record key %x is not %d bytes", kind, k, chain.KeyLen)
			}
			l := chain.Link{Op: 4, Kind: byte(code), Sum: sha256.Sum256(v)}
			copy(l.Key[:], k)
			links = append(links, l)
			return nil
		})
		if err != nil {
			return err
		}
	}
	if len(links) == 0 {
		return nil
	}
	entry, head := chain.AppendPlainEntry(nil, chain.Head{}, links)
	seq, err := changes.NextSequence()
	if err != nil {
		return err
	}
	if err := changes.Put(binary.BigEndian.AppendUint64(nil, seq), entry); err != nil {
		return err
	}
	return meta.Put([]byte("chainHead"), chain.AppendHead(nil, head))
}

// v8DeletedUpstream creates the bucket of objects deleted upstream. Its keys
// are identities (kind, ID, region, account joined by NUL, as in the ids
// bucket); its values are markings (package archive).
func v8DeletedUpstream(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists([]byte("deleted")); err != nil {
		return fmt.Errorf("create bucket deleted: %w", err)
	}
	return nil
}

// v9CompactData rewrites, compacted, the data of every record that was
// imported from saved AWS CLI output or that spans lines: imports before
// this version kept the CLI's indentation, line breaks and all, which broke
// JSON Lines output. Compacting removes the white space between JSON tokens
// and changes nothing else (member order, number text and strings stay).
// The record header is kept byte for byte. Each rewritten record is a put
// link (op 1) in one new change-log entry, so that the hash chain covers
// its new value and the full-text index reads it again. Bucket names and
// kind codes are spelled out: this step must do the same thing forever.
func v9CompactData(tx *bolt.Tx) error {
	changes := tx.Bucket([]byte("changes"))
	meta := tx.Bucket([]byte(MetaBucket))
	if changes == nil || meta == nil {
		return fmt.Errorf("no changes or meta bucket")
	}
	type rewrite struct {
		b    *bolt.Bucket
		k, v []byte
	}
	var todo []rewrite
	var links []chain.Link
	kinds := []string{"drs.job", "drs.jobLogItem", "drs.sourceServer", "snowball.clusterJob", "sms.replicationJob",
		"drs.stagingAccount", "drs.recoverySnapshot", "drs.recoveryInstance"}
	for code, kind := range kinds {
		b := tx.Bucket([]byte(kind))
		if b == nil {
			continue
		}
		err := b.ForEach(func(k, v []byte) error {
			h, data, err := recfmt.Decode(v)
			if err != nil {
				return fmt.Errorf("%s record %x: %w", kind, k, err)
			}
			if h.ImportFile == "" && !bytes.ContainsAny(data, "\n\r") {
				return nil
			}
			var buf bytes.Buffer
			if err := json.Compact(&buf, data); err != nil {
				return fmt.Errorf("%s record %x: data is not JSON: %w", kind, k, err)
			}
			if bytes.Equal(buf.Bytes(), data) {
				return nil
			}
			if len(k) != chain.KeyLen {
				return fmt.Errorf("%s record key %x is not %d bytes", kind, k, chain.KeyLen)
			}
			nv := append(append(make([]byte, 0, len(v)), v[:len(v)-len(data)]...), buf.Bytes()...)
			todo = append(todo, rewrite{b, append([]byte(nil), k...), nv})
			l := chain.Link{Op: 1, Kind: byte(code), Sum: sha256.Sum256(nv)}
			copy(l.Key[:], k)
			links = append(links, l)
			return nil
		})
		if err != nil {
			return err
		}
	}
	if len(todo) == 0 {
		return nil
	}
	for _, r := range todo {
		if err := r.b.Put(r.k, r.v); err != nil {
			return err
		}
	}
	var head chain.Head
	if v := meta.Get([]byte("chainHead")); v != nil {
		var err error
		if head, err = chain.ParseHead(v); err != nil {
			return fmt.Errorf("hash chain head: %w", err)
		}
	}
	entry, head := chain.AppendPlainEntry(nil, head, links)
	seq, err := changes.NextSequence()
	if err != nil {
		return err
	}
	if err := changes.Put(binary.BigEndian.AppendUint64(nil, seq), entry); err != nil {
		return err
	}
	return meta.Put([]byte("chainHead"), chain.AppendHead(nil, head))
}

// v14CompressedRecords creates the bucket of compression dictionaries
// (package reczip): an 8-byte big-endian ID to a kind code and a zstd
// dictionary. From this version on a record's stored value may be its
// logical value compressed (marker 0xA2); every hash is of the logical
// value, so no link changes. The records already archived are compressed
// after the step, in bounded transactions (archive.CompressRecords), not
// in the schema's one transaction. The bucket name is spelled out: this
// step must do the same thing forever.
// v15PackedLogs packs the job-log index and adds the bucket of blocks.
func v15PackedLogs(tx *bolt.Tx) error {
	if err := v15PackJobLogs(tx); err != nil {
		return err
	}
	return v15LogItemBlocks(tx)
}

// v15LogItemBlocks adds the bucket of blocks of log items compressed
// together (package reczip); records already archived stay as they are,
// and so do the change log's entries, which are read in either layout.
func v15LogItemBlocks(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists([]byte("blocks")); err != nil {
		return fmt.Errorf("create bucket blocks: %w", err)
	}
	return nil
}

func v14CompressedRecords(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists([]byte("dicts")); err != nil {
		return fmt.Errorf("create bucket dicts: %w", err)
	}
	return nil
}

// v15PackJobLogs rewrites every entry of the job-log index from a list of
// raw 16-byte record keys (schemas 4 to 14) to the packed layout of
// package joblist; the keys, their order, and the entry's key stay. A
// packed entry is never a multiple of 16 bytes long, so an entry that is
// already packed is told apart and kept (once it is checked to decode):
// running the step again changes nothing. The bucket name is spelled
// out: this step must do the same thing forever.
func v15PackJobLogs(tx *bolt.Tx) error {
	b := tx.Bucket([]byte("joblog"))
	if b == nil {
		return fmt.Errorf("no joblog bucket")
	}
	var keys, vals [][]byte
	err := b.ForEach(func(k, v []byte) error {
		if joblist.IsPacked(v) {
			if _, err := joblist.Decode[[16]byte](nil, v); err != nil {
				return fmt.Errorf("job-log index entry %q: %w", k, err)
			}
			return nil
		}
		list := make([][16]byte, len(v)/16)
		for i := range list {
			list[i] = [16]byte(v[i*16:])
		}
		keys = append(keys, bytes.Clone(k))
		vals = append(vals, joblist.Append(nil, list))
		return nil
	})
	if err != nil {
		return err
	}
	for i := range keys {
		if err := b.Put(keys[i], vals[i]); err != nil {
			return fmt.Errorf("job-log index entry %q: %w", keys[i], err)
		}
	}
	return nil
}
