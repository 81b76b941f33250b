package index

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// jobLogDocuments returns the documents of a job's log of 100 items (a few
// events, two servers) and the keys of their records, a second apart.
func jobLogDocuments(b *testing.B) ([]Document, []archive.Key) {
	events := []string{"JOB_START", "SNAPSHOT_START", "SNAPSHOT_END", "CONVERSION_START", "CONVERSION_END", "LAUNCH_START", "LAUNCH_END", "JOB_END"}
	docs := make([]Document, 100)
	keys := make([]archive.Key, len(docs))
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range docs {
		rec := archive.Record{Kind: kinds.DRSJobLogItem, JobID: "drsjob-0123456789abcdef0", Data: []byte(fmt.Sprintf(
			`{"event":%q,"eventData":{"sourceServerID":"s-0123456789abcdef%d"},"logDateTime":"2026-11-01T00:00:%02dZ"}`,
			events[i%len(events)], i%2, i%60))}
		var err error
		if docs[i], err = NewDocument(rec); err != nil {
			b.Fatal(err)
		}
		binary.BigEndian.PutUint64(keys[i][:8], uint64(start.Add(time.Duration(i)*time.Second).UnixNano())^(1<<63))
		binary.BigEndian.PutUint64(keys[i][8:], uint64(i+1))
	}
	return docs, keys
}

func benchAnalyzers(b *testing.B) analyzers {
	m, err := newMapping()
	if err != nil {
		b.Fatal(err)
	}
	an, err := newAnalyzers(m)
	if err != nil {
		b.Fatal(err)
	}
	return an
}

// BenchmarkBleveDocument measures turning the documents of a job's log
// into bleve documents of their own, one per item, as a memory index
// does.
func BenchmarkBleveDocument(b *testing.B) {
	an := benchAnalyzers(b)
	docs, keys := jobLogDocuments(b)
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = DocID(kinds.DRSJobLogItem, k)
	}
	for b.Loop() {
		for i, d := range docs {
			an.bleveDocument(ids[i], keys[i], d)
		}
	}
}

// BenchmarkJobDocument measures making the job document of the same log,
// as an index on disk does.
func BenchmarkJobDocument(b *testing.B) {
	an := benchAnalyzers(b)
	docs, keys := jobLogDocuments(b)
	for b.Loop() {
		f := newJobField()
		for i, d := range docs {
			single, _ := an.keywordOnly(d)
			f.addItem(an, i+1, keys[i], d, single)
		}
		f.finish()
	}
}
