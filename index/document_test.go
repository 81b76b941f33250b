package index_test

import (
	"slices"
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/index"
)

// TestJobDocumentKeywords: a DRS job's type and initiator are its own, not
// those of the launch actions it holds, and its tags, the owner's labels,
// give no keyword.
func TestJobDocumentKeywords(t *testing.T) {
	rec := archive.Record{Kind: kinds.DRSJob, ID: "drsjob-0123456789abcdef0", Data: []byte(`{
		"jobID":"drsjob-0123456789abcdef0","type":"LAUNCH","initiatedBy":"START_DRILL","status":"COMPLETED",
		"participatingServers":[{"sourceServerID":"s-0123456789abcdef0","launchStatus":"LAUNCHED",
			"launchActionsStatus":{"runs":[{"status":"SUCCEEDED","action":{"type":"SSM_AUTOMATION","initiatedBy":"x"}}]}}],
		"tags":{"Type":"prod","Status":"keep","initiatedBy":"someone","owner":"s-0123456789abcdefa"}}`)}
	d, err := index.NewDocument(rec)
	if err != nil {
		t.Fatal(err)
	}
	if d.Type != "LAUNCH" || d.InitiatedBy != "START_DRILL" {
		t.Errorf("type %q, initiatedBy %q; want LAUNCH, START_DRILL", d.Type, d.InitiatedBy)
	}
	if slices.Contains(d.Status, "keep") || !slices.Contains(d.Status, "COMPLETED") || !slices.Contains(d.Status, "LAUNCHED") {
		t.Errorf("status %v: want the job's and its servers' statuses, and no tag", d.Status)
	}
	if !slices.Equal(d.ServerIDs, []string{"s-0123456789abcdef0"}) {
		t.Errorf("servers %v, want only the participating server", d.ServerIDs)
	}
}
