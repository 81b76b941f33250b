package buildinfo

import (
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"strings"
)

// Dev is the version of a build whose module version is unknown: one made
// with 'go build' in a checkout, or 'go run'.
const Dev = "dev"

// Info identifies a build of archiver.
type Info struct {
	// Version is the module version ('go install ...@v1.2.3' gives
	// "v1.2.3"; a pseudo-version for a commit), the version set at link
	// time, or Dev.
	Version string `json:"version"`
	// Revision is the VCS revision the binary was built from (a full git
	// commit hash); empty when the build carries none (a 'go install' from
	// the module proxy, a test binary, a build with -buildvcs=false).
	Revision string `json:"revision,omitempty"`
	// Time is the commit time of Revision, RFC 3339, as the VCS gave it.
	Time string `json:"time,omitempty"`
	// Modified is set when the checkout had uncommitted changes: the binary
	// is not exactly Revision.
	Modified bool `json:"modified,omitempty"`
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string `json:"goVersion,omitempty"`
}

// Read returns the running binary's build information; linked, when not
// empty, is a version set at link time (see From).
func Read(linked string) Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return From(bi, linked)
}

// From returns the build information bi describes; linked, when not empty,
// is a version set at link time and wins over the module version. bi may be
// nil (a binary built without module support).
func From(bi *debug.BuildInfo, linked string) Info {
	in := Info{Version: linked}
	if bi == nil {
		if in.Version == "" {
			in.Version = Dev
		}
		return in
	}
	if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		in.Version = bi.Main.Version
	}
	if in.Version == "" {
		in.Version = Dev
	}
	in.GoVersion = bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.time":
			in.Time = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	return in
}

// String is the version in one line, e.g. "v1.2.3", or
// "dev (revision 4f2a9c1e07b3, 2026-12-04T21:45:01Z, modified)".
func (in Info) String() string {
	if in.Revision == "" {
		return in.Version
	}
	var parts []string
	parts = append(parts, "revision "+short(in.Revision))
	if in.Time != "" {
		parts = append(parts, in.Time)
	}
	if in.Modified {
		parts = append(parts, "modified")
	}
	return in.Version + " (" + strings.Join(parts, ", ") + ")"
}

// Fields is the information in full, as name and value pairs, for
// 'archiver version'. Fields the build does not carry say so.
func (in Info) Fields() [][2]string {
	rev, when, mod := in.Revision, in.Time, "no"
	if rev == "" {
		rev = "unknown (not built with 'go build' in a git checkout)"
		mod = "unknown"
	}
	if when == "" {
		when = "unknown"
	}
	if in.Modified {
		mod = "yes (built with uncommitted changes)"
	}
	f := [][2]string{{"version", in.Version}, {"revision", rev}, {"commit time", when}, {"modified", mod}}
	if in.GoVersion != "" {
		f = append(f, [2]string{"go", in.GoVersion})
	}
	return f
}

// short is the first 12 characters of a revision.
func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

// Write prints in as 'archiver version' does: the version line, then each
// of in.Fields and the archive schema version the binary writes, one a
// line.
func Write(w io.Writer, in Info, schema int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "archiver %s\n", in)
	for _, f := range append(in.Fields(), [2]string{"archive schema", strconv.Itoa(schema)}) {
		fmt.Fprintf(&b, "%-16s%s\n", f[0]+":", f[1])
	}
	_, err := io.WriteString(w, b.String())
	return err
}
