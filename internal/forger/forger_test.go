package forger

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/checkpoint"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/chain"
	"github.com/archiver-dev/archiver/internal/joblist"
	"github.com/archiver-dev/archiver/internal/recfmt"
	"github.com/archiver-dev/archiver/internal/reczip"
	"github.com/archiver-dev/archiver/migrations"
)

// The buckets and meta keys the forger rewrites, spelled out as the
// layout's documentation (archive/mutation.go, archive/tlog.go,
// archive/deleted.go, archive/reader.go, archive/joblist.go) gives them: an
// insider reads them there too.
const (
	bucketChanges  = "changes"
	bucketIDs      = "ids"
	bucketJobLog   = "joblog"
	bucketJobState = "jobstate"
	bucketDeleted  = "deleted"

	metaChainStart = "chainStart"
	metaChainHead  = "chainHead"
	metaLogStart   = "logStart"
	metaLogRange   = "logRange"
	metaLogID      = "logID"
	metaCheckpoint = "checkpoint"
)

// object is what a link names: a record (kind code and key), or the
// marking of a record (mark and unmark links), or an event, or a job's log
// state.
type object struct {
	code byte
	key  [chain.KeyLen]byte
	// class: 'r' a record, 'm' a marking, 'e' an event, 's' a job state.
	class byte
}

func classOf(op byte) byte {
	switch archive.Op(op) {
	case archive.OpMark, archive.OpUnmark, archive.OpMarkFiled:
		return 'm'
	case archive.OpEvent:
		return 'e'
	case archive.OpJobState:
		return 's'
	}
	return 'r'
}

// stateKind is the kind code of job-state links (archive/jobstate.go).
const stateKind = 0xFE

// filedSum is the sum of a value filed under a bucket key that job-state
// and OpMarkFiled links carry (archive/jobstate.go): SHA-256 of the key's
// length (4 bytes, big-endian), the key and the value.
func filedSum(key, v []byte) [sha256.Size]byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(key)))
	b = append(b, key...)
	return sha256.Sum256(append(b, v...))
}

// stateObject is the object of the job-state links of the job whose
// jobstate key is jk: its key is the first bytes of the key's SHA-256.
func stateObject(jk []byte) object {
	s := sha256.Sum256(jk)
	o := object{code: stateKind, class: 's'}
	copy(o.key[:], s[:])
	return o
}

func objectOf(l chain.Link) object { return object{l.Kind, l.Key, classOf(l.Op)} }

// entry is one change-log entry: its position (bucket key) and links.
type entry struct {
	pos   uint64
	links []chain.Link
}

// ref is one link: its entry and its place in it.
type ref struct{ e, i int }

// forger edits one archive file inside one bbolt write transaction. It
// loads the change log, lets edits change records, markings, derived
// buckets and links, and at commit recomputes everything the file stores
// about itself.
type forger struct {
	tx  *bolt.Tx
	rnd *rand.Rand
	// entries is the change log from the chain's start on.
	entries []*entry
	// covered is the position of the last change-log entry the first
	// checkpoint covers: edits of history reach back to it.
	covered uint64
	// did says what was forged, for messages.
	did []string
	// zt reads compressed records.
	zt *reczip.Table
	// sloppy leaves something unrecomputed at commit: "chain" the change
	// log, its head and the log; "log" the log's right edge only. The
	// forger's own controls use it to show verify would catch it.
	sloppy string
}

func load(tx *bolt.Tx, rnd *rand.Rand, covered uint64) (*forger, error) {
	f := &forger{tx: tx, rnd: rnd, covered: covered}
	meta := tx.Bucket([]byte(migrations.MetaBucket))
	start := meta.Get([]byte(metaChainStart))
	if len(start) != 8 {
		return nil, fmt.Errorf("no chain start")
	}
	c := tx.Bucket([]byte(bucketChanges)).Cursor()
	for k, v := c.Seek(start); k != nil; k, v = c.Next() {
		links, _, err := chain.ParseEntry(v)
		if err != nil {
			return nil, fmt.Errorf("entry %x: %w", k, err)
		}
		f.entries = append(f.entries, &entry{pos: binary.BigEndian.Uint64(k), links: links})
	}
	return f, nil
}

func (f *forger) bucket(name string) *bolt.Bucket { return f.tx.Bucket([]byte(name)) }

// release keeps the count of the block the record of kind at key refers
// to (if it does) true when the record is written over or removed, as
// the archiver does: one record fewer, the block gone with its last.
func (f *forger) release(kind kinds.Kind, key []byte) error {
	v := f.bucket(string(kind)).Get(key)
	if !reczip.IsRef(v) {
		return nil
	}
	id, _, err := reczip.ParseRef(v)
	if err != nil {
		return err
	}
	blocks := f.bucket(reczip.BlocksBucket)
	bv := blocks.Get(reczip.BlockKey(id))
	live, err := reczip.BlockLive(bv)
	if err != nil {
		return err
	}
	if live <= 1 {
		return blocks.Delete(reczip.BlockKey(id))
	}
	nv, err := reczip.WithLive(bv, live-1)
	if err != nil {
		return err
	}
	return blocks.Put(reczip.BlockKey(id), nv)
}

// decode reads a stored record value as the chain hashes it: the logical
// value (decompressed when the archive stores it compressed, alone or in
// a block), its header and data. The forger writes the values it forges
// plainly, which is as valid a way to store a record as compressed.
func (f *forger) decode(v []byte) (logical []byte, h recfmt.Header, data []byte, err error) {
	if f.zt == nil {
		f.zt = reczip.For(f.tx)
	}
	if reczip.IsRef(v) {
		id, i, err := reczip.ParseRef(v)
		if err != nil {
			return nil, h, nil, err
		}
		recs, err := f.zt.BlockRecords(f.bucket(reczip.BlocksBucket).Get(reczip.BlockKey(id)))
		if err != nil {
			return nil, h, nil, err
		}
		if i >= len(recs) {
			return nil, h, nil, fmt.Errorf("block %d has no record %d", id, i)
		}
		v = recs[i]
	}
	if logical, err = f.zt.Logical(v); err != nil {
		return nil, h, nil, err
	}
	h, data, err = recfmt.Decode(logical)
	return logical, h, data, err
}

func (f *forger) link(r ref) *chain.Link { return &f.entries[r.e].links[r.i] }

// linksOf returns every link that names o, in chain order.
func (f *forger) linksOf(o object) []ref {
	var out []ref
	for e, en := range f.entries {
		for i, l := range en.links {
			if objectOf(l) == o {
				out = append(out, ref{e, i})
			}
		}
	}
	return out
}

// inHistory reports whether some link naming o is in an entry the first
// checkpoint covers.
func (f *forger) inHistory(o object) bool {
	for _, r := range f.linksOf(o) {
		if f.entries[r.e].pos <= f.covered {
			return true
		}
	}
	return false
}

// setLatest gives the latest link naming o the sum of value (filed under
// bucket key filed, for the links whose sums cover it): what verify
// compares the stored value with.
func (f *forger) setLatest(o object, filed, value []byte) error {
	refs := f.linksOf(o)
	if len(refs) == 0 {
		return fmt.Errorf("no link names %c %d %x", o.class, o.code, o.key)
	}
	l := f.link(refs[len(refs)-1])
	switch archive.Op(l.Op) {
	case archive.OpMarkFiled, archive.OpJobState:
		l.Sum = filedSum(filed, value)
	default:
		l.Sum = sha256.Sum256(value)
	}
	return nil
}

// removeLinks drops every link naming o.
func (f *forger) removeLinks(o object) {
	for _, en := range f.entries {
		en.links = slices.DeleteFunc(en.links, func(l chain.Link) bool { return objectOf(l) == o })
	}
}

// insertOld puts l into a random entry the first checkpoint covers, at a
// random place in it, no earlier than entry from.
func (f *forger) insertOld(l chain.Link, from int) error {
	var old []int
	for e, en := range f.entries {
		if e >= from && en.pos <= f.covered && len(en.links) > 0 {
			old = append(old, e)
		}
	}
	if len(old) == 0 {
		return fmt.Errorf("no entry of history to insert into")
	}
	en := f.entries[old[f.rnd.Intn(len(old))]]
	en.links = slices.Insert(en.links, f.rnd.Intn(len(en.links)+1), l)
	return nil
}

// record is one stored record.
type record struct {
	spec  *kinds.Spec
	key   [chain.KeyLen]byte
	value []byte
	h     recfmt.Header
	data  []byte
}

func (r record) object() object { return object{r.spec.Code, r.key, 'r'} }

// records returns every stored record whose history the first checkpoint
// covers, in kind and key order.
func (f *forger) records() ([]record, error) {
	var out []record
	for _, spec := range kinds.All() {
		b := f.bucket(string(spec.Kind))
		if b == nil {
			continue
		}
		err := b.ForEach(func(k, v []byte) error {
			lv, h, data, err := f.decode(v)
			if err != nil {
				return err
			}
			r := record{spec: spec, value: bytes.Clone(lv), h: h, data: bytes.Clone(data)}
			copy(r.key[:], k)
			out = append(out, r)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return slices.DeleteFunc(out, func(r record) bool { return !f.inHistory(r.object()) }), nil
}

// put stores a record's new header and data and links its value in as the
// latest state.
func (f *forger) put(r record, h recfmt.Header, data []byte) error {
	v, err := recfmt.Append(nil, &h, data)
	if err != nil {
		return err
	}
	if err := f.release(r.spec.Kind, r.key[:]); err != nil {
		return err
	}
	if err := f.bucket(string(r.spec.Kind)).Put(r.key[:], v); err != nil {
		return err
	}
	return f.setLatest(r.object(), nil, v)
}

// identity is the ids-bucket key of an object (archive/key.go).
func identity(kind kinds.Kind, id, region, account string) []byte {
	return []byte(string(kind) + "\x00" + id + "\x00" + region + "\x00" + account)
}

// jobKey is the joblog and jobstate key of a job (archive/key.go).
func jobKey(h recfmt.Header) []byte {
	return []byte(h.JobID + "\x00" + h.Region + "\x00" + h.Account + "\x00")
}

// recordKey builds a record key: the time, sign bit flipped, then a
// sequence number (archive/key.go).
func recordKey(t time.Time, seq uint64) [chain.KeyLen]byte {
	var k [chain.KeyLen]byte
	binary.BigEndian.PutUint64(k[:8], uint64(t.UnixNano())^(1<<63))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

// forgeData returns data with one fact changed: a status, an event, or
// some member's value.
func forgeData(rnd *rand.Rand, data []byte) ([]byte, error) {
	swaps := [][2]string{
		{`"COMPLETED"`, `"FAILED"`}, {`"FAILED"`, `"COMPLETED"`}, {`"PENDING"`, `"COMPLETED"`},
		{`"STARTED"`, `"FAILED"`}, {`"CONTINUOUS"`, `"STALLED"`}, {`"HEALTHY"`, `"LAGGING"`},
	}
	var found [][2]string
	for _, s := range swaps {
		if bytes.Contains(data, []byte(s[0])) {
			found = append(found, s)
		}
	}
	if len(found) > 0 && rnd.Intn(3) > 0 {
		s := found[rnd.Intn(len(found))]
		return bytes.Replace(data, []byte(s[0]), []byte(s[1]), 1), nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 || rnd.Intn(4) == 0 {
		m["rawError"] = json.RawMessage(`"forged"`)
	} else {
		n := names[rnd.Intn(len(names))]
		var s string
		if json.Unmarshal(m[n], &s) == nil {
			b, _ := json.Marshal(s + "-forged")
			m[n] = b
		} else {
			m[n] = json.RawMessage(`"forged"`)
		}
	}
	return json.Marshal(m)
}

// editData changes what AWS said of a record.
func (f *forger) editData(r record) error {
	data, err := forgeData(f.rnd, r.data)
	if err != nil {
		return err
	}
	f.did = append(f.did, fmt.Sprintf("edit data of %s %x", r.spec.Kind, r.key))
	return f.put(r, r.h, data)
}

// editSeen moves a record's provenance: when archiver saw it.
func (f *forger) editSeen(r record) error {
	h := r.h
	d := time.Duration(1+f.rnd.Intn(1000)) * time.Hour
	if f.rnd.Intn(2) == 0 {
		h.FirstSeen = h.FirstSeen.Add(-d)
	} else {
		h.LastSeen = h.LastSeen.Add(d)
	}
	f.did = append(f.did, fmt.Sprintf("edit seen times of %s %x", r.spec.Kind, r.key))
	return f.put(r, h, r.data)
}

// deleteRecord removes a record and every trace of it: its links, its
// marking, its identity entry (pointed at another record of the object if
// there is one), its place in its job's log.
func (f *forger) deleteRecord(r record) error {
	f.did = append(f.did, fmt.Sprintf("delete %s %x", r.spec.Kind, r.key))
	if err := f.release(r.spec.Kind, r.key[:]); err != nil {
		return err
	}
	if err := f.bucket(string(r.spec.Kind)).Delete(r.key[:]); err != nil {
		return err
	}
	f.removeLinks(r.object())
	if r.spec.Class == kinds.LogItem {
		return f.relist(r.h, func(list [][]byte) ([][]byte, error) {
			if r.h.Pos >= len(list) || !bytes.Equal(list[r.h.Pos], r.key[:]) {
				return nil, fmt.Errorf("log item %x is not at its position %d", r.key, r.h.Pos)
			}
			return slices.Delete(list, r.h.Pos, r.h.Pos+1), nil
		})
	}
	if err := f.unmarkKey(r.spec, r.key); err != nil {
		return err
	}
	if r.h.ID == "" {
		return nil
	}
	ids := f.bucket(bucketIDs)
	ident := identity(r.spec.Kind, r.h.ID, r.h.Region, r.h.Account)
	v := bytes.Clone(ids.Get(ident))
	if len(v) < chain.KeyLen || !bytes.Equal(v[:chain.KeyLen], r.key[:]) {
		return nil
	}
	// Another record of the same object becomes its current one.
	var other []byte
	err := f.bucket(string(r.spec.Kind)).ForEach(func(k, val []byte) error {
		_, h, _, err := f.decode(val)
		if err == nil && h.ID == r.h.ID && h.Region == r.h.Region && h.Account == r.h.Account {
			other = bytes.Clone(k)
		}
		return err
	})
	if err != nil {
		return err
	}
	if other == nil {
		return ids.Delete(ident)
	}
	return ids.Put(ident, append(other, v[chain.KeyLen:]...))
}

// keyArrays returns the record keys of list as arrays.
func keyArrays(list [][]byte) [][chain.KeyLen]byte {
	out := make([][chain.KeyLen]byte, len(list))
	for i, k := range list {
		out[i] = [chain.KeyLen]byte(k)
	}
	return out
}

// relist rewrites the log of the job of item h with edit, renumbers every
// item whose position moved (a new value, so a new latest link), and keeps
// the job's state's count of items.
func (f *forger) relist(h recfmt.Header, edit func(list [][]byte) ([][]byte, error)) error {
	idx := f.bucket(bucketJobLog)
	jk := jobKey(h)
	var list [][]byte
	if raw := idx.Get(jk); raw != nil {
		keys, err := joblist.Decode[[chain.KeyLen]byte](nil, raw)
		if err != nil {
			return err
		}
		for _, k := range keys {
			list = append(list, bytes.Clone(k[:]))
		}
	}
	list, err := edit(list)
	if err != nil {
		return err
	}
	spec := kinds.Of(kinds.Kind(h.Kind))
	items := f.bucket(h.Kind)
	for pos, k := range list {
		v := items.Get(k)
		if v == nil {
			continue // the item being inserted, stored by the caller
		}
		_, ih, data, err := f.decode(v)
		if err != nil {
			return err
		}
		if ih.Pos == pos {
			continue
		}
		ih.Pos = pos
		var key [chain.KeyLen]byte
		copy(key[:], k)
		if err := f.put(record{spec: spec, key: key}, ih, bytes.Clone(data)); err != nil {
			return err
		}
	}
	if len(list) == 0 {
		if err := idx.Delete(jk); err != nil {
			return err
		}
	} else if err := idx.Put(jk, joblist.Append(nil, keyArrays(list))); err != nil {
		return err
	}
	states := f.bucket(bucketJobState)
	if sv := states.Get(jk); sv != nil {
		var st archive.JobState
		if err := json.Unmarshal(sv, &st); err != nil {
			return err
		}
		st.LogItems = len(list)
		nv, err := json.Marshal(st)
		if err != nil {
			return err
		}
		if bytes.Equal(nv, sv) {
			return nil
		}
		if err := states.Put(jk, nv); err != nil {
			return err
		}
		return f.setLatest(stateObject(jk), jk, nv)
	}
	return nil
}

// state is one stored job state.
type state struct {
	jk []byte
	st archive.JobState
}

// states returns the stored job states whose history the first checkpoint
// covers.
func (f *forger) states() ([]state, error) {
	var out []state
	err := f.bucket(bucketJobState).ForEach(func(k, v []byte) error {
		s := state{jk: bytes.Clone(k)}
		if err := json.Unmarshal(v, &s.st); err != nil {
			return err
		}
		if f.inHistory(stateObject(k)) {
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// editState changes what the archive remembers of a job's log: complete
// or not, and how many items it has.
func (f *forger) editState(s state) error {
	if f.rnd.Intn(2) == 0 {
		s.st.LogComplete = !s.st.LogComplete
	} else {
		s.st.LogItems += 1 + f.rnd.Intn(5)
	}
	v, err := json.Marshal(s.st)
	if err != nil {
		return err
	}
	if err := f.bucket(bucketJobState).Put(s.jk, v); err != nil {
		return err
	}
	f.did = append(f.did, fmt.Sprintf("edit log state of %q", s.jk))
	return f.setLatest(stateObject(s.jk), s.jk, v)
}

// deleteState removes a job's log state and its links: the job's log
// would be read again from the start.
func (f *forger) deleteState(s state) error {
	f.did = append(f.did, fmt.Sprintf("delete log state of %q", s.jk))
	if err := f.bucket(bucketJobState).Delete(s.jk); err != nil {
		return err
	}
	f.removeLinks(stateObject(s.jk))
	return nil
}

// insertRecord makes up a record like r, of an earlier time, and links it
// into an entry of history, as though an old sync had archived it.
func (f *forger) insertRecord(r record) error {
	h := r.h
	h.Time = h.Time.Add(-time.Duration(1+f.rnd.Intn(72)) * time.Hour)
	h.FirstSeen, h.LastSeen = r.h.FirstSeen, r.h.FirstSeen
	data, err := forgeData(f.rnd, r.data)
	if err != nil {
		return err
	}
	if r.h.ID != "" {
		h.ID = fmt.Sprintf("%s%04d", r.h.ID[:max(0, len(r.h.ID)-4)], f.rnd.Intn(10000))
		if f.bucket(bucketIDs).Get(identity(r.spec.Kind, h.ID, h.Region, h.Account)) != nil {
			return errRetry
		}
		data = bytes.ReplaceAll(data, []byte(r.h.ID), []byte(h.ID))
	} else if r.spec.Class != kinds.LogItem {
		return errRetry
	}
	meta := f.bucket(migrations.MetaBucket)
	seq, err := meta.NextSequence()
	if err != nil {
		return err
	}
	key := recordKey(h.Time, seq)
	if r.spec.Class == kinds.LogItem {
		h.Pos = f.rnd.Intn(r.h.Pos + 2) // anywhere up to just after r
	}
	v, err := recfmt.Append(nil, &h, data)
	if err != nil {
		return err
	}
	if err := f.bucket(string(r.spec.Kind)).Put(key[:], v); err != nil {
		return err
	}
	// The new link goes after the first link of the record it copies, as
	// the record's time suggests.
	first := f.linksOf(r.object())[0].e
	if err := f.insertOld(chain.Link{Op: byte(archive.OpPut), Kind: r.spec.Code, Key: key, Sum: sha256.Sum256(v)}, first); err != nil {
		return err
	}
	f.did = append(f.did, fmt.Sprintf("insert %s %x", r.spec.Kind, key))
	if r.spec.Class == kinds.LogItem {
		return f.relist(h, func(list [][]byte) ([][]byte, error) {
			if h.Pos > len(list) {
				return nil, fmt.Errorf("position %d beyond a log of %d", h.Pos, len(list))
			}
			return slices.Insert(list, h.Pos, key[:]), nil
		})
	}
	ids := f.bucket(bucketIDs)
	fp := ids.Get(identity(r.spec.Kind, r.h.ID, r.h.Region, r.h.Account))
	val := key[:]
	if len(fp) > chain.KeyLen {
		val = append(val, fp[chain.KeyLen:]...)
	}
	return ids.Put(identity(r.spec.Kind, h.ID, h.Region, h.Account), val)
}

// errRetry says that an edit does not apply to the target drawn: draw
// another.
var errRetry = fmt.Errorf("draw another target")

// marking is one stored deleted-upstream marking.
type marking struct {
	ident []byte
	spec  *kinds.Spec
	key   [chain.KeyLen]byte
	v     markingValue
}

// markingValue is the stored form of a marking (archive/deleted.go).
type markingValue struct {
	Key               string    `json:"key"`
	DeletedUpstreamAt time.Time `json:"deletedUpstreamAt"`
	LastSeen          time.Time `json:"lastSeen"`
	ListedAt          time.Time `json:"listedAt"`
}

func (m marking) object() object { return object{m.spec.Code, m.key, 'm'} }

// markings returns the stored markings whose history the first
// checkpoint covers.
func (f *forger) markings() ([]marking, error) {
	var out []marking
	err := f.bucket(bucketDeleted).ForEach(func(k, v []byte) error {
		m := marking{ident: bytes.Clone(k)}
		kind, _, _ := bytes.Cut(k, []byte{0})
		if m.spec = kinds.Of(kinds.Kind(kind)); m.spec == nil {
			return fmt.Errorf("marking of unknown kind %q", kind)
		}
		if err := json.Unmarshal(v, &m.v); err != nil {
			return err
		}
		key, err := hex.DecodeString(m.v.Key)
		if err != nil || len(key) != chain.KeyLen {
			return fmt.Errorf("marking key %q", m.v.Key)
		}
		copy(m.key[:], key)
		out = append(out, m)
		return nil
	})
	return slices.DeleteFunc(out, func(m marking) bool { return !f.inHistory(m.object()) }), err
}

func (f *forger) putMarking(m marking) error {
	v, err := json.Marshal(m.v)
	if err != nil {
		return err
	}
	if err := f.bucket(bucketDeleted).Put(m.ident, v); err != nil {
		return err
	}
	return f.setLatest(m.object(), m.ident, v)
}

// editMark moves when an object was deleted upstream.
func (f *forger) editMark(m marking) error {
	d := time.Duration(1+f.rnd.Intn(500)) * time.Hour
	switch f.rnd.Intn(3) {
	case 0:
		m.v.DeletedUpstreamAt = m.v.DeletedUpstreamAt.Add(-d)
	case 1:
		m.v.LastSeen = m.v.LastSeen.Add(-d)
	default:
		m.v.ListedAt = m.v.ListedAt.Add(d)
	}
	f.did = append(f.did, fmt.Sprintf("edit marking %q", m.ident))
	return f.putMarking(m)
}

// deleteMark removes a marking and its links: the object was never
// deleted upstream.
func (f *forger) deleteMark(m marking) error {
	f.did = append(f.did, fmt.Sprintf("delete marking %q", m.ident))
	if err := f.bucket(bucketDeleted).Delete(m.ident); err != nil {
		return err
	}
	f.removeLinks(m.object())
	return nil
}

// unmarkKey removes the marking, if any, that names record key k of kind.
func (f *forger) unmarkKey(spec *kinds.Spec, k [chain.KeyLen]byte) error {
	ms, err := f.markings()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.spec == spec && m.key == k {
			return f.deleteMark(m)
		}
	}
	// A marking outside history naming k: remove it all the same.
	f.removeLinks(object{spec.Code, k, 'm'})
	return f.bucket(bucketDeleted).ForEach(func(id, v []byte) error {
		var mv markingValue
		if json.Unmarshal(v, &mv) == nil && mv.Key == hex.EncodeToString(k[:]) && bytes.HasPrefix(id, []byte(string(spec.Kind)+"\x00")) {
			return f.bucket(bucketDeleted).Delete(id)
		}
		return nil
	})
}

// insertMark marks the current record of r's object deleted upstream, in
// an entry of history after the record's first link.
func (f *forger) insertMark(r record) error {
	if r.h.ID == "" || r.spec.Sweep == kinds.NoSweep {
		return errRetry
	}
	ident := identity(r.spec.Kind, r.h.ID, r.h.Region, r.h.Account)
	cur := f.bucket(bucketIDs).Get(ident)
	if len(cur) < chain.KeyLen || !bytes.Equal(cur[:chain.KeyLen], r.key[:]) || f.bucket(bucketDeleted).Get(ident) != nil {
		return errRetry
	}
	m := marking{ident: ident, spec: r.spec, key: r.key}
	if len(f.linksOf(m.object())) > 0 {
		return errRetry // marked and unmarked before: its last link is an unmark
	}
	at := r.h.FirstSeen.Add(time.Duration(1+f.rnd.Intn(48)) * time.Hour)
	m.v = markingValue{Key: hex.EncodeToString(r.key[:]), DeletedUpstreamAt: at.UTC(), LastSeen: r.h.LastSeen.UTC(), ListedAt: at.UTC()}
	v, err := json.Marshal(m.v)
	if err != nil {
		return err
	}
	if err := f.bucket(bucketDeleted).Put(ident, v); err != nil {
		return err
	}
	f.did = append(f.did, fmt.Sprintf("insert marking %q", ident))
	return f.insertOld(chain.Link{Op: byte(archive.OpMarkFiled), Kind: r.spec.Code, Key: r.key, Sum: filedSum(ident, v)}, f.linksOf(r.object())[0].e)
}

// reorder swaps two links of history that name different objects, with
// no link of either object between them: every object's latest link stays
// its latest, so the records still match.
func (f *forger) reorder() error {
	var refs []ref
	for e, en := range f.entries {
		if en.pos > f.covered {
			break
		}
		for i := range en.links {
			refs = append(refs, ref{e, i})
		}
	}
	if len(refs) < 2 {
		return errRetry
	}
	a := f.rnd.Intn(len(refs) - 1)
	oa := objectOf(*f.link(refs[a]))
	for b := a + 1; b < len(refs) && b <= a+40; b++ {
		ob := objectOf(*f.link(refs[b]))
		if ob == oa {
			break
		}
		clear := true
		for c := a + 1; c < b; c++ {
			if objectOf(*f.link(refs[c])) == ob {
				clear = false
				break
			}
		}
		if !clear || f.rnd.Intn(3) == 0 && b+1 < len(refs) {
			continue
		}
		la, lb := f.link(refs[a]), f.link(refs[b])
		*la, *lb = *lb, *la
		f.did = append(f.did, fmt.Sprintf("swap links %v and %v", refs[a], refs[b]))
		return nil
	}
	return errRetry
}

// commit recomputes and stores everything the file says about itself: each
// entry's trailer (an emptied entry is dropped), the chain's head, the
// transparency log's right edge, and the latest checkpoint it keeps.
func (f *forger) commit() error {
	if f.sloppy == "chain" {
		return nil
	}
	changes := f.bucket(bucketChanges)
	meta := f.bucket(migrations.MetaBucket)
	var head chain.Head
	for _, en := range f.entries {
		k := binary.BigEndian.AppendUint64(nil, en.pos)
		if len(en.links) == 0 {
			if err := changes.Delete(k); err != nil {
				return err
			}
			continue
		}
		var v []byte
		v, head = chain.AppendEntry(nil, head, en.links)
		if err := changes.Put(k, v); err != nil {
			return err
		}
	}
	if err := meta.Put([]byte(metaChainHead), chain.AppendHead(nil, head)); err != nil {
		return err
	}
	if f.sloppy == "log" {
		return nil
	}

	// The tree: leaf 0 anchors the chain as it stood at the log's start,
	// then one leaf per link.
	sv := meta.Get([]byte(metaLogStart))
	if len(sv) != 8 {
		return fmt.Errorf("no log start")
	}
	start := binary.BigEndian.Uint64(sv)
	rg := (&compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}).NewEmptyRange(0)
	add := func(data []byte) error { return rg.Append(archive.LeafHash(data), nil) }
	var h chain.Head
	if start == 0 {
		if err := add(archive.AnchorLeaf(h)); err != nil {
			return err
		}
	}
	for _, en := range f.entries {
		for _, l := range en.links {
			h = h.Next(l)
			var err error
			switch {
			case h.N == start:
				err = add(archive.AnchorLeaf(h))
			case h.N > start:
				err = add(archive.LinkLeaf(l))
			}
			if err != nil {
				return err
			}
		}
	}
	edge := binary.BigEndian.AppendUint64(nil, rg.End())
	for _, x := range rg.Hashes() {
		edge = append(edge, x...)
	}
	if err := meta.Put([]byte(metaLogRange), edge); err != nil {
		return err
	}
	root, err := rg.GetRootHash(nil)
	if err != nil {
		return err
	}
	c := checkpoint.Checkpoint{Origin: string(meta.Get([]byte(metaLogID))), Size: rg.End()}
	copy(c.Hash[:], root)
	return meta.Put([]byte(metaCheckpoint), c.Marshal())
}
