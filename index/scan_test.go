package index_test

import (
	"reflect"
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// sameBothWays fails unless the one-pass scan of rec builds the document
// decoding builds, or leaves rec to decoding; a record decoding refuses
// must not be scanned.
func sameBothWays(t *testing.T, rec archive.Record) (scanned bool) {
	t.Helper()
	scan, scanned, decoded, err := index.BuildBothWays(rec)
	switch {
	case err != nil && scanned:
		t.Errorf("%s %s: decoding refuses it (%v), the scan reads it", rec.Kind, rec.Data, err)
	case scanned && !reflect.DeepEqual(scan, decoded):
		t.Errorf("%s %s:\nscan    %#v\ndecoded %#v", rec.Kind, rec.Data, scan, decoded)
	}
	return scanned
}

// TestScanBuildsDecodedDocuments: every record of an emulated history gets
// the same document from the one-pass scan as from decoding, and the scan
// reads every record of a kind without a Text rule.
func TestScanBuildsDecodedDocuments(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 23})
	dir := archivetest.Dir(t)
	syncOnce(t, dir, emu)
	st := archivetest.Open(t, dir)
	scanned := 0
	err := st.View(func(r *archive.Reader) error {
		for _, kind := range kinds.Names() {
			err := r.Each(kind, func(rec archive.Record) error {
				ok := sameBothWays(t, rec)
				if spec := kinds.Of(kind); ok {
					scanned++
				} else if spec != nil && spec.Index.Text == nil {
					t.Errorf("%s %s: left to decoding", kind, rec.Data)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned == 0 {
		t.Fatal("no record was scanned; the test proves nothing")
	}
}

// FuzzScanDocument: for any JSON, the one-pass scan builds the document
// decoding builds, or leaves it to decoding, for records of every kind the
// scan reads.
func FuzzScanDocument(f *testing.F) {
	for _, s := range []string{
		`{"event":"LAUNCH_FAILED","eventData":{"conversionServerID":"i-0123456789abcdef0","rawError":"InsufficientInstanceCapacity: no capacity","sourceServerID":"s-0123456789abcdef0","targetInstanceID":"i-0fedcba9876543210"},"logDateTime":"2026-11-01T00:00:00Z"}`,
		`{"logDateTime":"2026-11-01T00:00:00Z","event":"JOB_START","x-annotations":[{"k":"a&b","v":"<i>"},null,true,-0.0,12345678901234567890],"x-scaleFactor":1.0e3}`,
		`{"type":"LAUNCH","jobType":"X","initiatedBy":"START_DRILL","participatingServers":[{"launchStatus":"LAUNCHED","sourceServerID":"s-1","type":"SSM"}],"Tags":{"Type":"prod","status":"s-2"}}`,
		`{"message":"caf\u00e9 \"quoted\" \ud83d\ude00","Reason":"\u0000x","description":"\xff\xfe bad utf-8","ÉVENT":"x"}`,
		`{"event":"A","event":"B"}`,
		`{"b":"s-1","a":["i-2",{"serverID":"s-3","status":["A","B","A"]}],"c":{}}`,
		`{"n":1e400}`, `{"n":01}`, `{"n":-}`, `{"n":1.}`, `{"n":.5}`, `{"n":1E+2,"m":-0.5e-3}`,
		`[]`, `"x"`, `{}`, ` {"a" : "b" } `, `{"a":"b"}x`, `{"a":tru}`, `{"a":"b",}`, `{"a":"\q"}`,
	} {
		f.Add([]byte(s))
	}
	var rules []archive.Kind
	for _, kind := range kinds.Names() {
		if spec := kinds.Of(kind); spec != nil && spec.Index.Text == nil {
			rules = append(rules, kind)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range rules {
			sameBothWays(t, archive.Record{Kind: kind, ID: "s-0123456789abcdef0", JobID: "drsjob-1", Data: data})
		}
	})
}
