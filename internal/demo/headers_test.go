package demo_test

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/demo"
)

// section is one "== ..." header of the report and the table rows under it.
type section struct {
	header string
	rows   [][]string // fields of each row, split on runs of two spaces or more
}

func sections(report string) []section {
	var out []section
	cols := regexp.MustCompile(`\s{2,}`)
	lines := strings.Split(report, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "== ") {
			continue
		}
		s := section{header: lines[i]}
		for i += 2; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ { // skip the column names
			s.rows = append(s.rows, cols.Split(strings.TrimSpace(lines[i]), -1))
		}
		out = append(out, s)
	}
	return out
}

// distinctIDs counts the identities of kind in the archive in dir.
func distinctIDs(t *testing.T, dir string, kind archive.Kind) int {
	t.Helper()
	st := archivetest.Open(t, dir)
	ids := map[string]bool{}
	if err := st.View(func(r *archive.Reader) error {
		return r.Each(kind, func(rec archive.Record) error { ids[rec.ID] = true; return nil })
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if len(ids) == 0 {
		t.Fatalf("no %s in the demo archive", kind)
	}
	return len(ids)
}

// TestDemoHeadersSayWhatIsShown checks every section header against the rows
// under it and the archive: "the 8 latest of 42 archived jobs" shows 8
// jobs and the archive holds 42; "12 snapshots of 6 of the 12 servers" shows
// 12 rows of 6 servers, of the 12 the archive holds.
func TestDemoHeadersSayWhatIsShown(t *testing.T) {
	dir := archivetest.Dir(t)
	var out bytes.Buffer
	if err := demo.Run(context.Background(), demo.Options{ArchiveDir: dir, Seed: 3}, &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	st := archivetest.Open(t, dir)
	var jobs int
	if err := st.View(func(r *archive.Reader) (err error) { jobs, err = r.Count(kinds.DRSJob); return err }); err != nil {
		t.Fatal(err)
	}
	st.Close()
	totals := map[string]int{
		"archived jobs":         jobs,
		"servers":               distinctIDs(t, dir, kinds.DRSSourceServer),
		"Snowball cluster jobs": distinctIDs(t, dir, kinds.SnowballJob),
		"SMS replication jobs":  distinctIDs(t, dir, kinds.SMSJob),
	}
	latest := regexp.MustCompile(`^== The (\d+) latest of (\d+) archived jobs$`)
	failed := regexp.MustCompile(`^== Failed steps \(LAUNCH_FAILED, \*_FAIL\): the (\d+) latest of (\d+) in the archive$`)
	states := regexp.MustCompile(`^== (Source-server snapshots|Snowball cluster jobs|SMS replication jobs), one (?:per observed state|record per observed state): (\d+) (?:snapshots?|records?) of (?:all (\d+)|(\d+) of the (\d+)) (servers|jobs), those with the most (?:snapshots|records) first$`)
	secs := sections(out.String())
	if len(secs) != 5 {
		t.Fatalf("%d sections, want 5:\n%s", len(secs), out.String())
	}
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	for _, s := range secs {
		switch {
		case latest.MatchString(s.header):
			m := latest.FindStringSubmatch(s.header)
			if num(m[1]) != len(s.rows) || num(m[2]) != totals["archived jobs"] || len(s.rows) == 0 {
				t.Errorf("%q: %d rows shown, %d jobs archived", s.header, len(s.rows), totals["archived jobs"])
			}
		case failed.MatchString(s.header):
			m := failed.FindStringSubmatch(s.header)
			if num(m[1]) != len(s.rows) || num(m[2]) < len(s.rows) || len(s.rows) == 0 {
				t.Errorf("%q: %d rows shown", s.header, len(s.rows))
			}
		case states.MatchString(s.header):
			m := states.FindStringSubmatch(s.header)
			shownIDs, total := num(m[4]), num(m[5])
			if m[3] != "" {
				shownIDs, total = num(m[3]), num(m[3])
			}
			ids := map[string]bool{}
			for _, r := range s.rows {
				ids[r[0]] = true
			}
			want := totals[m[1]]
			if m[1] == "Source-server snapshots" {
				want = totals["servers"]
			}
			if num(m[2]) != len(s.rows) || shownIDs != len(ids) || total != want || len(s.rows) == 0 {
				t.Errorf("%q: %d rows of %d identities shown; the archive holds %d", s.header, len(s.rows), len(ids), want)
			}
		default:
			t.Errorf("header %q does not say what it shows", s.header)
		}
	}
}
