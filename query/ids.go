package query

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/awsid"
)

// The IDs --job-id and --id take. Each names records of one kind, by the
// record's own ID (idForm.match) or, for a Snowball cluster, by the
// cluster its jobs belong to.

// idForm is one shape of ID that --job-id or --id takes, and the records it
// selects.
type idForm struct {
	matches func(s string) bool
	// job says that --job-id takes it.
	job bool
	// kind is the kind of the records it names. A DRS job ID names its job
	// and that job's log items as well.
	kind archive.Kind
	// match reports whether rec (of kind) is one the ID names.
	match func(rec archive.Record, id string) bool
}

// ownID reports whether rec's own ID is id. Case does not count, as in
// every ID filter: AWS IDs are hex digits or letters AWS hands out in one
// case, so a differently cased copy names the same object.
func ownID(rec archive.Record, id string) bool { return strings.EqualFold(rec.ID, id) }

// idForms lists the IDs --job-id and --id take, in the order jobForms and
// allForms name them. Their shapes do not overlap, so at most one form
// matches an ID.
var idForms = []idForm{
	{matches: awsid.IsJobID, job: true, kind: kinds.DRSJob},
	{matches: awsid.IsSnowballJobID, job: true, kind: kinds.SnowballJob, match: ownID},
	{matches: awsid.IsSMSJobID, job: true, kind: kinds.SMSJob, match: ownID},
	{matches: awsid.IsSourceServerID, kind: kinds.DRSSourceServer, match: ownID},
	{matches: awsid.IsRecoverySnapshotID, kind: kinds.DRSRecoverySnapshot, match: ownID},
	{matches: awsid.IsInstanceID, kind: kinds.DRSRecoveryInstance, match: ownID},
	{matches: awsid.IsClusterID, kind: kinds.SnowballJob,
		match: func(rec archive.Record, id string) bool { return strings.EqualFold(rec.ClusterID, id) }},
	{matches: awsid.IsAccount, kind: kinds.DRSStagingAccount, match: ownID},
}

// formOf returns the form of id, which must be trimmed.
func formOf(id string) (idForm, bool) {
	for _, f := range idForms {
		if f.matches(id) {
			return f, true
		}
	}
	return idForm{}, false
}

var (
	jobForms = "want a DRS job (drsjob-…), Snowball job (JID…) or SMS replication job (sms-job-…) ID"
	allForms = "want the ID of a DRS job (drsjob-…), Snowball job (JID…), SMS replication job (sms-job-…), " +
		"source server (s-…), recovery snapshot (pit-…), recovery instance (i-…), Snowball cluster (CID…) or staging account (12 digits)"
)

// ParseAnyJobID returns s, trimmed, if it is the ID of a job of any service
// archiver keeps: a DRS job (drsjob-…), a Snowball job (JID…) or an SMS
// replication job (sms-job-…). The error is one line, starts with the
// quoted input and names the forms accepted.
func ParseAnyJobID(s string) (string, error) {
	s = strings.TrimSpace(s)
	if f, ok := formOf(s); ok && f.job {
		return s, nil
	}
	return "", fmt.Errorf("%q: not a job ID (%s)", s, jobForms)
}

// ParseRecordID returns s, trimmed, if it is the own ID of a record kind
// archiver keeps, or a Snowball cluster ID: any form ParseAnyJobID takes,
// a source server (s-…), recovery snapshot (pit-…), recovery instance
// (i-…), Snowball cluster (CID…) or staging account (12 digits). The error
// is one line, starts with the quoted input and names the forms accepted.
func ParseRecordID(s string) (string, error) {
	s = strings.TrimSpace(s)
	if _, ok := formOf(s); ok {
		return s, nil
	}
	return "", fmt.Errorf("%q: not a record ID (%s)", s, allForms)
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

// eachRecordOf calls fn with every record id names, as idForms says. An ID
// of no known form names nothing.
func eachRecordOf(r *archive.Reader, id string, rng Range, fn func(archive.Record) error) error {
	form, ok := formOf(id)
	switch {
	case !ok:
		return nil
	case form.kind == kinds.DRSJob:
		// The archive keys a job's records by its ID as DRS spells it, in
		// lower case; an ID given otherwise is looked up as given too.
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
		return nil
	}
	err := r.EachBetween(form.kind, rng.From, rng.To, func(rec archive.Record) error {
		if form.match(rec, id) {
			return fn(rec)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read records of %s: %w", id, err)
	}
	return nil
}

// indexIDHits answers f from the index (see indexHits), with the ID
// filters answered from the archive: the index knows the job of DRS
// records only, and no record by its own ID.
func indexIDHits(ctx context.Context, src Source, f Filters) ([]hit, error) {
	g := f
	g.JobIDs, g.IDs = nil, nil
	hits, err := indexHits(ctx, src, g)
	if err != nil {
		return nil, err
	}
	sel, ok, err := idSelection(src.Archive, f)
	if err != nil {
		return nil, err
	}
	out := hits[:0]
	for _, h := range hits {
		if ok {
			if _, in := sel[h.key]; !in {
				continue
			}
		}
		if f.drsJobsOnly() && h.kind != kinds.DRSJob {
			continue
		}
		out = append(out, h)
	}
	return out, nil
}
