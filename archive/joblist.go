package archive

import (
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
