package archive

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Record is one archived AWS object with its provenance.
type Record struct {
	// Kind says what the object is.
	Kind Kind `json:"kind"`
	// ID is the object's AWS ID (job ID, source server ID). Empty for log
	// items, which AWS gives no ID.
	ID string `json:"id,omitempty"`
	// Region and Account say where the object came from.
	Region  string `json:"region"`
	Account string `json:"account"`
	// JobID and Pos name a log item: its job and its position in the job's
	// log, counting from zero.
	JobID string `json:"jobID,omitempty"`
	Pos   *int   `json:"pos,omitempty"`
	// Time is the object's own time: creation time of a job, log time of a
	// log item, capture time of an observation. It leads the record key.
	Time time.Time `json:"time"`
	// CapturedAt is when an observation was taken; zero for other kinds.
	CapturedAt *time.Time `json:"capturedAt,omitempty"`
	// FirstSeen and LastSeen bound the syncs that saw this exact state.
	FirstSeen time.Time `json:"firstSeen"`
	LastSeen  time.Time `json:"lastSeen"`
	// Data is the AWS object exactly as received: the bytes of its JSON
	// value in the API response.
	Data json.RawMessage `json:"data"`

	// Key is the record's key in its kind bucket; set when read.
	Key Key `json:"-"`
}

// encode renders a record for storage. The header is marshalled by
// encoding/json; Data is appended as raw bytes so that it is never compacted
// or re-escaped.
func (r *Record) encode() ([]byte, error) {
	if !json.Valid(r.Data) {
		return nil, fmt.Errorf("encode %s record %s: data is not valid JSON", r.Kind, r.name())
	}
	h := *r
	h.Data = nil
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&h); err != nil {
		return nil, fmt.Errorf("encode %s record %s: %w", r.Kind, r.name(), err)
	}
	head := bytes.TrimRight(buf.Bytes(), "\n")
	// head ends with `"data":null}`; replace the null with the raw bytes.
	const tail = `"data":null}`
	if !bytes.HasSuffix(head, []byte(tail)) {
		return nil, fmt.Errorf("encode %s record %s: unexpected header shape", r.Kind, r.name())
	}
	out := make([]byte, 0, len(head)+len(r.Data))
	out = append(out, head[:len(head)-len(tail)]...)
	out = append(out, `"data":`...)
	out = append(out, r.Data...)
	out = append(out, '}')
	return out, nil
}

// decodeRecord parses a stored record. Data is copied byte for byte.
func decodeRecord(k, v []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(v, &r); err != nil {
		return r, fmt.Errorf("decode record %x: %w", k, err)
	}
	copy(r.Key[:], k)
	return r, nil
}

func (r *Record) name() string {
	if r.ID != "" {
		return r.ID
	}
	if r.Pos != nil {
		return fmt.Sprintf("%s[%d]", r.JobID, *r.Pos)
	}
	return r.JobID
}

// JobRef names one job in one region and account.
type JobRef struct {
	JobID, Region, Account string
}

// JobState is what sync remembers about a job's log between runs.
type JobState struct {
	// LogComplete is set once the whole log of a COMPLETED job has been
	// archived; the log is never read again after that.
	LogComplete bool `json:"logComplete"`
	// LogItems is the number of log items archived for the job.
	LogItems int `json:"logItems"`
}
