package config

import (
	"errors"
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	data := `# archiver's configuration
archive = "/var/lib/archiver"
debug = true

[sync]
source = ["drs", "snowball"]
region = ["us-east-1", "us-west-2"]
page-size = 500
max-backoff = "30s"

[export]
from = 2026-01-01
`
	f, err := Parse("config.toml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	wantGlobals := []Entry{{"archive", []string{"/var/lib/archiver"}, 2}, {"debug", []string{"true"}, 3}}
	if !reflect.DeepEqual(f.Globals, wantGlobals) {
		t.Errorf("globals %+v, want %+v", f.Globals, wantGlobals)
	}
	wantSync := []Entry{
		{"source", []string{"drs", "snowball"}, 6},
		{"region", []string{"us-east-1", "us-west-2"}, 7},
		{"page-size", []string{"500"}, 8},
		{"max-backoff", []string{"30s"}, 9},
	}
	if !reflect.DeepEqual(f.Tables["sync"], wantSync) {
		t.Errorf("[sync] %+v, want %+v", f.Tables["sync"], wantSync)
	}
	if got := f.Tables["export"]; len(got) != 1 || got[0].Values[0] != "2026-01-01" || got[0].Line != 12 {
		t.Errorf("[export] %+v", got)
	}
	if f.TableLines["sync"] != 5 || f.TableLines["export"] != 11 {
		t.Errorf("table lines %v", f.TableLines)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, data string
		line       int
	}{
		{"syntax", "archive = \"x\"\nregion = [\n", 2},
		{"nested table", "[sync]\nregion = \"x\"\n[sync.more]\nx = 1\n", 3},
		{"array of tables", "[[sync]]\nregion = \"x\"\n", 0},
		{"array of tables in arrays", "[sync]\nregion = [{a = 1}]\n", 2},
		{"empty array", "[sync]\nregion = []\n", 2},
		{"duplicate key", "archive = \"a\"\narchive = \"b\"\n", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.toml", []byte(tt.data))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err %v, want a config error", err)
			}
			if tt.line > 0 && ce.Line != tt.line {
				t.Errorf("line %d, want %d (%v)", ce.Line, tt.line, err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("archive = \"/x\"\n[sync]\nregion = [\"us-east-1\"]\n"))
	f.Add([]byte("sync.region = \"a\"\n"))
	f.Add([]byte("[[a]]\n"))
	f.Add([]byte("x = 2026-01-01T00:00:00Z\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.toml", data)
		if err != nil {
			return
		}
		for _, e := range file.Globals {
			if len(e.Values) == 0 {
				t.Fatalf("key %q with no values", e.Key)
			}
		}
	})
}
