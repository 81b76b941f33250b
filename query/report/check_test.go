package report_test

import (
	"slices"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/report"
)

// TestCheckRules applies each rule with a limit that splits the servers,
// and compares the breaches with those the emulator's history gives: each
// server's latest launch that launched, and its last drill.
func TestCheckRules(t *testing.T) {
	h := emulated(t)
	to := h.syncs[len(h.syncs)-1]
	from := emulator.DefaultNow.Add(-60 * 24 * time.Hour)
	rep := makeReport(t, h, report.Selection{Range: query.Range{From: from, To: to}})

	all := expectLaunches(t, h, to)
	jobsInPeriod := map[string]bool{}
	for _, raw := range h.emu.Jobs() {
		var j struct{ JobID, CreationDateTime string }
		mustJSON(t, raw, &j)
		jobsInPeriod[j.JobID] = !mustTime(t, j.CreationDateTime).Before(from)
	}
	latest := map[string]wantLaunch{}
	lastDrill := map[string]time.Time{}
	for _, w := range all {
		if w.result != report.ResultLaunched {
			continue
		}
		if w.kind == report.KindDrill && w.launched.After(lastDrill[w.server]) {
			lastDrill[w.server] = w.launched
		}
		if !jobsInPeriod[w.job] {
			continue
		}
		if cur, ok := latest[w.server]; !ok || w.start.After(cur.start) {
			latest[w.server] = w
		}
	}
	var ttls, rps []float64
	for _, w := range latest {
		ttls = append(ttls, w.ttl)
		if w.rp >= 0 {
			rps = append(rps, w.rp)
		}
	}
	slices.Sort(ttls)
	slices.Sort(rps)
	if len(ttls) < 2 || len(rps) < 2 {
		t.Fatalf("%d measured times to launch, %d recovery points: the test proves nothing", len(ttls), len(rps))
	}
	rto := time.Duration(ttls[len(ttls)/2] * float64(time.Second))
	rpo := time.Duration(rps[len(rps)/2] * float64(time.Second))
	var ages []time.Duration
	for _, at := range lastDrill {
		ages = append(ages, to.Sub(at))
	}
	slices.Sort(ages)
	age := ages[len(ages)/2]

	want := map[string][]string{}
	for _, s := range rep.Servers {
		id := s.SourceServerID
		if at, ok := lastDrill[id]; !ok || to.Sub(at) > age {
			want[report.RuleDrillAge] = append(want[report.RuleDrillAge], id)
		}
		if w, ok := latest[id]; ok && w.ttl > rto.Seconds() {
			want[report.RuleRTO] = append(want[report.RuleRTO], id)
		}
		if w, ok := latest[id]; ok && w.rp >= 0 && w.rp > rpo.Seconds() {
			want[report.RuleRPO] = append(want[report.RuleRPO], id)
		}
	}
	for rule, p := range map[string]report.Policy{
		report.RuleDrillAge: {MaxDrillAge: age},
		report.RuleRTO:      {MaxRTO: rto},
		report.RuleRPO:      {MaxRPO: rpo},
	} {
		res := report.Check(rep, p)
		var got []string
		for _, b := range res.Breaches {
			if b.Rule != rule {
				t.Errorf("%s: breach of %s", rule, b.Rule)
			}
			got = append(got, b.SourceServerID)
		}
		slices.Sort(got)
		slices.Sort(want[rule])
		if !slices.Equal(got, want[rule]) {
			t.Errorf("%s: breaches %v, want %v", rule, got, want[rule])
		}
		if len(want[rule]) == 0 || len(want[rule]) == len(rep.Servers) {
			t.Errorf("%s: %d of %d servers break the limit: the limit splits nothing", rule, len(want[rule]), len(rep.Servers))
		}
	}
}
