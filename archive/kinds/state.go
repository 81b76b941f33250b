package kinds

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"github.com/archiver-dev/archiver/internal/awstime"
)

// State is what makes two objects of one kind the same state: the members
// left out (Volatile paths, a "*" element standing for every element of an
// array) and the adjustments made to the rest (time formats, lag bands).
// Sync's fingerprints and import's comparisons both read it, so that an
// object is one state whichever path it came by. The zero State counts
// every member as it is.
type State struct {
	Volatile [][]string
	Adjust   func(map[string]any)
}

// Value decodes an object of the kind (numbers kept as json.Number) and
// applies the kind's State rule to it.
func (s *Spec) Value(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	for _, path := range s.State.Volatile {
		drop(m, path)
	}
	if s.State.Adjust != nil {
		s.State.Adjust(m)
	}
	return m, nil
}

// Fingerprint hashes the state an object records: its Value with keys in
// canonical order. Two objects with the same fingerprint are the same
// observation.
func (s *Spec) Fingerprint(raw []byte) ([]byte, error) {
	m, err := s.Value(raw)
	if err != nil {
		return nil, err
	}
	canon, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(canon)
	return sum[:], nil
}

// drop deletes the member at path below v.
func drop(v any, path []string) {
	if len(path) == 0 {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		if len(path) == 1 {
			delete(x, path[0])
			return
		}
		drop(x[path[0]], path[1:])
	case []any:
		if path[0] != "*" {
			return
		}
		for _, e := range x {
			drop(e, path[1:])
		}
	}
}

// TimeValue reads a decoded JSON timestamp: epoch seconds (a json.Number,
// as the JSON 1.1 APIs send them) or text (ISO 8601, as DRS sends them and
// the AWS CLI prints them by default, or epoch seconds in a string).
func TimeValue(v any) (time.Time, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		if t, err := awstime.Parse(x); err == nil {
			return t, true
		}
		s = x
	default:
		return time.Time{}, false
	}
	t, err := awstime.ParseEpoch(s)
	return t, err == nil
}

// RawTime is TimeValue for a member's raw bytes; false when they hold no
// timestamp.
func RawTime(raw []byte) (time.Time, bool) {
	if len(raw) == 0 {
		return time.Time{}, false
	}
	if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		// Text without escapes, as AWS writes timestamps.
		if t, err := awstime.Parse(string(raw[1 : len(raw)-1])); err == nil {
			return t, true
		}
		t, err := awstime.ParseEpoch(string(raw[1 : len(raw)-1]))
		return t, err == nil
	}
	if c := raw[0]; c == '-' || '0' <= c && c <= '9' {
		t, err := awstime.ParseEpoch(string(raw))
		return t, err == nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return time.Time{}, false
	}
	return TimeValue(v)
}

// normalizeTimes rewrites the named timestamp members of m as RFC 3339 UTC
// text, so that an instant counts the same in every spelling: epoch
// seconds from the API, ISO 8601 text from saved AWS CLI output.
func normalizeTimes(m map[string]any, names ...string) {
	for _, name := range names {
		if t, ok := TimeValue(m[name]); ok {
			m[name] = t.UTC().Format("2006-01-02T15:04:05.999999999Z")
		}
	}
}

// lagBands are the upper bounds of the replication-lag bands a source
// server's state distinguishes. Lag jitters by seconds on every call; a
// server moving from one band to another is a change of state.
var lagBands = []struct {
	upTo time.Duration
	name string
}{
	{time.Minute, "under 1m"},
	{15 * time.Minute, "under 15m"},
	{time.Hour, "under 1h"},
	{6 * time.Hour, "under 6h"},
	{24 * time.Hour, "under 24h"},
	{7 * 24 * time.Hour, "under 7d"},
}

// LagBand names the band of an ISO 8601 lag duration. A lag it cannot read
// is kept as it is, so any change to it counts.
func LagBand(lag string) string {
	d, err := awstime.ParseDuration(lag)
	if err != nil {
		return lag
	}
	for _, b := range lagBands {
		if d < b.upTo {
			return b.name
		}
	}
	return "7d or more"
}
