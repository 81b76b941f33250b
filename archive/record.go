package archive

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/archiver-dev/archiver/internal/recfmt"
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
	// ClusterID is the Snowball cluster a cluster job belongs to.
	ClusterID string `json:"clusterID,omitempty"`
	// Time is the object's own time: creation time of a job, log time of a
	// log item, capture time of an observation. It leads the record key.
	Time time.Time `json:"time"`
	// CapturedAt is when an observation was taken; zero for other kinds.
	CapturedAt *time.Time `json:"capturedAt,omitempty"`
	// FirstSeen and LastSeen bound the syncs that saw this exact state.
	FirstSeen time.Time `json:"firstSeen"`
	LastSeen  time.Time `json:"lastSeen"`
	// Imported names the file the record was imported from; nil for
	// records read from the API.
	Imported *Import `json:"imported,omitempty"`
	// Data is the AWS object exactly as received: the bytes of its JSON
	// value in the API response.
	Data json.RawMessage `json:"data"`

	// Key is the record's key in its kind bucket; set when read.
	Key Key `json:"-"`
	// DeletedUpstreamAt is set by readers that look up markings (queries,
	// exports) on the latest record of an object deleted upstream: when a
	// complete listing noticed. It is not stored with the record.
	DeletedUpstreamAt *time.Time `json:"-"`

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

// MarkDataValid records that Data is valid JSON without checking it again.
// It is for data cut, exactly, from a document that a JSON parser has
// already accepted whole, such as an element of an API response the SDK
// decoded. Data must not change afterwards.
func (r *Record) MarkDataValid() { r.dataChecked = true }

// encode renders a record for storage in the layout of package recfmt: a
// compact binary header with the provenance, then Data byte for byte.
func (r *Record) encode() ([]byte, error) {
	return r.appendEncoded(make([]byte, 0, 96+len(r.Data)))
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
	h := recfmt.Header{
		Kind: string(r.Kind), ID: r.ID, Region: r.Region, Account: r.Account, JobID: r.JobID, ClusterID: r.ClusterID,
		Time: r.Time, FirstSeen: r.FirstSeen, LastSeen: r.LastSeen,
	}
	if r.Pos != nil {
		h.Pos, h.HasPos = *r.Pos, true
	}
	if r.Imported != nil {
		if r.Imported.File == "" || r.Imported.SHA256 == "" {
			return out, fmt.Errorf("encode %s record %s: import provenance needs a file name and its SHA-256", r.Kind, r.name())
		}
		h.ImportFile, h.ImportSHA256 = r.Imported.File, r.Imported.SHA256
	}
	if r.CapturedAt != nil {
		h.CapturedAt, h.HasCaptured = *r.CapturedAt, true
	}
	out, err := recfmt.Append(out, &h, r.Data)
	if err != nil {
		return out, fmt.Errorf("encode %s record %s: %w", r.Kind, r.name(), err)
	}
	return out, nil
}

// decodeRecord parses the logical value v of a record (see values.go).
// Data is copied byte for byte, out of the file's memory, unless owned says
// v is the caller's own to keep. Stored data was validated when it was
// written.
func decodeRecord(k, v []byte, owned bool) (Record, error) {
	var r Record
	h, data, err := recfmt.Decode(v)
	if err != nil {
		return r, fmt.Errorf("decode record %x: %w", k, err)
	}
	if !owned {
		data = append(json.RawMessage(nil), data...)
	}
	r = Record{
		Kind: Kind(h.Kind), ID: h.ID, Region: h.Region, Account: h.Account, JobID: h.JobID, ClusterID: h.ClusterID,
		Time: h.Time, FirstSeen: h.FirstSeen, LastSeen: h.LastSeen,
		Data: data, dataChecked: true,
	}
	if h.ImportFile != "" || h.ImportSHA256 != "" {
		r.Imported = &Import{File: h.ImportFile, SHA256: h.ImportSHA256}
	}
	if h.HasPos {
		p := h.Pos
		r.Pos = &p
	}
	if h.HasCaptured {
		c := h.CapturedAt
		r.CapturedAt = &c
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

// Import is the provenance of a record imported from saved AWS CLI output.
type Import struct {
	// File is the base name of the file.
	File string `json:"file"`
	// SHA256 is the hex SHA-256 of the whole file.
	SHA256 string `json:"sha256"`
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
