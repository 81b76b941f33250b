package query_test

import (
	"regexp"
	"testing"

	"github.com/archiver-dev/archiver/query"
)

// idParser is an entry of idParsers.
type idParser = struct {
	parse   func(string) (string, error)
	pattern *regexp.Regexp
	maxLen  int
}

// The ID parsers of --job-id and --id, for fuzzID.
func init() {
	uuid := `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`
	drs := `drsjob-[0-9a-zA-Z]{17}`
	snowball := `JID` + uuid
	sms := `sms-job-[0-9a-fA-F]{8,32}`
	idParsers["ParseAnyJobID"] = idParser{query.ParseAnyJobID, regexp.MustCompile(`^(` + drs + `|` + snowball + `|` + sms + `)$`), 40}
	idParsers["ParseRecordID"] = idParser{query.ParseRecordID, regexp.MustCompile(`^(` + drs + `|` + snowball + `|` + sms +
		`|s-[0-9a-zA-Z]{17}|sn-[0-9a-zA-Z]{17}|pit-[0-9a-zA-Z]{17}|i-[0-9a-fA-F]{8,253}|CID` + uuid + `|[0-9]{12})$`), 255}
}

const (
	jobForms = `want a DRS job (drsjob-…), Snowball job (JID…) or SMS replication job (sms-job-…) ID`
	allForms = `want the ID of a DRS job (drsjob-…), Snowball job (JID…), SMS replication job (sms-job-…), ` +
		`source server (s-…), staging account (12 digits), recovery snapshot (pit-…), recovery instance (i-…), source network (sn-…) or Snowball cluster (CID…)`
)

func TestParseRecordIDs(t *testing.T) {
	const (
		drs      = "drsjob-0123456789abcdefG"
		snowball = "JID123e4567-e89b-12d3-a456-426655440000"
		cluster  = "CID123e4567-e89b-12d3-a456-426655440000"
		sms      = "sms-job-0123456789abcdef0"
	)
	tests := []struct {
		parse   func(string) (string, error)
		in      string
		want    string
		wantErr string
	}{
		{parse: query.ParseAnyJobID, in: drs, want: drs},
		{parse: query.ParseAnyJobID, in: " " + snowball + "\n", want: snowball},
		{parse: query.ParseAnyJobID, in: sms, want: sms},
		{parse: query.ParseAnyJobID, in: "sms-job-0123456789ABCDEF0", want: "sms-job-0123456789ABCDEF0"},
		{parse: query.ParseAnyJobID, in: cluster, wantErr: `"` + cluster + `": not a job ID (` + jobForms + `)`},
		{parse: query.ParseAnyJobID, in: "s-0123456789abcdefG", wantErr: `"s-0123456789abcdefG": not a job ID (` + jobForms + `)`},
		{parse: query.ParseAnyJobID, in: "sms-job-", wantErr: `"sms-job-": not a job ID (` + jobForms + `)`},
		{parse: query.ParseAnyJobID, in: "sms-job-0123456g", wantErr: `"sms-job-0123456g": not a job ID (` + jobForms + `)`},
		{parse: query.ParseAnyJobID, in: "JID123e4567e89b-12d3-a456-4266554400000", wantErr: `"JID123e4567e89b-12d3-a456-4266554400000": not a job ID (` + jobForms + `)`},
		{parse: query.ParseAnyJobID, in: "", wantErr: `"": not a job ID (` + jobForms + `)`},

		{parse: query.ParseRecordID, in: drs, want: drs},
		{parse: query.ParseRecordID, in: snowball, want: snowball},
		{parse: query.ParseRecordID, in: sms, want: sms},
		{parse: query.ParseRecordID, in: cluster, want: cluster},
		{parse: query.ParseRecordID, in: "s-0123456789abcdefG", want: "s-0123456789abcdefG"},
		{parse: query.ParseRecordID, in: "pit-0123456789abcdefG", want: "pit-0123456789abcdefG"},
		{parse: query.ParseRecordID, in: "i-0123456789abcdef0", want: "i-0123456789abcdef0"},
		{parse: query.ParseRecordID, in: "\t210987654321 ", want: "210987654321"},
		{parse: query.ParseRecordID, in: "s-0123abcd", wantErr: `"s-0123abcd": not a record ID (` + allForms + `)`},
		{parse: query.ParseRecordID, in: "pit-0123", wantErr: `"pit-0123": not a record ID (` + allForms + `)`},
		{parse: query.ParseRecordID, in: "2109876543210", wantErr: `"2109876543210": not a record ID (` + allForms + `)`},
		{parse: query.ParseRecordID, in: "arn:aws:drs:us-east-1:123456789012:job/" + drs, wantErr: `"arn:aws:drs:us-east-1:123456789012:job/` + drs + `": not a record ID (` + allForms + `)`},
		{parse: query.ParseRecordID, in: "i-0123\nabcd", wantErr: `"i-0123\nabcd": not a record ID (` + allForms + `)`},

		{parse: query.ParseSnowballJobID, in: snowball, want: snowball},
		{parse: query.ParseSnowballJobID, in: cluster, wantErr: `"` + cluster + `": not a Snowball job ID (want JID and a UUID, such as JID123e4567-e89b-12d3-a456-426655440000)`},
		{parse: query.ParseSMSJobID, in: sms, want: sms},
		{parse: query.ParseSMSJobID, in: "sms-job-0123456", wantErr: `"sms-job-0123456": not an SMS replication job ID (want sms-job- and 8 to 32 hex digits)`},
		{parse: query.ParseRecoverySnapshotID, in: "pit-0123456789abcdefG", want: "pit-0123456789abcdefG"},
		{parse: query.ParseRecoverySnapshotID, in: "pit_0123456789abcdefG", wantErr: `"pit_0123456789abcdefG": not a DRS recovery snapshot ID (want pit- and 17 letters or digits)`},
	}
	for _, tt := range tests {
		got, err := tt.parse(tt.in)
		if tt.wantErr != "" {
			if err == nil {
				t.Errorf("parse(%q) = %q, want error %q", tt.in, got, tt.wantErr)
				continue
			}
			checkOneLine(t, err)
			if err.Error() != tt.wantErr {
				t.Errorf("parse(%q) error\n got %s\nwant %s", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parse(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseAnyJobID(f *testing.F) {
	fuzzID(f, "ParseAnyJobID", "drsjob-0123456789abcdefG", "JID123e4567-e89b-12d3-a456-426655440000", "sms-job-0123456789abcdef0", "sms-job-12", "CID123e4567-e89b-12d3-a456-426655440000")
}

func FuzzParseRecordID(f *testing.F) {
	fuzzID(f, "ParseRecordID", "drsjob-0123456789abcdefG", "JID123e4567-e89b-12d3-a456-426655440000", "sms-job-0123456789abcdef0",
		"s-0123456789abcdefG", "pit-0123456789abcdefG", "i-0123456789abcdef0", "CID123e4567-e89b-12d3-a456-426655440000", "210987654321", "i-0123abc")
}
