package awsid_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/internal/awsid"
)

// checkOneLine fails the test unless err's message is a single line.
func checkOneLine(t *testing.T, err error) {
	t.Helper()
	if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\r\n") {
		t.Errorf("error message is not one line: %q", msg)
	}
}

// idParsers are the ID parsers with the patterns the DRS API documents for
// them, written as regular expressions to check the parsers independently.
var idParsers = map[string]struct {
	parse   func(string) (string, error)
	pattern *regexp.Regexp
	maxLen  int
}{
	"ParseJobID":          {awsid.ParseJobID, regexp.MustCompile(`^drsjob-[0-9a-zA-Z]{17}$`), 24},
	"ParseSourceServerID": {awsid.ParseSourceServerID, regexp.MustCompile(`^s-[0-9a-zA-Z]{17}$`), 19},
	"ParseInstanceID":     {awsid.ParseInstanceID, regexp.MustCompile(`^i-[0-9a-fA-F]{8,}$`), 255},
	"ParseAccount":        {awsid.ParseAccount, regexp.MustCompile(`^[0-9]{12}$`), 12},
	"ParseRegion":         {awsid.ParseRegion, regexp.MustCompile(`^[a-z]{2,}(-[a-z]+)+-[0-9]+$`), 32},
	"ParseClusterID":      {awsid.ParseClusterID, regexp.MustCompile(`^CID[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`), 39},
}

func init() {
	uuid := `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`
	type p = struct {
		parse   func(string) (string, error)
		pattern *regexp.Regexp
		maxLen  int
	}
	idParsers["ParseSnowballJobID"] = p{awsid.ParseSnowballJobID, regexp.MustCompile(`^JID` + uuid + `$`), 39}
	idParsers["ParseSMSJobID"] = p{awsid.ParseSMSJobID, regexp.MustCompile(`^sms-job-[0-9a-fA-F]{8,32}$`), 40}
	idParsers["ParseRecoverySnapshotID"] = p{awsid.ParseRecoverySnapshotID, regexp.MustCompile(`^pit-[0-9a-zA-Z]{17}$`), 21}
}

func TestParseIDs(t *testing.T) {
	tests := []struct {
		parse   func(string) (string, error)
		in      string
		want    string
		wantErr string
	}{
		{parse: awsid.ParseJobID, in: "drsjob-0123456789abcdefG", want: "drsjob-0123456789abcdefG"},
		{parse: awsid.ParseJobID, in: "  drsjob-ABCDEFGHIJKLMNOPQ\n", want: "drsjob-ABCDEFGHIJKLMNOPQ"},
		{parse: awsid.ParseJobID, in: "drsjob-12", wantErr: `"drsjob-12": not a DRS job ID (want drsjob- and 17 letters or digits)`},
		{parse: awsid.ParseJobID, in: "drsjob-0123456789abcdefgh", wantErr: `"drsjob-0123456789abcdefgh": not a DRS job ID (want drsjob- and 17 letters or digits)`},
		{parse: awsid.ParseJobID, in: "drsjob-0123456789abcdef_", wantErr: `"drsjob-0123456789abcdef_": not a DRS job ID (want drsjob- and 17 letters or digits)`},
		{parse: awsid.ParseJobID, in: "DRSJOB-0123456789abcdefg", wantErr: `"DRSJOB-0123456789abcdefg": not a DRS job ID (want drsjob- and 17 letters or digits)`},
		{parse: awsid.ParseJobID, in: "s-0123456789abcdefg", wantErr: `"s-0123456789abcdefg": not a DRS job ID (want drsjob- and 17 letters or digits)`},
		{parse: awsid.ParseJobID, in: "drsjob-0123456789abcdéf", wantErr: `"drsjob-0123456789abcdéf": not a DRS job ID (want drsjob- and 17 letters or digits)`},
		{parse: awsid.ParseJobID, in: "", wantErr: `"": not a DRS job ID (want drsjob- and 17 letters or digits)`},

		{parse: awsid.ParseSourceServerID, in: "s-0123456789abcdefG", want: "s-0123456789abcdefG"},
		{parse: awsid.ParseSourceServerID, in: "s-0123456789abcdef", wantErr: `"s-0123456789abcdef": not a source server ID (want s- and 17 letters or digits)`},
		{parse: awsid.ParseSourceServerID, in: "s-0123456789abcdefgh", wantErr: `"s-0123456789abcdefgh": not a source server ID (want s- and 17 letters or digits)`},
		{parse: awsid.ParseSourceServerID, in: "s_0123456789abcdefg", wantErr: `"s_0123456789abcdefg": not a source server ID (want s- and 17 letters or digits)`},
		{parse: awsid.ParseSourceServerID, in: "s-0123456789abcde-g", wantErr: `"s-0123456789abcde-g": not a source server ID (want s- and 17 letters or digits)`},
		{parse: awsid.ParseSourceServerID, in: "s-0123456789abc\ndefg", wantErr: `"s-0123456789abc\ndefg": not a source server ID (want s- and 17 letters or digits)`},

		{parse: awsid.ParseInstanceID, in: "i-0123abcd", want: "i-0123abcd"},
		{parse: awsid.ParseInstanceID, in: "i-0123456789ABCDEF0", want: "i-0123456789ABCDEF0"},
		{parse: awsid.ParseInstanceID, in: " i-" + strings.Repeat("f", 253) + " ", want: "i-" + strings.Repeat("f", 253)},
		{parse: awsid.ParseInstanceID, in: "i-" + strings.Repeat("f", 254), wantErr: `"i-` + strings.Repeat("f", 254) + `": not an EC2 instance ID (want i- and 8 or more hex digits)`},
		{parse: awsid.ParseInstanceID, in: "i-0123abc", wantErr: `"i-0123abc": not an EC2 instance ID (want i- and 8 or more hex digits)`},
		{parse: awsid.ParseInstanceID, in: "i-0123abcg", wantErr: `"i-0123abcg": not an EC2 instance ID (want i- and 8 or more hex digits)`},
		{parse: awsid.ParseInstanceID, in: "I-0123abcd", wantErr: `"I-0123abcd": not an EC2 instance ID (want i- and 8 or more hex digits)`},
		{parse: awsid.ParseInstanceID, in: "i-", wantErr: `"i-": not an EC2 instance ID (want i- and 8 or more hex digits)`},

		{parse: awsid.ParseAccount, in: " 123456789012 ", want: "123456789012"},
		{parse: awsid.ParseAccount, in: "12345678901", wantErr: `"12345678901": not an AWS account ID (want 12 digits)`},
		{parse: awsid.ParseAccount, in: "12345678901a", wantErr: `"12345678901a": not an AWS account ID (want 12 digits)`},

		{parse: awsid.ParseRegion, in: "us-east-1", want: "us-east-1"},
		{parse: awsid.ParseRegion, in: "us-gov-west-1", want: "us-gov-west-1"},
		{parse: awsid.ParseRegion, in: "US-EAST-1", wantErr: `"US-EAST-1": not an AWS region (want a name such as us-east-1)`},
		{parse: awsid.ParseRegion, in: "us-east", wantErr: `"us-east": not an AWS region (want a name such as us-east-1)`},
		{parse: awsid.ParseRegion, in: "us--1", wantErr: `"us--1": not an AWS region (want a name such as us-east-1)`},

		{parse: awsid.ParseClusterID, in: "CID123e4567-e89b-12d3-a456-426655440000", want: "CID123e4567-e89b-12d3-a456-426655440000"},
		{parse: awsid.ParseClusterID, in: "JID123e4567-e89b-12d3-a456-426655440000", wantErr: `"JID123e4567-e89b-12d3-a456-426655440000": not a Snowball cluster ID (want CID and a UUID, such as CID123e4567-e89b-12d3-a456-426655440000)`},
		{parse: awsid.ParseClusterID, in: "CID123e4567e89b-12d3-a456-4266554400000", wantErr: `"CID123e4567e89b-12d3-a456-4266554400000": not a Snowball cluster ID (want CID and a UUID, such as CID123e4567-e89b-12d3-a456-426655440000)`},
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

// fuzzID checks the ID parser named name against its regular expression.
func fuzzID(f *testing.F, name string, seeds ...string) {
	p := idParsers[name]
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := p.parse(s)
		trimmed := strings.TrimSpace(s)
		want := p.pattern.MatchString(trimmed) && len(trimmed) <= p.maxLen
		if want != (err == nil) {
			t.Fatalf("%s(%q) = %q, %v; pattern match %v", name, s, got, err, want)
		}
		if err != nil {
			checkOneLine(t, err)
		} else if got != trimmed {
			t.Errorf("%s(%q) = %q, want %q", name, s, got, trimmed)
		}
	})
}

func FuzzParseJobID(f *testing.F) {
	fuzzID(f, "ParseJobID", "drsjob-0123456789abcdefG", "drsjob-12")
}

func FuzzParseSourceServerID(f *testing.F) {
	fuzzID(f, "ParseSourceServerID", "s-0123456789abcdefG", "s-12")
}

func FuzzParseInstanceID(f *testing.F) {
	fuzzID(f, "ParseInstanceID", "i-0123abcd", "i-0123abcg")
}

func FuzzParseAccount(f *testing.F) {
	fuzzID(f, "ParseAccount", "123456789012", "1234567890123")
}

func FuzzParseRegion(f *testing.F) {
	fuzzID(f, "ParseRegion", "us-east-1", "us-gov-west-1", "us-east", "eu-west-01x")
}

func FuzzParseClusterID(f *testing.F) {
	fuzzID(f, "ParseClusterID", "CID123e4567-e89b-12d3-a456-426655440000", "CID123e4567-e89b-12d3-a456-42665544000")
}

func FuzzParseSnowballJobID(f *testing.F) {
	fuzzID(f, "ParseSnowballJobID", "JID123e4567-e89b-12d3-a456-426655440000", "JID123e4567-e89b-12d3-a456-42665544000")
}

func FuzzParseSMSJobID(f *testing.F) {
	fuzzID(f, "ParseSMSJobID", "sms-job-0123456789abcdef0", "sms-job-0123456")
}

func FuzzParseRecoverySnapshotID(f *testing.F) {
	fuzzID(f, "ParseRecoverySnapshotID", "pit-0123456789abcdefG", "pit-0123")
}
