package index

import (
	"fmt"
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// jobLogDocuments returns the documents of a job's log of 100 items (a few
// events, two servers) and the IDs of their own documents.
func jobLogDocuments(b *testing.B) ([]Document, []string) {
	events := []string{"JOB_START", "SNAPSHOT_START", "SNAPSHOT_END", "CONVERSION_START", "CONVERSION_END", "LAUNCH_START", "LAUNCH_END", "JOB_END"}
	docs := make([]Document, 100)
	ids := make([]string, len(docs))
	for i := range docs {
		rec := archive.Record{Kind: kinds.DRSJobLogItem, JobID: "drsjob-0123456789abcdef0", Data: []byte(fmt.Sprintf(
			`{"event":%q,"eventData":{"sourceServerID":"s-0123456789abcdef%d"},"logDateTime":"2026-11-01T00:00:%02dZ"}`,
			events[i%len(events)], i%2, i%60))}
		var err error
		if docs[i], err = NewDocument(rec); err != nil {
			b.Fatal(err)
		}
		ids[i] = DocID(kinds.DRSJobLogItem, archive.Key{byte(i)})
	}
	return docs, ids
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
	docs, ids := jobLogDocuments(b)
	for b.Loop() {
		for i, d := range docs {
			an.bleveDocument(ids[i], d)
		}
	}
}

// BenchmarkJobDocument measures making the job document of the same log,
// as an index on disk does.
func BenchmarkJobDocument(b *testing.B) {
	an := benchAnalyzers(b)
	docs, _ := jobLogDocuments(b)
	for b.Loop() {
		f := newJobField()
		for i, d := range docs {
			single, _ := an.keywordOnly(d)
			f.addItem(an.terms, i+1, d, single)
		}
		f.finish()
	}
}
