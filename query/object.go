package query

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/archiver-dev/archiver/archive"
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
	if rec.Kind == archive.KindDRSJobLogItem {
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
	b = append(b, rec.Data...)
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
