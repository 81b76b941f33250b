package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFrom(t *testing.T) {
	const rev = "4f2a9c1e07b3d5a6f8e9c0b1a2d3e4f5a6b7c8d9"
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{
			{Key: "-buildmode", Value: "exe"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: "2026-12-04T21:45:01Z"},
			{Key: "vcs.modified", Value: modified},
		}
	}
	tests := []struct {
		name   string
		bi     *debug.BuildInfo
		linked string
		want   Info
		str    string
	}{
		{"no build info", nil, "", Info{Version: Dev}, "dev"},
		{"go build in a clean checkout",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "m", Version: "(devel)"}, Settings: vcs("false")}, "",
			Info{Version: Dev, Revision: rev, Time: "2026-12-04T21:45:01Z", GoVersion: "go1.26.8"},
			"dev (revision 4f2a9c1e07b3, 2026-12-04T21:45:01Z)"},
		{"go build with uncommitted changes",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "m", Version: "(devel)"}, Settings: vcs("true")}, "",
			Info{Version: Dev, Revision: rev, Time: "2026-12-04T21:45:01Z", Modified: true, GoVersion: "go1.26.8"},
			"dev (revision 4f2a9c1e07b3, 2026-12-04T21:45:01Z, modified)"},
		{"go install @version",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "m", Version: "v1.4.0"}}, "",
			Info{Version: "v1.4.0", GoVersion: "go1.26.8"}, "v1.4.0"},
		{"version set at link time",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "m", Version: "(devel)"}, Settings: vcs("false")}, "v2.0.0-rc1",
			Info{Version: "v2.0.0-rc1", Revision: rev, Time: "2026-12-04T21:45:01Z", GoVersion: "go1.26.8"},
			"v2.0.0-rc1 (revision 4f2a9c1e07b3, 2026-12-04T21:45:01Z)"},
		{"test binary", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "m"}}, "",
			Info{Version: Dev, GoVersion: "go1.26.8"}, "dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := From(tt.bi, tt.linked)
			if got != tt.want {
				t.Errorf("From = %+v, want %+v", got, tt.want)
			}
			if s := got.String(); s != tt.str {
				t.Errorf("String = %q, want %q", s, tt.str)
			}
			fields := map[string]string{}
			for _, f := range got.Fields() {
				fields[f[0]] = f[1]
			}
			if fields["version"] != tt.want.Version {
				t.Errorf("Fields: version %q, want %q", fields["version"], tt.want.Version)
			}
			if tt.want.Revision != "" && fields["revision"] != tt.want.Revision {
				t.Errorf("Fields: revision %q, want the full revision %q", fields["revision"], tt.want.Revision)
			}
			if tt.want.Revision == "" && !strings.HasPrefix(fields["revision"], "unknown") {
				t.Errorf("Fields: revision %q, want unknown", fields["revision"])
			}
			if tt.want.Modified != strings.HasPrefix(fields["modified"], "yes") {
				t.Errorf("Fields: modified %q, want %v", fields["modified"], tt.want.Modified)
			}
		})
	}
}
