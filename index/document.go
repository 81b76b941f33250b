package index

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/recfmt"
)

// Document is what the index holds of one record. Field names are those of
// the query language: `event:LAUNCH_FAILED`, `serverID:s-…`, `text:capacity`.
type Document struct {
	// The record's kind and time are not indexed: both are in its ID (see
	// DocID), and a query filters on them there.
	// JobID is the job a job or log item belongs to.
	JobID string `json:"jobID,omitempty"`
	// ServerIDs are the source-server IDs the record mentions.
	ServerIDs []string `json:"serverID,omitempty"`
	// InstanceIDs are the EC2 instance IDs the record mentions.
	InstanceIDs []string `json:"instanceID,omitempty"`
	// Event is a log item's event, such as LAUNCH_FAILED.
	Event string `json:"event,omitempty"`
	// Status holds the statuses the record carries: a job's status, launch
	// statuses of its servers, a snapshot's last launch result.
	Status []string `json:"status,omitempty"`
	// Type is a job's type (LAUNCH, TERMINATE, ...).
	Type string `json:"type,omitempty"`
	// InitiatedBy is what started a job (START_DRILL, ...).
	InitiatedBy string `json:"initiatedBy,omitempty"`
	// ReplicationState is a snapshot's data replication state.
	ReplicationState string `json:"replicationState,omitempty"`
	// Text is the human-readable text: events, raw errors and messages.
	Text string `json:"text"`
}

// codeChars spell a kind's stored code as the first character of a
// document ID: digits for the first ten kinds (as every index has), then
// letters.
const codeChars = "0123456789abcdefghijklmnopqrstuvwxyz"

// DocID is the index ID of the record of kind at key k: the kind's code as
// one character and the key in URL-safe base64, 23 characters.
func DocID(kind archive.Kind, k archive.Key) string {
	code, err := recfmt.KindCode(string(kind))
	if err != nil || int(code) >= len(codeChars) {
		return string(kind) + "/" + base64.RawURLEncoding.EncodeToString(k[:])
	}
	return codeChars[code:code+1] + base64.RawURLEncoding.EncodeToString(k[:])
}

// ParseDocID reverses DocID.
func ParseDocID(id string) (archive.Kind, archive.Key, error) {
	var k archive.Key
	if len(id) != 23 {
		return "", k, fmt.Errorf("index document %q: not a record ID", id)
	}
	code := strings.IndexByte(codeChars, id[0])
	name, ok := recfmt.KindName(byte(code))
	if code < 0 || !ok {
		return "", k, fmt.Errorf("index document %q: not a record ID", id)
	}
	b, err := base64.RawURLEncoding.DecodeString(id[1:])
	if err != nil || len(b) != archive.KeyLen {
		return "", k, fmt.Errorf("index document %q: bad key", id)
	}
	copy(k[:], b)
	return archive.Kind(name), k, nil
}

// textKeys are the members whose string values are human-readable text,
// wherever they stand in the object. Matching ignores case.
var textKeys = map[string]bool{
	"rawerror": true, "error": true, "errormessage": true, "message": true,
	"statusmessage": true, "reason": true, "failurereason": true, "description": true,
	"event": true,
}

// documentBase returns the index rule of rec's kind and its document
// before its fields are read: a job's own ID, or the job of a log item;
// other records (a snapshot naming its last launch, say) belong to no job.
func documentBase(rec archive.Record) (kinds.IndexRule, Document) {
	rule := kinds.IndexRule{}
	if spec := kinds.Of(rec.Kind); spec != nil {
		rule = spec.Index
	}
	d := Document{JobID: rec.JobID}
	if rule.OwnJob {
		d.JobID = rec.ID
	}
	return rule, d
}

// NewDocument extracts the indexed fields of rec.
func NewDocument(rec archive.Record) (Document, error) {
	rule, d := documentBase(rec)
	if rule.Text == nil {
		if sd, ok := scanDocument(rec, rule, d); ok {
			return sd, nil
		}
	}
	return decodedDocument(rec, rule, d)
}

// decodedDocument is NewDocument by decoding rec's JSON into maps and
// walking them: for kinds with a Text rule, which reads the decoded
// object, and for JSON scanDocument does not read.
func decodedDocument(rec archive.Record, rule kinds.IndexRule, d Document) (Document, error) {
	var v any
	if err := json.Unmarshal(rec.Data, &v); err != nil {
		return d, fmt.Errorf("index %s record: %w", rec.Kind, err)
	}
	var text []string
	servers, instances, statuses := set{}, set{}, set{}
	walk(v, "", func(key, s string) {
		lk := strings.ToLower(key)
		switch {
		case strings.HasPrefix(s, "s-") && strings.HasSuffix(lk, "serverid"):
			servers.add(s)
		case strings.HasPrefix(s, "i-"):
			instances.add(s)
		}
		switch lk {
		case "event":
			if d.Event == "" {
				d.Event = s
			}
		case "status", "launchstatus", "lastlaunchresult", "jobstate", "state", "ec2instancestate":
			statuses.add(s)
		case "type", "jobtype":
			if d.Type == "" {
				d.Type = s
			}
		case "initiatedby":
			d.InitiatedBy = s
		case "jobid":
			// A recovery instance names the job that launched it: text, so
			// that --job-id keeps meaning a job and its log items.
			if rule.JobIsText {
				text = append(text, s)
			}
		case "datareplicationstate":
			d.ReplicationState = s
		}
		if textKeys[lk] {
			text = append(text, s)
		}
		for _, m := range rule.StatusMembers {
			if strings.EqualFold(m, key) {
				statuses.add(s)
			}
		}
	})
	if m, ok := v.(map[string]any); ok {
		// The object's own type and initiator, where it names them, win
		// over those of what it holds (a launch action's type, say).
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys) // the last of several wins, always the same
		for _, k := range keys {
			s, ok := m[k].(string)
			if !ok {
				continue
			}
			switch strings.ToLower(k) {
			case "type", "jobtype":
				d.Type = s
			case "initiatedby":
				d.InitiatedBy = s
			}
		}
	}
	if rule.IDIsServer && rec.ID != "" {
		servers.add(rec.ID)
	}
	if rule.IDIsText {
		text = append(text, rec.ID)
	}
	if m, ok := v.(map[string]any); ok && rule.Text != nil {
		text = append(text, rule.Text(m)...)
	}
	d.ServerIDs, d.InstanceIDs, d.Status = servers.list(), instances.list(), statuses.list()
	d.Text = strings.Join(text, "\n")
	return d, nil
}

// walk calls fn for every string value in v with the name of the member
// holding it (the enclosing member's name for strings in arrays). It
// does not enter tags.
func walk(v any, key string, fn func(key, s string)) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // the same record always gives the same document
		for _, k := range keys {
			if strings.EqualFold(k, "tags") {
				// Tags are the owner's labels: a tag named Type or
				// Status is no state of the object.
				continue
			}
			walk(x[k], k, fn)
		}
	case []any:
		for _, vv := range x {
			walk(vv, key, fn)
		}
	case string:
		fn(key, x)
	}
}

// set collects distinct strings in the order first met.
type set map[string]int

func (s set) add(v string) {
	if _, ok := s[v]; !ok {
		s[v] = len(s)
	}
}

func (s set) list() []string {
	if len(s) == 0 {
		return nil
	}
	out := make([]string, len(s))
	for v, i := range s {
		out[i] = v
	}
	return out
}
