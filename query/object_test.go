package query_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/query"
)

func TestAppendRecordDeletedUpstream(t *testing.T) {
	seen := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	gone := seen.Add(36 * time.Hour)
	base := archive.Record{Kind: kinds.DRSJob, ID: "drsjob-1", Region: "us-east-1", Account: "123456789012",
		FirstSeen: seen, LastSeen: seen, Data: json.RawMessage(`{"jobID":"drsjob-1"}`)}
	marked := base
	marked.DeletedUpstreamAt = &gone
	tests := []struct {
		name string
		rec  archive.Record
		want string
	}{
		{"a record of an object AWS still lists", base,
			`{"kind":"drs.job","id":"drsjob-1","region":"us-east-1","account":"123456789012","firstSeen":"2026-03-04T10:00:00Z","lastSeen":"2026-03-04T10:00:00Z","data":{"jobID":"drsjob-1"}}`},
		{"the latest record of an object deleted upstream", marked,
			`{"kind":"drs.job","id":"drsjob-1","region":"us-east-1","account":"123456789012","firstSeen":"2026-03-04T10:00:00Z","lastSeen":"2026-03-04T10:00:00Z","deletedUpstreamAt":"2026-03-05T22:00:00Z","data":{"jobID":"drsjob-1"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(query.AppendRecord(nil, tt.rec)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
