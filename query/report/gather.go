package report

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/query"
)

// Selection is the period and the filters of a report or check.
type Selection struct {
	// Range is the period; a zero From or To is filled in by Resolve.
	Range query.Range
	// Regions, Accounts and ServerIDs select records; empty selects all.
	Regions, Accounts, ServerIDs []string
}

// DefaultPeriod is the period a report covers when --from is not given.
const DefaultPeriod = 90 * 24 * time.Hour

// Resolve fills in the period's open sides: To is now, From DefaultPeriod
// before To.
func (s Selection) Resolve(now time.Time) Selection {
	if s.Range.To.IsZero() {
		s.Range.To = now
	}
	if s.Range.From.IsZero() {
		s.Range.From = s.Range.To.Add(-DefaultPeriod)
	}
	s.Range.From, s.Range.To = s.Range.From.UTC(), s.Range.To.UTC()
	return s
}

// Data is what a report reads of the archive, copied out of one read
// transaction.
type Data struct {
	Path              string
	Position          uint64
	Checkpoint        []byte
	CheckpointWritten bool
	// Jobs are the DRS job records up to the period's end.
	Jobs []archive.Record
	// Logs are the logs of the jobs the report measures.
	Logs map[archive.JobRef][]archive.Record
	// Servers are every observation of the selected source servers (those
	// after the period name a server's hostname); Deleted when a complete listing noticed each
	// server gone (by serverKey).
	Servers []archive.Record
	Deleted map[string]time.Time
	// Snapshots are the recovery snapshots of the period, Instances every
	// observation of a recovery instance.
	Snapshots []archive.Record
	Instances []archive.Record
}

// Gather opens the archive in dir read-only and copies what a report over
// sel (resolved) needs, then releases it. Waits for locks are told on
// stderr.
func Gather(ctx context.Context, dir string, lockTimeout time.Duration, sel Selection, stderr io.Writer) (*Data, error) {
	st, err := archive.Open(ctx, dir, archive.Options{
		ReadOnly:    true,
		LockTimeout: lockTimeout,
		Waiting:     func(msg string) { fmt.Fprintf(stderr, "archiver: %s\n", msg) },
	})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	d := &Data{Path: st.Path(), Logs: map[archive.JobRef][]archive.Record{}, Deleted: map[string]time.Time{}}
	err = st.View(func(r *archive.Reader) error {
		return d.read(ctx, r, sel)
	})
	if err != nil {
		return nil, fmt.Errorf("read archive: %w", err)
	}
	return d, nil
}

// read copies sel's records from r into d.
func (d *Data) read(ctx context.Context, r *archive.Reader, sel Selection) error {
	var err error
	if d.Position, err = r.Position(); err != nil {
		return err
	}
	latest, ok, err := r.LatestCheckpoint()
	if err != nil {
		return err
	}
	if ok {
		d.Checkpoint, d.CheckpointWritten = latest, true
	} else {
		c, err := r.CheckpointOf()
		if err != nil {
			return err
		}
		d.Checkpoint = c.Marshal()
	}
	to := sel.Range.To
	where := func(rec archive.Record) bool {
		return (len(sel.Regions) == 0 || slices.Contains(sel.Regions, rec.Region)) &&
			(len(sel.Accounts) == 0 || slices.Contains(sel.Accounts, rec.Account))
	}
	server := func(id string) bool { return len(sel.ServerIDs) == 0 || slices.Contains(sel.ServerIDs, id) }

	err = r.Each(kinds.DRSSourceServer, func(rec archive.Record) error {
		if where(rec) && server(rec.ID) {
			d.Servers = append(d.Servers, rec)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, rec := range d.Servers {
		k := serverKey(rec.ID, rec.Region, rec.Account)
		if _, seen := d.Deleted[k]; seen {
			continue
		}
		m, ok, err := r.Deleted(kinds.DRSSourceServer, rec.ID, rec.Region, rec.Account)
		if err != nil {
			return err
		}
		if ok {
			d.Deleted[k] = m.DeletedUpstreamAt
		} else {
			d.Deleted[k] = time.Time{}
		}
	}
	for k, at := range d.Deleted {
		if at.IsZero() {
			delete(d.Deleted, k)
		}
	}
	err = r.EachBetween(kinds.DRSRecoverySnapshot, sel.Range.From, to, func(rec archive.Record) error {
		if where(rec) && server(snapshotServer(rec.Data)) {
			d.Snapshots = append(d.Snapshots, rec)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = r.Each(kinds.DRSRecoveryInstance, func(rec archive.Record) error {
		if where(rec) {
			d.Instances = append(d.Instances, rec)
		}
		return nil
	})
	if err != nil {
		return err
	}

	// Jobs: every launch of the period needs its log; before the period,
	// only each server's newest drill that launched (its last drill).
	var older []archive.Record
	err = r.EachBetween(kinds.DRSJob, time.Time{}, to, func(rec archive.Record) error {
		if !where(rec) {
			return nil
		}
		j, err := parseJob(rec.Data)
		if err != nil || kindOf(j.InitiatedBy) == "" || !slices.ContainsFunc(j.Servers, func(p participant) bool { return server(p.SourceServerID) }) {
			return nil
		}
		d.Jobs = append(d.Jobs, rec)
		if rec.Time.Before(sel.Range.From) {
			older = append(older, rec)
		} else {
			d.Logs[jobRef(rec)] = nil
		}
		return nil
	})
	if err != nil {
		return err
	}
	// A job's launchStatus says LAUNCHED; its log decides (Compute). A few
	// candidates per server, newest first, stand in for a log that
	// disagrees.
	const candidates = 3
	drills := map[string]int{}
	for _, rec := range slices.Backward(older) {
		j, _ := parseJob(rec.Data)
		if kindOf(j.InitiatedBy) != KindDrill {
			continue
		}
		for _, p := range j.Servers {
			k := serverKey(p.SourceServerID, rec.Region, rec.Account)
			if server(p.SourceServerID) && launchedStatus(p.LaunchStatus) && drills[k] < candidates {
				drills[k]++
				d.Logs[jobRef(rec)] = nil
			}
		}
	}
	for ref := range d.Logs {
		if err := ctx.Err(); err != nil {
			return err
		}
		var items []archive.Record
		err := r.JobLog(ref, func(rec archive.Record) error {
			items = append(items, rec)
			return nil
		})
		if err != nil {
			return fmt.Errorf("log of job %s: %w", ref.JobID, err)
		}
		d.Logs[ref] = items
	}
	return nil
}

// serverKey identifies a source server across regions and accounts.
func serverKey(id, region, account string) string { return id + "\x00" + region + "\x00" + account }

func jobRef(rec archive.Record) archive.JobRef {
	return archive.JobRef{JobID: rec.ID, Region: rec.Region, Account: rec.Account}
}

// participant is a server's entry in a job's participatingServers.
type participant struct {
	SourceServerID     string `json:"sourceServerID"`
	LaunchStatus       string `json:"launchStatus"`
	RecoveryInstanceID string `json:"recoveryInstanceID"`
}

// jobData is what a report reads of a DRS job.
type jobData struct {
	JobID       string        `json:"jobID"`
	InitiatedBy string        `json:"initiatedBy"`
	Status      string        `json:"status"`
	Servers     []participant `json:"participatingServers"`
}

func parseJob(raw []byte) (jobData, error) {
	var j jobData
	err := json.Unmarshal(raw, &j)
	return j, err
}

// kindOf says whether a job initiated so is a drill or a recovery ("" for
// other jobs: failback, termination, diagnostics...).
func kindOf(initiatedBy string) string {
	switch initiatedBy {
	case "START_DRILL":
		return KindDrill
	case "START_RECOVERY":
		return KindRecovery
	}
	return ""
}

// launchedStatus says whether a launchStatus means the recovery instance
// was launched: LAUNCHED, or TERMINATED since.
func launchedStatus(s string) bool { return s == "LAUNCHED" || s == "TERMINATED" }

// snapshotServer returns the source server a recovery snapshot belongs to.
func snapshotServer(raw []byte) string {
	var s struct {
		SourceServerID string `json:"sourceServerID"`
	}
	json.Unmarshal(raw, &s)
	return s.SourceServerID
}
