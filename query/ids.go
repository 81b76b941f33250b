package query

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// The IDs --job-id and --id take are those of the forms package kinds
// declares: an ID of a kind's IDForm names the records of that kind with
// that own ID (and, for the kind whose objects own a log, the log's items
// too); an ID of a kind's ParentForm (a Snowball cluster) names every
// record listed under that parent.

// ownID reports whether rec's own ID is id. Case does not count, as in
// every ID filter: AWS IDs are hex digits or letters AWS hands out in one
// case, so a differently cased copy names the same object.
func ownID(rec archive.Record, id string) bool { return strings.EqualFold(rec.ID, id) }

// named is one kind whose records an ID names, and how.
type named struct {
	spec *kinds.Spec
	// parent says the ID is the parent's, not the records' own.
	parent bool
}

// namedBy returns the kinds whose records id, which must be trimmed,
// names, and whether --job-id takes it.
func namedBy(id string) (out []named, job bool) {
	for _, spec := range kinds.All() {
		switch {
		case spec.IDForm != nil && spec.IDForm.Matches(id):
			out = append(out, named{spec: spec})
			job = job || spec.JobForm
		case spec.ParentForm != nil && spec.ParentForm.Matches(id):
			out = append(out, named{spec: spec, parent: true})
		}
	}
	return out, job
}

// formNames lists the names of forms, for messages: "a, b or c".
func formNames(forms []*kinds.IDForm) string {
	names := make([]string, len(forms))
	for i, f := range forms {
		names[i] = f.Name
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// jobForms and allForms name the forms of IDs in messages; they are
// written the first time a message needs them.
var (
	jobForms = sync.OnceValue(func() string { return "want a " + formNames(kinds.Forms(true)) + " ID" })
	allForms = sync.OnceValue(func() string { return "want the ID of a " + formNames(kinds.Forms(false)) })
)

// ParseAnyJobID returns s, trimmed, if it is the ID of a job of any service
// archiver keeps: a DRS job (drsjob-…), a Snowball job (JID…) or an SMS
// replication job (sms-job-…). The error is one line, starts with the
// quoted input and names the forms accepted.
func ParseAnyJobID(s string) (string, error) {
	s = strings.TrimSpace(s)
	if _, job := namedBy(s); job {
		return s, nil
	}
	return "", fmt.Errorf("%q: not a job ID (%s)", s, jobForms())
}

// ParseRecordID returns s, trimmed, if it is the own ID of a record kind
// archiver keeps, or the ID of a parent records are listed under (a
// Snowball cluster), as package kinds declares their forms. The error is
// one line, starts with the quoted input and names the forms accepted.
func ParseRecordID(s string) (string, error) {
	s = strings.TrimSpace(s)
	if n, _ := namedBy(s); len(n) > 0 {
		return s, nil
	}
	return "", fmt.Errorf("%q: not a record ID (%s)", s, allForms())
}

// drsJobsOnly reports whether f selects DRS jobs alone: --initiated-by and
// --type are members of a DRS job. Other records carry a "type" too (a
// source server's last launch, a Snowball job), which they must not match.
func (f Filters) drsJobsOnly() bool { return len(f.InitiatedBy) > 0 || len(f.Types) > 0 }

// idSelection returns the records f.JobIDs and f.IDs select, by key, and
// whether either is given. The IDs of one list are alternatives; the two
// lists, when both are given, must both select a record.
//
// A DRS job is found through the archive's identities and job-log index.
// Other records are found by scanning their kind's records (within the
// time range, when one is given): the archive keeps no index of every
// observation of an ID, only of its latest one, and an ID names a few
// records among those of one kind.
func idSelection(r *archive.Reader, f Filters) (map[archive.Key]archive.Kind, bool, error) {
	var sel map[archive.Key]archive.Kind
	for _, ids := range [][]string{f.JobIDs, f.IDs} {
		if len(ids) == 0 {
			continue
		}
		set := map[archive.Key]archive.Kind{}
		add := func(rec archive.Record) error {
			set[rec.Key] = rec.Kind
			return nil
		}
		for _, id := range ids {
			if err := eachRecordOf(r, id, f.Range, add); err != nil {
				return nil, false, err
			}
		}
		if sel != nil {
			for k := range sel {
				if _, ok := set[k]; !ok {
					delete(sel, k)
				}
			}
		} else {
			sel = set
		}
	}
	return sel, sel != nil, nil
}

// eachRecordOf calls fn with every record id names (see namedBy). An ID of
// no known form names nothing.
func eachRecordOf(r *archive.Reader, id string, rng Range, fn func(archive.Record) error) error {
	for _, n := range func() []named { out, _ := namedBy(id); return out }() {
		if n.spec.Index.OwnJob && !n.parent {
			// The archive keys a job's records (the job and its log) by its
			// ID as DRS spells it, in lower case; an ID given otherwise is
			// looked up as given too.
			found := false
			counted := func(rec archive.Record) error { found = true; return fn(rec) }
			for _, spelling := range slices.Compact([]string{strings.ToLower(id), id}) {
				if err := r.JobRecords(spelling, counted); err != nil {
					return fmt.Errorf("read records of job %s: %w", id, err)
				}
				if found {
					break
				}
			}
			continue
		}
		match := ownID
		if n.parent {
			spec := n.spec
			match = func(rec archive.Record, id string) bool {
				return strings.EqualFold(spec.ParentIn(rec.JobID, rec.ClusterID), id)
			}
		}
		err := r.EachBetween(n.spec.Kind, rng.From, rng.To, func(rec archive.Record) error {
			if match(rec, id) {
				return fn(rec)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("read records of %s: %w", id, err)
		}
	}
	return nil
}

// searchHits answers f from the Searcher, with the ID filters, kind and
// time answered from the archive: the index knows the job of DRS records
// only, and no record by its own ID. With first set, the index's hits are
// left to a stream that gives them in key order, within the span of time
// first.
func searchHits(ctx context.Context, src Source, f Filters, first *Range) (Found, error) {
	sel, ok, err := idSelection(src.Archive, f)
	if err != nil {
		return Found{}, err
	}
	keep := func(kind archive.Kind, k archive.Key) bool {
		if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, kind) || !f.Range.Contains(k.Time()) {
			return false
		}
		if ok {
			if _, in := sel[k]; !in {
				return false
			}
		}
		return !f.drsJobsOnly() || kinds.OwnsLog(kind)
	}
	g := f
	g.JobIDs, g.IDs = nil, nil
	found, err := src.Search.Search(ctx, src.Archive, g, keep, first)
	if err != nil {
		return Found{}, err
	}
	found.Hits = slices.DeleteFunc(found.Hits, func(h Hit) bool { return !keep(h.Kind, h.Key) })
	return found, nil
}
