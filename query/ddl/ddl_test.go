package ddl_test

import (
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/query/ddl"
)

func TestDDLDialects(t *testing.T) {
	if _, err := ddl.Statements("hive", "s3://b/p"); err == nil {
		t.Error("DDL accepted dialect hive")
	}
	text, err := ddl.Statements(ddl.Athena, "s3://b/p/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "'storage.location.template' = 's3://b/p/kind=drs.jobLogItem/region=${region}/dt=${dt}/'") {
		t.Errorf("athena DDL has no location template for log items:\n%s", text)
	}
}
