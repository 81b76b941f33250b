package awsid_test

import (
	"regexp"
	"testing"

	"github.com/archiver-dev/archiver/internal/awsid"
)

func init() {
	type p = struct {
		parse   func(string) (string, error)
		pattern *regexp.Regexp
		maxLen  int
	}
	// The patterns IAM, STS and AWS Organizations document.
	idParsers["ParseRoleName"] = p{awsid.ParseRoleName, regexp.MustCompile(`^[\w+=,.@-]{1,64}$`), 64}
	idParsers["ParseExternalID"] = p{awsid.ParseExternalID, regexp.MustCompile(`^[\w+=,.@:/-]{2,}$`), 1224}
	idParsers["ParseOrgUnit"] = p{awsid.ParseOrgUnit, regexp.MustCompile(`^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$`), 66}
}

func TestOrgIDs(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"ParseRoleName", "ArchiverReadOnly", true},
		{"ParseRoleName", " archiver+ro=1,a.b@c_d-e ", true},
		{"ParseRoleName", "", false},
		{"ParseRoleName", "role/Archiver", false},
		{"ParseRoleName", string(make([]byte, 65)), false},
		{"ParseExternalID", "dr-archive:2026/01", true},
		{"ParseExternalID", "x", false},
		{"ParseExternalID", "has space", false},
		{"ParseOrgUnit", "ou-ab12-cd34ef56", true},
		{"ParseOrgUnit", "r-ab12", true},
		{"ParseOrgUnit", "ou-ab12", false},
		{"ParseOrgUnit", "OU-AB12-CD34EF56", false},
		{"ParseOrgUnit", "o-ab12cd34ef", false},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.in, func(t *testing.T) {
			p := idParsers[tt.name]
			_, err := p.parse(tt.in)
			if (err == nil) != tt.ok {
				t.Errorf("%s(%q): error %v, want ok %v", tt.name, tt.in, err, tt.ok)
			}
			if err != nil {
				checkOneLine(t, err)
			}
		})
	}
}

func FuzzParseRoleName(f *testing.F) {
	fuzzID(f, "ParseRoleName", "ArchiverReadOnly", "role/x", "a b")
}

func FuzzParseExternalID(f *testing.F) {
	fuzzID(f, "ParseExternalID", "dr-archive:2026/01", "x", "a\tb")
}

func FuzzParseOrgUnit(f *testing.F) {
	fuzzID(f, "ParseOrgUnit", "ou-ab12-cd34ef56", "r-ab12", "ou-ab12-")
}
