package sync

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/awstime"
)

// fingerprint hashes the state an object records: the whole object but for
// the members at the volatile paths (a path element "*" stands for every
// element of an array), after adjust (if not nil) has had its say, with
// keys in canonical order. Two objects with the same fingerprint are the
// same observation.
func fingerprint(raw json.RawMessage, volatile [][]string, adjust func(map[string]any)) ([]byte, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	for _, path := range volatile {
		drop(m, path)
	}
	if adjust != nil {
		adjust(m)
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

// observation is one object to keep as a new record when its state changed.
type observation struct {
	rec archive.Record
	fp  []byte
}

// observed returns the records of batch.
func observed(batch []observation) []archive.Record {
	out := make([]archive.Record, len(batch))
	for i, o := range batch {
		out[i] = o.rec
	}
	return out
}

// observationCommit is the commit of one page of observations. New
// source-server snapshots are counted apart from other new observations.
//
// An object whose current observation was imported from saved AWS CLI
// output is compared with it member by member (coveredState), since
// the fingerprint of output the CLI left members out of is not the one of
// the same state as the API sends it.
func observationCommit(what string, batch []observation) commit {
	return commit{what: what, items: len(batch), apply: func(w *archive.Writer, d *delta) error {
		for _, o := range batch {
			same := func(cur archive.Record) bool {
				return cur.Imported != nil && coveredState(o.rec.Kind, o.rec.Data, cur.Data)
			}
			ch, _, err := w.PutObservationSame(o.rec, o.fp, same)
			if err != nil {
				return err
			}
			d.count(o.rec, ch)
		}
		return nil
	}}
}

// timeValue reads a decoded JSON timestamp: epoch seconds (a json.Number,
// as the JSON 1.1 APIs send them) or text (ISO 8601, as the AWS CLI prints
// them by default, or epoch seconds in a string).
func timeValue(v any) (time.Time, bool) {
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

// rawTime is timeValue for a member's raw bytes, falling back to def when
// they hold no timestamp.
func rawTime(raw json.RawMessage, def time.Time) time.Time {
	if len(raw) == 0 {
		return def
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return def
	}
	if t, ok := timeValue(v); ok {
		return t
	}
	return def
}
