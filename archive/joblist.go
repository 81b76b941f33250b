package archive

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/internal/joblist"
)

// The job-log index (bucketJobLog) maps each job's jobPrefix to the keys of
// its log items in position order, packed as package joblist lays them out
// (schema 15 on). Reads and writes of entries go through the functions
// below; verify decodes entries with package joblist itself, to report a
// damaged one and go on.

// decodeJobList returns the keys of the index entry v of job jobID. A
// damaged entry is an error that names the job.
func decodeJobList(jobID string, v []byte) ([]Key, error) {
	keys, err := joblist.Decode[Key](nil, v)
	if err != nil {
		return nil, fmt.Errorf("job log index of %s is malformed: %w", jobID, err)
	}
	return keys, nil
}

// jobList returns the keys of the log items of job j in idx, the job-log
// index; none if the job has no entry.
func jobList(idx *bolt.Bucket, j JobRef) ([]Key, error) {
	v := idx.Get(jobPrefix(j))
	if v == nil {
		return nil, nil
	}
	return decodeJobList(j.JobID, v)
}

// encodeJobList returns the index entry of a job whose log items have keys.
func encodeJobList(keys []Key) []byte { return joblist.Append(nil, keys) }

// parseJobPrefix reverses jobPrefix.
func parseJobPrefix(k []byte) (JobRef, bool) {
	parts := bytes.Split(bytes.TrimSuffix(k, []byte{0}), []byte{0})
	if len(parts) != 3 {
		return JobRef{}, false
	}
	return JobRef{JobID: string(parts[0]), Region: string(parts[1]), Account: string(parts[2])}, true
}

// JobKeys returns the keys of the archived log items of job j in position
// order: the key of the item at position p is the p'th. None if the job
// has no archived log.
func (r *Reader) JobKeys(j JobRef) ([]Key, error) {
	idx, err := r.bucket(bucketJobLog)
	if err != nil {
		return nil, err
	}
	return jobList(idx, j)
}

// EachJobKeys calls fn with every job that has an archived log and the
// keys of its log items in position order. keys is valid until fn
// returns.
func (r *Reader) EachJobKeys(fn func(j JobRef, keys []Key) error) error {
	idx, err := r.bucket(bucketJobLog)
	if err != nil {
		return err
	}
	var keys []Key
	return idx.ForEach(func(k, v []byte) error {
		j, ok := parseJobPrefix(k)
		if !ok {
			return fmt.Errorf("job log index key %q is malformed", k)
		}
		if keys, err = joblist.Decode(keys[:0], v); err != nil {
			return fmt.Errorf("job log index of %s is malformed: %w", j.JobID, err)
		}
		return fn(j, keys)
	})
}
