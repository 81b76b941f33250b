package archive

import (
	"bytes"
	"context"
	"fmt"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/joblist"
)

// VerifyDerived recomputes the buckets derived from the records and
// reports every way the stored ones differ: an insider who deletes or edits
// an entry of the identity index or of a job-log index changes what queries
// and exports answer without touching a record, so verify checks them
// against the records themselves.
//
//   - ids: every object with an ID has an entry, and every entry points at
//     a record of that very object (kind, ID, region, account).
//   - joblog: every log item is in exactly one job's list, the list of its
//     job, and every listed key is a log item of that job, in position
//     order from 0.
//
// Once ctx is done it stops with ctx's error.
func (r *Reader) VerifyDerived(ctx context.Context, report func(error)) error {
	stop := &stopper{ctx: ctx}
	ids, err := r.bucket(bucketIDs)
	if err != nil {
		return err
	}
	// Every identity of the records, and whether the index points at one
	// of its records.
	type seen struct{ pointed bool }
	identities := map[string]*seen{}
	for _, spec := range kinds.All() {
		if spec.IDMember == "" {
			continue
		}
		err := r.Each(spec.Kind, func(rec Record) error {
			identities[string(identity(rec.Kind, rec.ID, rec.Region, rec.Account))] = &seen{}
			return stop.check()
		})
		if err != nil {
			return err
		}
	}
	err = ids.ForEach(func(id, v []byte) error {
		if err := stop.check(); err != nil {
			return err
		}
		kind, _, _ := bytes.Cut(id, []byte{0})
		if len(v) < KeyLen {
			report(fmt.Errorf("identity index: the entry of %q is malformed", printable(id)))
			return nil
		}
		b, err := r.bucket(string(kind))
		if err != nil {
			report(fmt.Errorf("identity index: the entry of %q names no kind archiver keeps", printable(id)))
			return nil
		}
		raw := b.Get(v[:KeyLen])
		if raw == nil {
			report(fmt.Errorf("identity index: the entry of %q points at record %x, which is not archived", printable(id), v[:KeyLen]))
			return nil
		}
		rec, err := r.decode(v[:KeyLen], raw)
		if err != nil {
			return err
		}
		if !bytes.Equal(identity(rec.Kind, rec.ID, rec.Region, rec.Account), id) {
			report(fmt.Errorf("identity index: the entry of %q points at record %x of another object", printable(id), v[:KeyLen]))
			return nil
		}
		if s := identities[string(id)]; s != nil {
			s.pointed = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	for id, s := range identities {
		if !s.pointed {
			report(fmt.Errorf("identity index: %q has records but no entry: the entry was removed", printable([]byte(id))))
		}
	}
	return r.verifyJobLogs(stop, report)
}

// verifyJobLogs checks the job-log index against the log items.
func (r *Reader) verifyJobLogs(stop *stopper, report func(error)) error {
	idx, err := r.bucket(bucketJobLog)
	if err != nil {
		return err
	}
	var logKinds []Kind
	for _, spec := range kinds.All() {
		if spec.Class == kinds.LogItem {
			logKinds = append(logKinds, spec.Kind)
		}
	}
	listed := map[Key]bool{}
	for _, lk := range logKinds {
		items, err := r.bucket(string(lk))
		if err != nil {
			return err
		}
		err = idx.ForEach(func(job, list []byte) error {
			parts := bytes.Split(bytes.TrimSuffix(job, []byte{0}), []byte{0})
			if len(parts) != 3 {
				report(fmt.Errorf("job-log index: the entry %q is malformed", printable(job)))
				return nil
			}
			keys, err := joblist.Decode[Key](nil, list)
			if err != nil {
				report(fmt.Errorf("job-log index: the entry %q is malformed: %w", printable(job), err))
				return nil
			}
			ref := JobRef{JobID: string(parts[0]), Region: string(parts[1]), Account: string(parts[2])}
			for pos, k := range keys {
				if err := stop.check(); err != nil {
					return err
				}
				raw := items.Get(k[:])
				if raw == nil {
					report(fmt.Errorf("job-log index: the log of %s lists record %x, which is not archived", ref.JobID, k))
					continue
				}
				rec, err := r.decode(k[:], raw)
				if err != nil {
					return err
				}
				if rec.JobID != ref.JobID || rec.Region != ref.Region || rec.Account != ref.Account || rec.Pos == nil || *rec.Pos != pos {
					report(fmt.Errorf("job-log index: item %d of the log of %s is record %x, which is not that item", pos, ref.JobID, k))
				}
				if listed[k] {
					report(fmt.Errorf("job-log index: record %x is listed twice", k))
				}
				listed[k] = true
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = r.Each(lk, func(rec Record) error {
			if !listed[rec.Key] {
				report(fmt.Errorf("job-log index: log item %x of %s is in no job's list: the entry was removed or edited", rec.Key, rec.JobID))
			}
			return stop.check()
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// printable shows an index key with its NUL separators as slashes.
func printable(k []byte) string { return string(bytes.ReplaceAll(k, []byte{0}, []byte{'/'})) }
