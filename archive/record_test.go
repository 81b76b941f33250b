package archive

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive/kinds"
)

// TestRecordEncodeRoundTrip checks that a stored record decodes to the same
// record, with Data byte for byte, whatever the strings hold.
func TestRecordEncodeRoundTrip(t *testing.T) {
	pos := 7
	at := time.Date(2026, 3, 4, 5, 6, 7, 891011, time.UTC)
	tests := []struct {
		name string
		rec  Record
	}{
		{"job", Record{Kind: kinds.DRSJob, ID: "drsjob-1", Region: "us-east-1", Account: "123456789012", Time: at, FirstSeen: at, LastSeen: at.Add(time.Hour), Data: json.RawMessage(`{"jobID":"drsjob-1","x":[1, 2,  3]}`)}},
		{"log item", Record{Kind: kinds.DRSJobLogItem, JobID: "drsjob-1", Pos: &pos, Region: "r", Account: "", Time: at, FirstSeen: at, LastSeen: at, Data: json.RawMessage(`{"event":"LAUNCH_FAILED","eventData":{"rawError":"a \"quoted\" <b>&amp; \u00e9"}}`)}},
		{"snapshot", Record{Kind: kinds.DRSSourceServer, ID: "s-1", Region: "eu-west-1", Account: "1", Time: at, CapturedAt: &at, FirstSeen: at, LastSeen: at, Data: json.RawMessage("{\n  \"a\": 1\n}")}},
		{"awkward strings", Record{Kind: kinds.DRSJob, ID: "id \"with\" \\ quotes\n\tand é ☃ <&>", Region: "\x01", Account: "acct", Time: time.Unix(0, 1).UTC(), FirstSeen: at, LastSeen: at, Data: json.RawMessage(`{}`)}},
		{"zero times", Record{Kind: kinds.DRSJob, ID: "j", Data: json.RawMessage(`{"a":null}`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.rec.encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(b, tc.rec.Data) {
				t.Fatalf("encoded record does not end with its data byte for byte: %q", b)
			}
			got, err := decodeRecord(make([]byte, KeyLen), b, false)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Data, tc.rec.Data) {
				t.Errorf("data changed:\n got %s\nwant %s", got.Data, tc.rec.Data)
			}
			got.Data, got.Key = nil, Key{}
			want := tc.rec
			want.Data, want.dataChecked = nil, true
			if !reflect.DeepEqual(got, want) {
				t.Errorf("record changed:\n got %+v\nwant %+v", got, want)
			}
		})
	}
	late := Record{Kind: kinds.DRSJob, ID: "j", Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Data: json.RawMessage(`{}`)}
	if _, err := late.encode(); err == nil {
		t.Error("a record dated in year 10000 was encoded")
	}
	for _, data := range []string{`{"a":`, ``, `{} {}`, `{"a":1}x`} {
		bad := Record{Kind: kinds.DRSJob, ID: "j", Data: json.RawMessage(data)}
		if _, err := bad.encode(); err == nil {
			t.Errorf("a record with data %q was encoded", data)
		}
		if err := bad.CheckData(); err == nil {
			t.Errorf("CheckData passed %q", data)
		}
	}
}
