package archive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/reczip"
)

// Bucket names of schema 1 that are not kinds.
const (
	bucketIDs      = "ids"
	bucketJobLog   = "joblog"
	bucketJobState = "jobstate"
)

// Reader reads one consistent snapshot of the archive.
type Reader struct {
	tx *bolt.Tx
	// zt is the compression dictionaries as tx sees them (see values.go),
	// read when first needed.
	zt *reczip.Table
	// blocks holds the block read last (see blocks.go).
	blocks blockCache
}

func (r *Reader) bucket(name string) (*bolt.Bucket, error) {
	b := r.tx.Bucket([]byte(name))
	if b != nil && r.tx.Writable() {
		b.FillPercent = fillPercent(name)
	}
	if b == nil {
		return nil, fmt.Errorf("archive has no %s bucket", name)
	}
	return b, nil
}

// fillPercent is how full bbolt fills the pages it splits in the bucket
// name. Record keys begin with the record's time and the change log's
// with its position, so those buckets grow mostly at their end: a page
// left full is rarely split again, and full pages keep the file small.
// Other buckets (identities, job logs) are written all over their key
// space and keep room for what comes.
func fillPercent(name string) float64 {
	if name == bucketChanges || name == reczip.BlocksBucket || kinds.Of(Kind(name)) != nil {
		return 1
	}
	return 0.9
}

// Each calls fn for every record of kind in key order (oldest first). It
// stops at the first error fn returns and returns it.
func (r *Reader) Each(kind Kind, fn func(Record) error) error { return r.each(kind, false, fn) }

// EachBorrowed is Each for a caller that keeps nothing of a record's data
// once fn returns (an index build, which makes its document of it): the
// data is read in place, from the file or from a block the Reader holds,
// and not copied. It is valid until fn returns.
func (r *Reader) EachBorrowed(kind Kind, fn func(Record) error) error {
	return r.each(kind, true, fn)
}

func (r *Reader) each(kind Kind, borrow bool, fn func(Record) error) error {
	b, err := r.bucket(string(kind))
	if err != nil {
		return err
	}
	return b.ForEach(func(k, v []byte) error {
		rec, err := r.decodeAs(k, v, borrow)
		if err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
		return fn(rec)
	})
}

// Count returns the number of records of kind.
func (r *Reader) Count(kind Kind) (int, error) {
	b, err := r.bucket(string(kind))
	if err != nil {
		return 0, err
	}
	return b.Stats().KeyN, nil
}

// JobLog calls fn for each archived log item of job j, in log order.
func (r *Reader) JobLog(j JobRef, fn func(Record) error) error {
	idx, err := r.bucket(bucketJobLog)
	if err != nil {
		return err
	}
	items, err := r.bucket(string(kinds.DRSJobLogItem))
	if err != nil {
		return err
	}
	keys, err := jobList(idx, j)
	if err != nil {
		return err
	}
	return r.eachLogItem(items, j.JobID, keys, fn)
}

// eachLogItem calls fn with the records of the keys of a job-log index
// entry, in position order.
func (r *Reader) eachLogItem(items *bolt.Bucket, jobID string, keys []Key, fn func(Record) error) error {
	for _, k := range keys {
		raw := items.Get(k[:])
		if raw == nil {
			return fmt.Errorf("job log index of %s points at missing record %x", jobID, k)
		}
		rec, err := r.decode(k[:], raw)
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}

// JobState returns what sync remembers about job j (zero if nothing).
func (r *Reader) JobState(j JobRef) (JobState, error) {
	var st JobState
	b, err := r.bucket(bucketJobState)
	if err != nil {
		return st, err
	}
	v := b.Get(jobPrefix(j))
	if v == nil {
		return st, nil
	}
	if err := json.Unmarshal(v, &st); err != nil {
		return st, fmt.Errorf("job state of %s: %w", j.JobID, err)
	}
	return st, nil
}

// CompleteLogs returns the jobs whose logs are archived in full, so that sync
// can skip them without reading the archive again.
func (r *Reader) CompleteLogs() (map[JobRef]bool, error) {
	b, err := r.bucket(bucketJobState)
	if err != nil {
		return nil, err
	}
	out := map[JobRef]bool{}
	err = b.ForEach(func(k, v []byte) error {
		var st JobState
		if err := json.Unmarshal(v, &st); err != nil {
			return fmt.Errorf("job state %q: %w", k, err)
		}
		if !st.LogComplete {
			return nil
		}
		j, ok := parseJobPrefix(k)
		if !ok {
			return fmt.Errorf("job state key %q is malformed", k)
		}
		out[j] = true
		return nil
	})
	return out, err
}

// Latest returns the current record of an identity (the latest state of a
// job, the last observation of a source server), and whether there is one.
func (r *Reader) Latest(kind Kind, id, region, account string) (Record, bool, error) {
	ids, err := r.bucket(bucketIDs)
	if err != nil {
		return Record{}, false, err
	}
	v := ids.Get(identity(kind, id, region, account))
	if v == nil {
		return Record{}, false, nil
	}
	b, err := r.bucket(string(kind))
	if err != nil {
		return Record{}, false, err
	}
	raw := b.Get(v[:KeyLen])
	if raw == nil {
		return Record{}, false, fmt.Errorf("identity %s %s points at missing record %x", kind, id, v[:KeyLen])
	}
	rec, err := r.decode(v[:KeyLen], raw)
	return rec, err == nil, err
}

// EachBetween calls fn for every record of kind whose time is within
// [from, to], in key order. A zero from or to leaves that side open.
func (r *Reader) EachBetween(kind Kind, from, to time.Time, fn func(Record) error) error {
	return r.between(kind, from, to, func(k, v []byte) error {
		rec, err := r.decode(k, v)
		if err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
		return fn(rec)
	})
}

// KeysBetween calls fn with the key of every record of kind whose time is
// within [from, to], in key order, without reading the records: a key
// leads with its record's time. A zero from or to leaves that side open.
func (r *Reader) KeysBetween(kind Kind, from, to time.Time, fn func(Key) error) error {
	return r.between(kind, from, to, func(k, _ []byte) error {
		var key Key
		copy(key[:], k)
		return fn(key)
	})
}

// between calls fn with the key and stored value of every record of kind
// whose key time is within [from, to], in key order.
func (r *Reader) between(kind Kind, from, to time.Time, fn func(k, v []byte) error) error {
	b, err := r.bucket(string(kind))
	if err != nil {
		return err
	}
	c := b.Cursor()
	k, v := c.First()
	if !from.IsZero() {
		start := makeKey(from, 0)
		k, v = c.Seek(start[:])
	}
	var end Key
	if !to.IsZero() {
		end = makeKey(to, ^uint64(0))
	}
	for ; k != nil; k, v = c.Next() {
		if !to.IsZero() && bytes.Compare(k, end[:]) > 0 {
			return nil
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// JobRecords calls fn with the current record of job jobID and every
// archived log item of it, in any region and account: the job record of
// each first, then its log in order. Log items whose job record is not
// archived are included.
func (r *Reader) JobRecords(jobID string, fn func(Record) error) error {
	ids, err := r.bucket(bucketIDs)
	if err != nil {
		return err
	}
	jobs, err := r.bucket(string(kinds.DRSJob))
	if err != nil {
		return err
	}
	prefix := append(append([]byte(kinds.DRSJob), 0), append([]byte(jobID), 0)...)
	c := ids.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		raw := jobs.Get(v[:KeyLen])
		if raw == nil {
			return fmt.Errorf("identity of job %s points at missing record %x", jobID, v[:KeyLen])
		}
		rec, err := r.decode(v[:KeyLen], raw)
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	idx, err := r.bucket(bucketJobLog)
	if err != nil {
		return err
	}
	items, err := r.bucket(string(kinds.DRSJobLogItem))
	if err != nil {
		return err
	}
	lp := append([]byte(jobID), 0)
	lc := idx.Cursor()
	for k, v := lc.Seek(lp); k != nil && bytes.HasPrefix(k, lp); k, v = lc.Next() {
		keys, err := decodeJobList(jobID, v)
		if err != nil {
			return err
		}
		if err := r.eachLogItem(items, jobID, keys, fn); err != nil {
			return err
		}
	}
	return nil
}
