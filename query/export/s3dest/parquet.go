package s3dest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// Part formats.
const (
	// FormatJSONLines parts are gzip'd JSON Lines, one record object a
	// line (.jsonl.gz).
	FormatJSONLines = "jsonl"
	// FormatParquet parts are Parquet files compressed with zstd
	// (.parquet), a row per record: the typed columns of parquetRow and
	// the AWS object verbatim as JSON text.
	FormatParquet = "parquet"
)

// ParseFormat reads a part format, jsonl or parquet in any case; "" is
// FormatJSONLines.
func ParseFormat(s string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(s)); f {
	case "":
		return FormatJSONLines, nil
	case FormatJSONLines, FormatParquet:
		return f, nil
	}
	return "", fmt.Errorf("%q: want jsonl or parquet", s)
}

// parquetRow is one record in a Parquet part. Every part of every kind has
// the same columns, so an engine may read any part's schema for all; a
// member a kind lacks is null. The names are those of the JSON Lines
// members.
type parquetRow struct {
	Kind       string     `parquet:"kind,dict"`
	Region     string     `parquet:"region,dict"`
	Account    string     `parquet:"account,dict"`
	ID         *string    `parquet:"id,optional"`
	JobID      *string    `parquet:"jobID,optional"`
	ClusterID  *string    `parquet:"clusterID,optional"`
	Time       time.Time  `parquet:"time,timestamp(microsecond)"`
	CapturedAt *time.Time `parquet:"capturedAt,optional,timestamp(microsecond)"`
	// Event is the data's event member (log items), Status its status:
	// the kind's status members (kinds.IndexRule.StatusMembers), else its
	// status, JobState or State member.
	Event             *string    `parquet:"event,optional,dict"`
	Status            *string    `parquet:"status,optional,dict"`
	FirstSeen         time.Time  `parquet:"firstSeen,timestamp(microsecond)"`
	LastSeen          time.Time  `parquet:"lastSeen,timestamp(microsecond)"`
	DeletedUpstreamAt *time.Time `parquet:"deletedUpstreamAt,optional,timestamp(microsecond)"`
	// Imported is {"file","sha256"} as JSON text, for imported records.
	Imported *string `parquet:"imported,optional"`
	// Data is the AWS object exactly as AWS sent it, as JSON text.
	Data string `parquet:"data"`
}

// rowOf returns the Parquet row of rec, and its size as JSON, which counts
// toward the part size bound.
func rowOf(rec archive.Record) (parquetRow, int) {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	region := rec.Region
	if region == "" {
		region = NoRegion // as its partition says
	}
	row := parquetRow{
		Kind: string(rec.Kind), Region: region, Account: rec.Account,
		ID: opt(rec.ID), ClusterID: opt(rec.ClusterID),
		Time: rec.Key.Time().UTC(), CapturedAt: rec.CapturedAt,
		FirstSeen: rec.FirstSeen.UTC(), LastSeen: rec.LastSeen.UTC(),
		DeletedUpstreamAt: rec.DeletedUpstreamAt, Data: string(rec.Data),
	}
	spec := kinds.Of(rec.Kind)
	if spec != nil && spec.Parent == kinds.ParentJob {
		row.JobID = &rec.JobID
	}
	if rec.Imported != nil {
		b, _ := json.Marshal(map[string]string{"file": rec.Imported.File, "sha256": rec.Imported.SHA256})
		row.Imported = opt(string(b))
	}
	// The members named here are found whatever their case, as
	// encoding/json matches them; values that are no string are left out.
	var top struct {
		Event, Status, JobState, State json.RawMessage
	}
	if json.Unmarshal(rec.Data, &top) == nil {
		str := func(v json.RawMessage) *string {
			var s string
			if len(v) == 0 || json.Unmarshal(v, &s) != nil {
				return nil
			}
			return opt(s)
		}
		row.Event = str(top.Event)
		if spec != nil && len(spec.Index.StatusMembers) > 0 {
			var all map[string]json.RawMessage
			json.Unmarshal(rec.Data, &all)
			for _, n := range spec.Index.StatusMembers {
				for k, v := range all {
					if row.Status == nil && strings.EqualFold(k, n) {
						row.Status = str(v)
					}
				}
			}
		}
		for _, v := range []json.RawMessage{top.Status, top.JobState, top.State} {
			if row.Status == nil {
				row.Status = str(v)
			}
		}
	}
	return row, len(rec.Data) + 256
}

// addRow adds rec to the part, first ending the part when the row would
// take it past the bound.
func (pw *partWriter) addRow(rec archive.Record) error {
	row, size := rowOf(rec)
	if pw.lines > 0 && pw.raw+size > pw.limit {
		if err := pw.flushParquet(); err != nil {
			return err
		}
	}
	pw.rows = append(pw.rows, row)
	pw.raw += size
	pw.lines++
	return nil
}

// flushParquet writes the gathered rows as one Parquet part.
func (pw *partWriter) flushParquet() error {
	if len(pw.rows) == 0 {
		return nil
	}
	pw.buf.Reset()
	w := parquet.NewGenericWriter[parquetRow](&pw.buf, parquet.Compression(&parquet.Zstd))
	if _, err := w.Write(pw.rows); err != nil {
		return fmt.Errorf("export: parquet: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("export: parquet: %w", err)
	}
	if err := pw.put(".parquet", "application/vnd.apache.parquet"); err != nil {
		return err
	}
	pw.rows = pw.rows[:0]
	return nil
}
