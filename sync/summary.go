package sync

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// SummaryVersion is the version of RunSummary's JSON form; it changes only
// when a member changes meaning or goes.
const SummaryVersion = 1

// RunSummary is what a sync did, source by source in each region and
// account: the form of 'archiver sync --output json', and of the
// multi-line summary on a terminal.
type RunSummary struct {
	Version int `json:"version"`
	// Targets are the regions and accounts read, each source of each.
	Targets []TargetSummary `json:"targets"`
	// Failed counts the targets that failed.
	Failed int `json:"failedTargets"`
	// PagesCommitted, Commits and Indexed are the run's totals.
	PagesCommitted  int64   `json:"pagesCommitted"`
	Commits         int64   `json:"commits"`
	Indexed         int64   `json:"indexed"`
	DurationSeconds float64 `json:"durationSeconds"`
}

// TargetSummary is what one source brought from one region and account.
type TargetSummary struct {
	Source  string `json:"source"`
	Region  string `json:"region"`
	Account string `json:"account"`
	// Kinds counts, by kind, the objects listed, the records added and
	// replaced, and the objects marked deleted upstream.
	Kinds []KindSummary `json:"kinds"`
	// Error is why the target failed; NotInitialised says DRS is not
	// initialised in the region.
	Error          string `json:"error,omitempty"`
	NotInitialised bool   `json:"drsNotInitialised,omitempty"`
}

// KindSummary counts one kind of one target.
type KindSummary struct {
	Kind            archive.Kind `json:"kind"`
	Listed          int64        `json:"listed"`
	Added           int64        `json:"added"`
	Updated         int64        `json:"updated"`
	DeletedUpstream int64        `json:"deletedUpstream"`
}

// noteNotInitialised records that DRS is not initialised in a target.
func (s *Stats) noteNotInitialised(region, account string) {
	s.byTargetMu.Lock()
	defer s.byTargetMu.Unlock()
	if s.notInit == nil {
		s.notInit = map[[2]string]bool{}
	}
	s.notInit[[2]string{region, account}] = true
}

// RunSummary returns what the run did, target by target, once it ended;
// runErr is the run's error (a *TargetsError names the targets that
// failed).
func (s *Stats) RunSummary(d time.Duration, runErr error) RunSummary {
	sum := RunSummary{Version: SummaryVersion, Targets: []TargetSummary{}, PagesCommitted: s.PagesCommitted.Load(),
		Commits: s.Commits.Load(), Indexed: s.Indexed.Load(), DurationSeconds: d.Seconds()}
	failed := map[[2]string]error{}
	var te *TargetsError
	if errors.As(runErr, &te) {
		for _, f := range te.Failed {
			failed[[2]string{f.Region, f.Account}] = f.Err
		}
		sum.Failed = len(te.Failed)
	}
	// errorOf is what stopped source src of a target: its own error when
	// its sources failed on their own, else the target's.
	errorOf := func(ref [2]string, src Source) string {
		err := failed[ref]
		if err == nil {
			return ""
		}
		if onlySourceErrors(err) {
			if err = errorOfSource(err, src); err == nil {
				return ""
			}
		}
		return oneLineErr(err)
	}
	sources := s.Sources
	if len(sources) == 0 {
		sources = []Source{SourceDRS}
	}
	s.byTargetMu.Lock()
	defer s.byTargetMu.Unlock()
	for _, ref := range s.targetRefs {
		listed := s.readIn(ref[0], ref[1])
		for _, src := range sources {
			ts := TargetSummary{Source: string(src), Region: ref[0], Account: ref[1], Kinds: []KindSummary{},
				Error: errorOf(ref, src), NotInitialised: src == SourceDRS && s.notInit[ref]}
			for _, spec := range kinds.OfSource(string(src)) {
				k := addedKey{spec.Kind, ref[0], ref[1]}
				ks := KindSummary{Kind: spec.Kind, Listed: listed[spec.Kind], Added: s.added[k], Updated: s.updatedAt[k], DeletedUpstream: s.marked[k]}
				if ks != (KindSummary{Kind: spec.Kind}) {
					ts.Kinds = append(ts.Kinds, ks)
				}
			}
			sum.Targets = append(sum.Targets, ts)
		}
	}
	return sum
}

// Lines renders the summary for a person: a line per source and target,
// as in "drs us-east-1 111122223333: 42 jobs (2 new), 106 log items new,
// 3 source servers changed, 1 job deleted upstream".
func (sum RunSummary) Lines() []string {
	var out []string
	for _, t := range sum.Targets {
		where := strings.TrimSpace(t.Source + " " + t.Region + " " + t.Account)
		var parts []string
		for _, k := range t.Kinds {
			spec := kinds.Of(k.Kind)
			if spec == nil {
				continue
			}
			switch spec.Class {
			case kinds.Latest:
				if k.Listed > 0 || k.Added > 0 || k.Updated > 0 {
					var news []string
					if k.Added > 0 {
						news = append(news, fmt.Sprintf("%d new", k.Added))
					}
					if k.Updated > 0 {
						news = append(news, fmt.Sprintf("%d updated", k.Updated))
					}
					p := nounCount(k.Listed, spec)
					if len(news) > 0 {
						p += " (" + strings.Join(news, ", ") + ")"
					}
					parts = append(parts, p)
				}
			case kinds.LogItem:
				if k.Added > 0 {
					parts = append(parts, nounCount(k.Added, spec)+" new")
				}
			default:
				if k.Added > 0 {
					parts = append(parts, nounCount(k.Added, spec)+" changed")
				}
			}
			if k.DeletedUpstream > 0 {
				parts = append(parts, nounCount(k.DeletedUpstream, spec)+" deleted upstream")
			}
		}
		switch {
		case t.Error != "":
			parts = append(parts, "FAILED: "+t.Error)
		case t.NotInitialised:
			parts = append(parts, "DRS not initialised")
		case len(parts) == 0:
			parts = append(parts, "nothing new")
		}
		out = append(out, where+": "+strings.Join(parts, ", "))
	}
	return out
}

// nounCount renders n objects of a kind with its noun, without the
// source's name the line starts with ("42 jobs" on a line of drs).
func nounCount(n int64, spec *kinds.Spec) string {
	noun := spec.Plural
	if n == 1 {
		noun = spec.Noun
	}
	if first, rest, ok := strings.Cut(noun, " "); ok && strings.EqualFold(first, spec.Source) {
		noun = rest
	}
	return fmt.Sprintf("%d %s", n, noun)
}

// Header is the first line of the multi-line summary: how many targets,
// how long, how many failed.
func (sum RunSummary) Header() string {
	seen := map[[2]string]bool{}
	for _, t := range sum.Targets {
		seen[[2]string{t.Region, t.Account}] = true
	}
	h := fmt.Sprintf("%d %s in %s", len(seen), map[bool]string{true: "region and account", false: "regions and accounts"}[len(seen) == 1],
		time.Duration(sum.DurationSeconds*float64(time.Second)).Round(time.Millisecond))
	if sum.Failed > 0 {
		h += fmt.Sprintf(", %d failed", sum.Failed)
	}
	return h
}
