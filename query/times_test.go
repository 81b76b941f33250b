package query_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/awstime"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/search"
	archsync "github.com/archiver-dev/archiver/sync"
)

// observed are the kinds archiver observes, state after state: the kinds
// whose capture time differs from their record time.
var observed = []archive.Kind{kinds.DRSSourceServer, kinds.DRSRecoveryInstance, kinds.SnowballJob, kinds.SMSJob}

// objectStates returns the served bytes of every observed object of emu,
// by kind and ID, from the emulator's own accessors.
func objectStates(t *testing.T, emu *emulator.Server) map[archive.Kind]map[string][]byte {
	t.Helper()
	out := map[archive.Kind]map[string][]byte{}
	add := func(kind archive.Kind, field string, raws []json.RawMessage) {
		if out[kind] == nil {
			out[kind] = map[string][]byte{}
		}
		for _, raw := range raws {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			id, _ := m[field].(string)
			if id == "" {
				t.Fatalf("%s without %s: %s", kind, field, raw)
			}
			var b bytes.Buffer
			if err := json.Compact(&b, raw); err != nil {
				t.Fatal(err)
			}
			out[kind][id] = b.Bytes()
		}
	}
	add(kinds.DRSSourceServer, "sourceServerID", emu.SourceServers())
	add(kinds.DRSRecoveryInstance, "recoveryInstanceID", emu.RecoveryInstances())
	for _, c := range emu.ClusterIDs() {
		add(kinds.SnowballJob, "JobId", emu.ClusterJobs(c))
	}
	add(kinds.SMSJob, "replicationJobId", emu.ReplicationJobs())
	return out
}

// state is one state of an observed object, as the emulator's history says
// the archive must hold it: first seen by sync number seen, the latest
// state of its object or not, and the object marked deleted upstream by
// sync number deleted (-1 for none).
type state struct {
	kind    archive.Kind
	id      string
	seen    int
	latest  bool
	deleted int
}

func (s state) name() string { return fmt.Sprintf("%s %s @%d", s.kind, s.id, s.seen) }

// timesFixture syncs an emulated history four times, a week apart, deleting
// a source server, a Snowball job and an SMS job before the third sync and
// others before the fourth. It returns the archive, the sync times and the
// states the archive must hold, computed from the emulator's accessors
// after each sync.
func timesFixture(t *testing.T) (string, []time.Time, []state, *emulator.Server) {
	t.Helper()
	emu := archivetest.Emulator(t, emulator.Options{Seed: 41, Jobs: 12, Servers: 6, SnowballClusters: 2, SMSJobs: 8})
	dir := archivetest.Dir(t)
	var seen []time.Time
	var snaps []map[archive.Kind]map[string][]byte
	firstID := func(kind archive.Kind, i int) string {
		var ids []string
		for id := range snaps[len(snaps)-1][kind] {
			ids = append(ids, id)
		}
		if len(ids) <= i {
			t.Fatalf("no %s to delete", kind)
		}
		sort.Strings(ids)
		return ids[i]
	}
	for k := 0; k < 4; k++ {
		if k > 0 {
			emu.Advance(7 * 24 * time.Hour)
		}
		if k >= 2 {
			for _, err := range []error{
				emu.DeleteSourceServer(firstID(kinds.DRSSourceServer, 0)),
				emu.DeleteSnowballJob(firstID(kinds.SnowballJob, 0)),
				emu.DeleteReplicationJob(firstID(kinds.SMSJob, 0)),
			} {
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		now := emu.Now()
		err := archsync.Run(context.Background(), archsync.Options{
			ArchiveDir: dir, Regions: []string{"us-east-1"}, EndpointURL: emu.URL(),
			Sources:     []archsync.Source{archsync.SourceDRS, archsync.SourceSnowball, archsync.SourceSMS},
			Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
			Now:         func() time.Time { return now },
		}, &archsync.Stats{})
		if err != nil {
			t.Fatalf("sync %d: %v", k, err)
		}
		seen = append(seen, now)
		snaps = append(snaps, objectStates(t, emu))
	}
	// A record per state that differs from the one before it; the object
	// is deleted at the first sync that no longer lists it.
	var states []state
	for _, kind := range observed {
		ids := map[string]bool{}
		for _, s := range snaps {
			for id := range s[kind] {
				ids[id] = true
			}
		}
		for id := range ids {
			var mine []state
			var prev []byte
			deleted := -1
			for k, s := range snaps {
				data, ok := s[kind][id]
				if !ok {
					if prev != nil && deleted < 0 {
						deleted = k
					}
					continue
				}
				if !bytes.Equal(data, prev) {
					mine = append(mine, state{kind: kind, id: id, seen: k, deleted: -1})
				}
				prev = data
			}
			mine[len(mine)-1].latest = true
			if kind != kinds.DRSRecoveryInstance {
				// Recovery instances come and go with drills; archiver
				// marks the other kinds only.
				mine[len(mine)-1].deleted = deleted
			}
			states = append(states, mine...)
		}
	}
	return dir, seen, states, emu
}

// openRO opens the archive in dir for reading.
func openRO(t *testing.T, dir string) *archive.Store {
	t.Helper()
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// archived lists the observed records of dir as states, named by the sync
// that first saw them, and their record times.
func archived(t *testing.T, dir string, seen []time.Time) ([]string, map[string]time.Time) {
	t.Helper()
	st := openRO(t, dir)
	defer st.Close()
	var names []string
	times := map[string]time.Time{}
	err := st.View(func(r *archive.Reader) error {
		for _, kind := range observed {
			err := r.Each(kind, func(rec archive.Record) error {
				n := recordState(t, rec, seen)
				names = append(names, n)
				times[n] = rec.Time
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names, times
}

func recordState(t *testing.T, rec archive.Record, seen []time.Time) string {
	for k, s := range seen {
		if rec.FirstSeen.Equal(s) {
			return state{kind: rec.Kind, id: rec.ID, seen: k}.name()
		}
	}
	t.Fatalf("%s %s first seen at %s, which is no sync's time", rec.Kind, rec.ID, rec.FirstSeen)
	return ""
}

func names(states []state, keep func(state) bool) []string {
	var out []string
	for _, s := range states {
		if keep(s) {
			out = append(out, s.name())
		}
	}
	return out
}

// TestCaptureAndDeletionTimes checks --captured-from/--captured-to and
// --deleted-from/--deleted-to against the states the emulator went
// through.
func TestCaptureAndDeletionTimes(t *testing.T) {
	dir, seen, states, _ := timesFixture(t)
	got, times := archived(t, dir, seen)
	sameSet(t, "the observed records", got, names(states, func(state) bool { return true }))

	ask := func(f query.Filters) []string {
		t.Helper()
		f.Kinds = observed
		st := openRO(t, dir)
		defer st.Close()
		var out []string
		err := st.View(func(r *archive.Reader) error {
			_, err := query.Run(context.Background(), query.Source{Archive: r, Search: search.Using(nil)}, query.Request{Filters: f}, func(rec archive.Record, _ []string) error {
				out = append(out, recordState(t, rec, seen))
				return nil
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for k := range seen {
		k := k
		sameSet(t, fmt.Sprintf("captured by sync %d", k), ask(query.Filters{Captured: query.Range{From: seen[k], To: seen[k]}}),
			names(states, func(s state) bool { return s.seen == k }))
		if k > 0 {
			// "What changed last week", which the record time cannot tell.
			last := query.Range{From: seen[k].Add(-7*24*time.Hour + time.Nanosecond), To: seen[k]}
			sameSet(t, fmt.Sprintf("captured in the week to sync %d", k), ask(query.Filters{Captured: last}),
				names(states, func(s state) bool { return s.seen == k }))
			older := names(states, func(s state) bool {
				return s.seen == k && (s.kind == kinds.SnowballJob || s.kind == kinds.SMSJob) && times[s.name()].Before(last.From)
			})
			if len(older) == 0 {
				t.Errorf("no Snowball or SMS job created before the week to sync %d changed in it; the test proves nothing", k)
			}
		}
	}
	sameSet(t, "captured after the first sync", ask(query.Filters{Captured: query.Range{From: seen[0].Add(time.Nanosecond)}}),
		names(states, func(s state) bool { return s.seen > 0 }))
	for k := 2; k < len(seen); k++ {
		k := k
		sameSet(t, fmt.Sprintf("deleted at sync %d", k), ask(query.Filters{DeletedRange: query.Range{From: seen[k], To: seen[k]}}),
			names(states, func(s state) bool { return s.deleted == k }))
	}
	sameSet(t, "deleted up to sync 2", ask(query.Filters{DeletedRange: query.Range{To: seen[2]}}),
		names(states, func(s state) bool { return s.deleted >= 0 && s.deleted <= 2 }))
	sameSet(t, "deleted, captured before sync 2", ask(query.Filters{Deleted: true, Captured: query.Range{To: seen[2].Add(-time.Nanosecond)}}),
		names(states, func(s state) bool { return s.deleted >= 0 && s.seen < 2 }))
}

// TestPruneByCaptureTime prunes before the second sync: the states the
// first sync captured go unless they are still the latest; every state
// captured later stays, however old its Snowball or SMS job.
func TestPruneByCaptureTime(t *testing.T) {
	dir, seen, states, emu := timesFixture(t)
	cut := seen[1]
	_, times := archived(t, dir, seen)
	// The states an old record time would have pruned, and a prune by
	// capture time keeps.
	kept := names(states, func(s state) bool {
		return s.seen >= 1 && !s.latest && (s.kind == kinds.SnowballJob || s.kind == kinds.SMSJob) && times[s.name()].Before(cut)
	})
	if len(kept) == 0 {
		t.Fatal("no Snowball or SMS job created before the cut has an older state captured after it; the test proves nothing")
	}
	gone := names(states, func(s state) bool { return s.seen < 1 && !s.latest })
	if len(gone) == 0 {
		t.Fatal("no state captured before the cut was superseded; the test proves nothing")
	}
	st, err := archive.Open(context.Background(), dir, archive.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := archive.Prune(context.Background(), st, archive.PruneOptions{Before: cut, Confirm: true})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := archived(t, dir, seen)
	sameSet(t, "observed records after the prune", got, names(states, func(s state) bool { return s.seen >= 1 || s.latest }))

	// DRS jobs still go by creation time.
	var jobs int
	for _, raw := range emu.Jobs() {
		var j struct {
			CreationDateTime string `json:"creationDateTime"`
		}
		json.Unmarshal(raw, &j)
		at, err := awstime.Parse(j.CreationDateTime)
		if err != nil {
			t.Fatal(err)
		}
		if at.Before(cut) {
			jobs++
		}
	}
	if jobs == 0 || res.Counts[kinds.DRSJob] != jobs {
		t.Errorf("the prune removed %d DRS jobs; %d were created before %s", res.Counts[kinds.DRSJob], jobs, cut)
	}
	removed := 0
	for _, kind := range observed {
		removed += res.Counts[kind]
	}
	if removed != len(gone) {
		t.Errorf("the prune removed %d observed records, want %d", removed, len(gone))
	}
}
