package query

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// AppendRecord appends the record object of rec to b: its kind, ID,
// provenance and data, the data byte for byte. It is the object of an export
// and of --output json and jsonl.
func AppendRecord(b []byte, rec archive.Record) []byte {
	return append(AppendObject(b, rec), '}')
}

// AppendObject appends the record object of rec to b without its closing
// brace, so that a caller may add members.
func AppendObject(b []byte, rec archive.Record) []byte {
	b = append(b, `{"kind":`...)
	b = appendString(b, string(rec.Kind))
	if rec.ID != "" {
		b = append(b, `,"id":`...)
		b = appendString(b, rec.ID)
	}
	if spec := kinds.Of(rec.Kind); spec != nil && spec.Parent == kinds.ParentJob {
		b = append(b, `,"jobID":`...)
		b = appendString(b, rec.JobID)
	}
	if rec.ClusterID != "" {
		b = append(b, `,"clusterID":`...)
		b = appendString(b, rec.ClusterID)
	}
	if rec.CapturedAt != nil {
		b = append(b, `,"capturedAt":`...)
		b = appendTime(b, *rec.CapturedAt)
	}
	b = append(b, `,"region":`...)
	b = appendString(b, rec.Region)
	b = append(b, `,"account":`...)
	b = appendString(b, rec.Account)
	b = append(b, `,"firstSeen":`...)
	b = appendTime(b, rec.FirstSeen)
	b = append(b, `,"lastSeen":`...)
	b = appendTime(b, rec.LastSeen)
	if rec.DeletedUpstreamAt != nil {
		b = append(b, `,"deletedUpstreamAt":`...)
		b = appendTime(b, *rec.DeletedUpstreamAt)
	}
	if rec.Imported != nil {
		b = append(b, `,"imported":{"file":`...)
		b = appendString(b, rec.Imported.File)
		b = append(b, `,"sha256":`...)
		b = appendString(b, rec.Imported.SHA256)
		b = append(b, '}')
	}
	b = append(b, `,"data":`...)
	return appendData(b, rec.Data)
}

// appendData appends data, verbatim unless it holds a line break: a record
// object is one line of JSON Lines (query --output jsonl, the export's
// record lines, the S3 parts), so data that spans lines, as indented AWS
// CLI output imported before import compacted it does, is compacted (the
// white space between tokens removed, nothing else changed). Stored data is
// valid JSON, where a line break can only be such white space; should
// compacting fail all the same, each line break becomes a space.
func appendData(b, data []byte) []byte {
	if !bytes.ContainsAny(data, "\n\r") {
		return append(b, data...)
	}
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, data); err == nil {
		return buf.Bytes()
	}
	for _, c := range data {
		if c == '\n' || c == '\r' {
			c = ' '
		}
		b = append(b, c)
	}
	return b
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendString appends s as a JSON string, leaving <, > and & unescaped so
// that exported text reads as AWS wrote it.
func appendString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimRight(buf.Bytes(), "\n")...)
}
