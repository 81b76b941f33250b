package index_test

import (
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
)

// BenchmarkNewDocument measures turning one log item into its document.
func BenchmarkNewDocument(b *testing.B) {
	rec := archive.Record{Kind: kinds.DRSJobLogItem, JobID: "drsjob-0123456789abcdef0", Data: []byte(`{"event":"LAUNCH_FAILED","eventData":{"conversionServerID":"i-0123456789abcdef0","rawError":"InsufficientInstanceCapacity: We currently do not have sufficient capacity in the Availability Zone you requested","sourceServerID":"s-0123456789abcdef0","targetInstanceID":"i-0fedcba9876543210"},"logDateTime":"2026-11-01T00:00:00Z"}`)}
	for b.Loop() {
		if _, err := index.NewDocument(rec); err != nil {
			b.Fatal(err)
		}
	}
}
