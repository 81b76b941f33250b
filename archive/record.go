package archive

import (
	"encoding/json"
	"fmt"
	"strconv"
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

	// dataChecked records that Data is known to be valid JSON.
	dataChecked bool
}

// CheckData checks that Data is one valid JSON value, so that a later write
// need not. Sync checks records this way as pages arrive, in parallel, and
// leaves the single writer only the file to update. Data must not change
// after the check.
func (r *Record) CheckData() error {
	if !json.Valid(r.Data) {
		return fmt.Errorf("%s record %s: data is not valid JSON", r.Kind, r.name())
	}
	r.dataChecked = true
	return nil
}

// encode renders a record for storage: the provenance header, then Data
// appended as raw bytes so that it is never compacted or re-escaped. The
// result is the JSON that decodeRecord reads; it is written by hand because
// encode runs for every archived item.
func (r *Record) encode() ([]byte, error) {
	return r.appendEncoded(make([]byte, 0, 256+len(r.Data)))
}

// appendEncoded appends the encoding of r to out.
func (r *Record) appendEncoded(out []byte) ([]byte, error) {
	if !r.dataChecked {
		if err := r.CheckData(); err != nil {
			return out, fmt.Errorf("encode %w", err)
		}
	}
	for _, t := range []time.Time{r.Time, r.FirstSeen, r.LastSeen} {
		if y := t.Year(); y < 0 || y > 9999 {
			return out, fmt.Errorf("encode %s record %s: time %s is outside years 0 to 9999", r.Kind, r.name(), t)
		}
	}
	out = append(out, `{"kind":`...)
	out = appendString(out, string(r.Kind))
	if r.ID != "" {
		out = append(out, `,"id":`...)
		out = appendString(out, r.ID)
	}
	out = append(out, `,"region":`...)
	out = appendString(out, r.Region)
	out = append(out, `,"account":`...)
	out = appendString(out, r.Account)
	if r.JobID != "" {
		out = append(out, `,"jobID":`...)
		out = appendString(out, r.JobID)
	}
	if r.Pos != nil {
		out = append(out, `,"pos":`...)
		out = strconv.AppendInt(out, int64(*r.Pos), 10)
	}
	out = append(out, `,"time":`...)
	out = appendTime(out, r.Time)
	if r.CapturedAt != nil {
		out = append(out, `,"capturedAt":`...)
		out = appendTime(out, *r.CapturedAt)
	}
	out = append(out, `,"firstSeen":`...)
	out = appendTime(out, r.FirstSeen)
	out = append(out, `,"lastSeen":`...)
	out = appendTime(out, r.LastSeen)
	out = append(out, `,"data":`...)
	out = append(out, r.Data...)
	out = append(out, '}')
	return out, nil
}

// appendString appends s as a JSON string. Plain ASCII is copied as it is;
// anything else goes through encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendTime appends t as encoding/json renders a time.Time.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// decodeRecord parses a stored record. Data is copied byte for byte.
func decodeRecord(k, v []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(v, &r); err != nil {
		return r, fmt.Errorf("decode record %x: %w", k, err)
	}
	copy(r.Key[:], k)
	r.dataChecked = true // Unmarshal has just validated all of v
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
