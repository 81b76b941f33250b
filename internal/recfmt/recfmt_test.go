package recfmt

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 891011, time.UTC)
	tests := []struct {
		name string
		h    Header
		data string
	}{
		{"job", Header{Kind: "drs.job", ID: "drsjob-0123456789abcdef0", Region: "us-east-1", Account: "123456789012", Time: at, FirstSeen: at, LastSeen: at.Add(time.Hour)}, `{"jobID":"drsjob-0123456789abcdef0"}`},
		{"log item", Header{Kind: "drs.jobLogItem", Region: "eu-west-1", Account: "1", JobID: "drsjob-1", Pos: 300, HasPos: true, Time: at, FirstSeen: at, LastSeen: at}, `{"event":"LAUNCH_FAILED"}`},
		{"position zero", Header{Kind: "drs.jobLogItem", JobID: "j", HasPos: true, Time: at, FirstSeen: at, LastSeen: at}, `{}`},
		{"snapshot", Header{Kind: "drs.sourceServer", ID: "s-1", Region: "r", Account: "a", Time: at, CapturedAt: at, HasCaptured: true, FirstSeen: at, LastSeen: at}, "{\n \"a\": 1\n}"},
		{"zero and far times", Header{Kind: "sms.replicationJob", ID: "sms-job-1", Time: time.Time{}, FirstSeen: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), LastSeen: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC)}, `[]`},
		{"cluster job", Header{Kind: "snowball.clusterJob", ID: "JID1", Region: "us-west-2", Account: "1", ClusterID: "CID1", Time: at, CapturedAt: at, HasCaptured: true, FirstSeen: at, LastSeen: at}, `{"JobId":"JID1"}`},
		{"imported", Header{Kind: "drs.jobLogItem", JobID: "drsjob-1", Pos: 2, HasPos: true, ImportFile: "log.json", ImportSHA256: "ab", Time: at, FirstSeen: at, LastSeen: at}, `{}`},
		{"staging account", Header{Kind: "drs.stagingAccount", ID: "210987654321", Time: at, CapturedAt: at, HasCaptured: true}, `{"accountID":"210987654321"}`},
		{"unicode strings", Header{Kind: "snowball.clusterJob", ID: "é☃\x00", Region: "", Account: "\xff", Time: time.Unix(-5, 7).UTC()}, `"x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Append([]byte("prefix"), &tc.h, []byte(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(v, []byte("prefix")) {
				t.Fatal("Append overwrote dst")
			}
			h, data, err := Decode(v[len("prefix"):])
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != tc.data {
				t.Errorf("data %q, want %q", data, tc.data)
			}
			if !reflect.DeepEqual(h, tc.h) {
				t.Errorf("header\n got %+v\nwant %+v", h, tc.h)
			}
		})
	}
	if _, err := Append(nil, &Header{Kind: "ec2.instance"}, nil); err == nil {
		t.Error("an unknown kind was encoded")
	}
	if _, err := Append(nil, &Header{Kind: "drs.jobLogItem", Pos: -1, HasPos: true}, nil); err == nil {
		t.Error("a negative position was encoded")
	}
}

func TestDecodeRefuses(t *testing.T) {
	good, _ := Append(nil, &Header{Kind: "drs.job", ID: "drsjob-1", Region: "r", Account: "a"}, []byte(`{}`))
	for name, v := range map[string][]byte{
		"empty":        nil,
		"json":         []byte(`{"kind":"drs.job"}`),
		"bad kind":     {Marker, 99, 0},
		"unknown flag": {Marker, 0, 1 << 6},
		"cut header":   good[:6],
		"long str":     {Marker, 0, FlagID, 0x7f, 'a'},
	} {
		if _, _, err := Decode(v); !errors.Is(err, ErrLayout) {
			t.Errorf("%s: Decode = %v, want ErrLayout", name, err)
		}
	}
}

// FuzzDecode checks that Decode never panics and that whatever it accepts
// encodes back to the same bytes.
func FuzzDecode(f *testing.F) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)
	for _, h := range []Header{
		{Kind: "drs.job", ID: "drsjob-1", Region: "us-east-1", Account: "1", Time: at, FirstSeen: at, LastSeen: at},
		{Kind: "drs.jobLogItem", JobID: "drsjob-1", Pos: 5, HasPos: true, Time: at},
		{Kind: "drs.sourceServer", ID: "s-1", CapturedAt: at, HasCaptured: true},
	} {
		v, _ := Append(nil, &h, []byte(`{"a":1}`))
		f.Add(v)
	}
	f.Add([]byte{Marker})
	f.Add([]byte(`{"kind":"drs.job"}`))
	f.Fuzz(func(t *testing.T, v []byte) {
		h, data, err := Decode(v)
		if err != nil {
			return
		}
		back, err := Append(nil, &h, data)
		if err != nil {
			t.Fatalf("decoded header does not encode: %v", err)
		}
		h2, data2, err := Decode(back)
		if err != nil || !reflect.DeepEqual(h, h2) || !bytes.Equal(data, data2) {
			t.Fatalf("re-encoded record decodes differently: %v", err)
		}
	})
}
