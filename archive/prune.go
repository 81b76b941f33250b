package archive

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/chain"
	"github.com/archiver-dev/archiver/migrations"
)

// PrunePlan is what a prune removes.
type PrunePlan struct {
	// Before is the prune's bound: records older than it go.
	Before time.Time
	// Keys are the records removed.
	Keys map[Key]bool
	// Counts are the records removed of each kind.
	Counts map[Kind]int
	// jobs are the job logs removed whole, with their index and state.
	jobs []JobRef
	// byKind lists Keys by kind, in key order.
	byKind map[Kind][]Key
}

// Records is the number of records the plan removes.
func (p PrunePlan) Records() int { return len(p.Keys) }

// PlanPrune returns what a prune of everything before before removes:
//   - DRS jobs created before it, with their whole logs and sync state;
//   - the logs of jobs no longer archived whose every item is older;
//   - observations (source-server snapshots, staging accounts, recovery
//     instances, Snowball cluster jobs, SMS replication jobs) captured before
//     it, by their FirstSeen (when a sync or import first saw that state),
//     except the current one of each object, which stays as the state the
//     next sync compares with. An observation's own time (a Snowball job's
//     CreationDate, an SMS job's seedReplicationTime) does not count: an
//     old job's states captured after before stay. Recovery snapshots, kept
//     once each, are always the current state of their snapshot and stay.
func (r *Reader) PlanPrune(before time.Time) (PrunePlan, error) {
	p := PrunePlan{Before: before, Keys: map[Key]bool{}, Counts: map[Kind]int{}, byKind: map[Kind][]Key{}}
	add := func(rec Record) {
		p.Keys[rec.Key] = true
		p.Counts[rec.Kind]++
		p.byKind[rec.Kind] = append(p.byKind[rec.Kind], rec.Key)
	}
	last := before.Add(-time.Nanosecond)
	err := r.EachBetween(kinds.DRSJob, time.Time{}, last, func(job Record) error {
		add(job)
		ref := JobRef{JobID: job.ID, Region: job.Region, Account: job.Account}
		p.jobs = append(p.jobs, ref)
		return r.JobLog(ref, func(it Record) error { add(it); return nil })
	})
	if err != nil {
		return p, err
	}
	// Logs whose job record is gone: whole, when all of it is old.
	ids, err := r.bucket(bucketIDs)
	if err != nil {
		return p, err
	}
	idx, err := r.bucket(bucketJobLog)
	if err != nil {
		return p, err
	}
	err = idx.ForEach(func(k, v []byte) error {
		parts := bytes.SplitN(k, []byte{0}, 4)
		if len(parts) != 4 {
			return fmt.Errorf("job log index key %q is malformed", k)
		}
		ref := JobRef{JobID: string(parts[0]), Region: string(parts[1]), Account: string(parts[2])}
		if ids.Get(identity(kinds.DRSJob, ref.JobID, ref.Region, ref.Account)) != nil {
			return nil
		}
		var items []Record
		old := true
		err := r.JobLog(ref, func(it Record) error {
			items = append(items, it)
			old = old && it.Time.Before(before)
			return nil
		})
		if err != nil || !old {
			return err
		}
		p.jobs = append(p.jobs, ref)
		for _, it := range items {
			add(it)
		}
		return nil
	})
	if err != nil {
		return p, err
	}
	for _, kind := range kinds.Names() {
		if kinds.OwnsLog(kind) || kinds.IsLogItem(kind) {
			continue
		}
		err := r.Each(kind, func(rec Record) error {
			if !rec.FirstSeen.Before(before) {
				return nil // captured at or after the bound
			}
			cur := ids.Get(identity(kind, rec.ID, rec.Region, rec.Account))
			if len(cur) >= KeyLen && bytes.Equal(cur[:KeyLen], rec.Key[:]) {
				return nil // the current observation stays
			}
			add(rec)
			return nil
		})
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

// Prune removes the records of p, which must come from PlanPrune in the same
// transaction, and records the prune: note (what was pruned, and where the
// records went) is kept in the archive and is itself a link of the hash
// chain, after the links of the deletions.
func (w *Writer) Prune(p PrunePlan, note []byte) error {
	ids, err := w.bucket(bucketIDs)
	if err != nil {
		return err
	}
	for _, kind := range kinds.Names() {
		b, err := w.bucket(string(kind))
		if err != nil {
			return err
		}
		for _, k := range p.byKind[kind] {
			if !kinds.IsLogItem(kind) {
				raw := b.Get(k[:])
				if raw == nil {
					return fmt.Errorf("prune: %s record %x is gone", kind, k)
				}
				rec, err := w.decode(k[:], raw)
				if err != nil {
					return err
				}
				id := identity(kind, rec.ID, rec.Region, rec.Account)
				if cur := ids.Get(id); len(cur) >= KeyLen && bytes.Equal(cur[:KeyLen], k[:]) {
					if err := ids.Delete(id); err != nil {
						return err
					}
				}
			}
			if err := w.deleteRecord(b, k[:]); err != nil {
				return fmt.Errorf("prune %s record %x: %w", kind, k, err)
			}
			w.note(OpDelete, kind, k[:], nil)
		}
	}
	idx, err := w.bucket(bucketJobLog)
	if err != nil {
		return err
	}
	st, err := w.bucket(bucketJobState)
	if err != nil {
		return err
	}
	for _, j := range p.jobs {
		if err := idx.Delete(jobPrefix(j)); err != nil {
			return err
		}
		if prefix := jobPrefix(j); st.Get(prefix) != nil {
			if err := st.Delete(prefix); err != nil {
				return err
			}
			w.noteState(prefix, nil)
		}
	}
	return w.noteEvent(note)
}

// metaEventPrefix starts the meta keys of the events the chain records
// (prunes): the prefix, then the 16-byte event ID its link names.
const metaEventPrefix = "event\x00"

// noteEvent keeps note under a new event ID in meta and links it into the
// hash chain (OpEvent).
func (w *Writer) noteEvent(note []byte) error {
	meta, err := w.bucket(migrations.MetaBucket)
	if err != nil {
		return err
	}
	seq, err := meta.NextSequence()
	if err != nil {
		return err
	}
	id := makeKey(time.Now(), seq)
	if err := meta.Put(append([]byte(metaEventPrefix), id[:]...), note); err != nil {
		return err
	}
	w.extra = append(w.extra, chain.Link{Op: byte(OpEvent), Kind: eventKind, Key: id, Sum: sha256.Sum256(note)})
	return nil
}

// Events calls fn with every event the chain records (prunes), oldest
// first, with its ID and note.
func (r *Reader) Events(fn func(id Key, note []byte) error) error {
	meta, err := r.bucket(migrations.MetaBucket)
	if err != nil {
		return err
	}
	c := meta.Cursor()
	prefix := []byte(metaEventPrefix)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var id Key
		copy(id[:], k[len(prefix):])
		if err := fn(id, v); err != nil {
			return err
		}
	}
	return nil
}

// eventSum returns the SHA-256 of the note of event id, and whether there
// is one.
func (r *Reader) eventSum(id [KeyLen]byte) ([sha256.Size]byte, bool) {
	meta, err := r.bucket(migrations.MetaBucket)
	if err != nil {
		return [sha256.Size]byte{}, false
	}
	v := meta.Get(append([]byte(metaEventPrefix), id[:]...))
	if v == nil {
		return [sha256.Size]byte{}, false
	}
	return sha256.Sum256(v), true
}
