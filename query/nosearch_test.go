package query_test

import (
	"context"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/query"
)

// TestWithoutSearch: the filters that take no full-text index (job and
// record IDs, kinds, regions, time ranges) are answered from the archive
// alone: a Source with no Searcher gives, page by page, the records and
// tokens one with the index gives. The filters that take the index give
// ErrNoSearch without one.
func TestWithoutSearch(t *testing.T) {
	_, dir, _ := syncedFixture(t, 7)
	// A job with a log, and the day it began, from the archive.
	var job archive.Record
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	err = st.View(func(r *archive.Reader) error {
		return r.Each(kinds.DRSJob, func(rec archive.Record) error {
			if job.ID == "" {
				n := 0
				if err := r.JobLog(archive.JobRef{JobID: rec.ID, Region: rec.Region, Account: rec.Account}, func(archive.Record) error { n++; return nil }); err != nil {
					return err
				}
				if n > 0 {
					job = rec
				}
			}
			return nil
		})
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if job.ID == "" {
		t.Fatal("no job with a log: the test proves nothing")
	}
	day := query.Range{From: job.Time.Truncate(24 * time.Hour), To: job.Time.Truncate(24 * time.Hour).Add(48 * time.Hour)}
	for _, tc := range []struct {
		name string
		f    query.Filters
	}{
		{"job ID", query.Filters{JobIDs: []string{job.ID}}},
		{"record ID", query.Filters{IDs: []string{job.ID}}},
		{"date range", query.Filters{Range: day}},
		{"date range, log items", query.Filters{Range: day, Kinds: []archive.Kind{kinds.DRSJobLogItem}}},
		{"date range and region", query.Filters{Range: day, Regions: []string{job.Region}}},
		{"kind", query.Filters{Kinds: []archive.Kind{kinds.DRSSourceServer}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.f.NeedsIndex() {
				t.Fatalf("%+v needs the index: not a case of this test", tc.f)
			}
			for _, max := range []int{0, 3} {
				req := query.Request{Filters: tc.f, MaxItems: max}
				var with, without []string
				for pages := 0; ; pages++ {
					if pages > 1000 {
						t.Fatal("paging does not end")
					}
					a, nextA, errA := askWith(t, dir, req, true)
					b, nextB, errB := askWith(t, dir, req, false)
					if errA != nil || errB != nil {
						t.Fatalf("with the index: %v; without: %v", errA, errB)
					}
					if nextA != nextB {
						t.Fatalf("page %d: next token %q without the index, %q with it", pages+1, nextB, nextA)
					}
					with, without = append(with, a...), append(without, b...)
					if nextA == "" {
						break
					}
					req.StartingToken = nextA
				}
				if len(with) == 0 {
					t.Fatalf("max %d: no records: the case proves nothing", max)
				}
				if !slices.Equal(with, without) {
					t.Errorf("max %d: without the index\n%v\nwith it\n%v", max, without, with)
				}
			}
		})
	}
	for _, f := range []query.Filters{{Text: "capacity"}, {Events: []string{"LAUNCH_FAILED"}}, {JobIDs: []string{job.ID}, Statuses: []string{"COMPLETED"}}} {
		if _, _, err := askWith(t, dir, query.Request{Filters: f}, false); !errors.Is(err, query.ErrNoSearch) {
			t.Errorf("%+v without a Searcher: %v, want ErrNoSearch", f, err)
		}
	}
}

// TestQueryLinksNoIndex: package query links neither the full-text index
// (bleve) nor the AWS service clients nor parquet: a program that answers
// from the archive alone starts without their initialisers.
func TestQueryLinksNoIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/archiver-dev/archiver/query").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "go.etcd.io/bbolt") {
		t.Fatalf("go list -deps lists no bbolt: not the dependencies of query\n%s", out)
	}
	for _, d := range deps {
		bad := strings.HasPrefix(d, "github.com/blevesearch/") || strings.HasPrefix(d, "github.com/parquet-go/") ||
			d == "github.com/archiver-dev/archiver/index" ||
			strings.HasPrefix(d, "github.com/aws/aws-sdk-go-v2/service/") && !strings.HasSuffix(d, "/types")
		if bad {
			t.Errorf("package query links %s", d)
		}
	}
}
