package index

import (
	"fmt"
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// BenchmarkBleveDocument measures turning the documents of a job's log
// (100 items, a few events, two servers) into bleve documents, as a
// batcher does: per item.
func BenchmarkBleveDocument(b *testing.B) {
	m, err := newMapping()
	if err != nil {
		b.Fatal(err)
	}
	an, err := newAnalyzers(m)
	if err != nil {
		b.Fatal(err)
	}
	events := []string{"JOB_START", "SNAPSHOT_START", "SNAPSHOT_END", "CONVERSION_START", "CONVERSION_END", "LAUNCH_START", "LAUNCH_END", "JOB_END"}
	docs := make([]Document, 100)
	ids := make([]string, len(docs))
	for i := range docs {
		rec := archive.Record{Kind: kinds.DRSJobLogItem, JobID: "drsjob-0123456789abcdef0", Data: []byte(fmt.Sprintf(
			`{"event":%q,"eventData":{"sourceServerID":"s-0123456789abcdef%d"},"logDateTime":"2026-11-01T00:00:%02dZ"}`,
			events[i%len(events)], i%2, i%60))}
		if docs[i], err = NewDocument(rec); err != nil {
			b.Fatal(err)
		}
		ids[i] = DocID(kinds.DRSJobLogItem, archive.Key{byte(i)})
	}
	for b.Loop() {
		for i, d := range docs {
			an.bleveDocument(ids[i], d)
		}
	}
}
