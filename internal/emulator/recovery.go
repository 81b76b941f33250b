package emulator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// recoveryStream is the random stream of recovery snapshots and recovery
// instances. It is a stream of its own so that adding them left every other
// answer as it was.
const recoveryStream = 0x7265636f76657279

// Recovery snapshots are taken every Options.SnapshotInterval per
// replicating server, within snapshotWindow of the history's end (older
// ones are never generated, so a long Advance does not make thousands of
// them).
const snapshotWindow = 48 * time.Hour

// EC2 instance states a recovery instance moves between.
const (
	ec2Running = "RUNNING"
	ec2Stopped = "STOPPED"
	ec2Pending = "PENDING"
)

// recoverySnapshot is one point-in-time snapshot of a source server.
type recoverySnapshot struct {
	id       string
	serverID string
	taken    stamp
	raw      json.RawMessage
}

// recoveryInstance is one recovery instance a launch job left running.
type recoveryInstance struct {
	id, serverID, jobID string
	drill               bool
	pit                 string // pointInTimeSnapshotDateTime as served, or ""
	state               string
	updated             stamp
	extra               bool
	raw                 json.RawMessage
}

// recoveryHistory holds the recovery snapshots and recovery instances of a
// history.
type recoveryHistory struct {
	rng             *rand.Rand
	noUnknown       bool
	region, account string
	interval        time.Duration                  // Options.SnapshotInterval
	snaps           map[string][]*recoverySnapshot // by source server ID, oldest first
	next            map[string]time.Time           // when each server's next snapshot is due
	instances       map[string]*recoveryInstance   // by recovery instance ID
	created         int
}

// newRecoveryHistory generates the snapshots and instances of h as of its
// end.
func newRecoveryHistory(h *history) *recoveryHistory {
	rh := &recoveryHistory{
		rng:       rand.New(rand.NewPCG(uint64(h.opts.Seed), recoveryStream)),
		noUnknown: h.opts.NoUnknownFields,
		region:    h.opts.Region,
		account:   h.opts.Account,
		interval:  h.opts.SnapshotInterval,
		snaps:     map[string][]*recoverySnapshot{},
		next:      map[string]time.Time{},
		instances: map[string]*recoveryInstance{},
	}
	rh.advance(h, h.now)
	return rh
}

// replicating says whether a server in state takes snapshots: one whose
// replication is stalled or disconnected takes none.
func replicating(state string) bool {
	return state == stateContinuous || state == stateBacklog
}

// advance brings the snapshots and instances up to now: due snapshots are
// taken, instances of new launches appear, terminated ones go, and about a
// third of the others change state (at least one, when now moved on).
func (rh *recoveryHistory) advance(h *history, now time.Time) {
	r := rh.rng
	for _, s := range h.servers {
		due, ok := rh.next[s.id]
		if !ok || due.Before(now.Add(-snapshotWindow)) {
			due = now.Add(-snapshotWindow + between(r, 0, rh.interval))
		}
		for ; !due.After(now); due = due.Add(rh.interval) {
			if !replicating(s.state) {
				continue
			}
			rh.take(s, due)
		}
		rh.next[s.id] = due
	}

	// Instances follow the launches the job history left running.
	live := map[string]bool{}
	var changeable []*recoveryInstance
	for _, s := range h.servers {
		ref, ok := h.active[s.id]
		if !ok {
			continue
		}
		live[ref.id] = true
		if in, ok := rh.instances[ref.id]; ok {
			changeable = append(changeable, in)
			continue
		}
		rh.instances[ref.id] = rh.launch(h, s, ref, now)
	}
	for id := range rh.instances {
		if !live[id] {
			delete(rh.instances, id)
		}
	}
	if len(changeable) > 0 && now.After(h.opts.Now) {
		forced := r.IntN(len(changeable))
		for i, in := range changeable {
			if i == forced || r.IntN(3) == 0 {
				in.flip(r, now)
				rh.render(in)
			}
		}
	}
}

// take adds the snapshot of s due at due.
func (rh *recoveryHistory) take(s *server, due time.Time) {
	r := rh.rng
	taken := newStamp(r, due.Add(between(r, time.Second, 10*time.Minute)))
	if prev := rh.snaps[s.id]; len(prev) > 0 && !taken.t.After(prev[len(prev)-1].taken.t) {
		return
	}
	ebs := make([]string, 0, len(s.disks))
	for range s.disks {
		ebs = append(ebs, "snap-"+randHex(r, 17))
	}
	w := struct {
		EBSSnapshots      []string `json:"ebsSnapshots"`
		ExpectedTimestamp string   `json:"expectedTimestamp"`
		SnapshotID        string   `json:"snapshotID"`
		SourceServerID    string   `json:"sourceServerID"`
		Timestamp         string   `json:"timestamp"`
	}{ebs, renderStamp(due.Truncate(time.Second), layoutSecond).s, "pit-" + randHex(r, 17), s.id, taken.s}
	raw := mustMarshal(w)
	if !rh.noUnknown && r.IntN(4) == 0 {
		raw = withMembers(raw, unknownFuture)
	}
	rh.snaps[s.id] = append(rh.snaps[s.id], &recoverySnapshot{id: w.SnapshotID, serverID: s.id, taken: taken, raw: raw})
}

// launch builds the recovery instance of ref, launched for server s.
func (rh *recoveryHistory) launch(h *history, s *server, ref instanceRef, now time.Time) *recoveryInstance {
	r := rh.rng
	in := &recoveryInstance{id: ref.id, serverID: s.id, drill: ref.drill, state: ec2Running}
	var created time.Time
	for _, j := range h.jobs {
		if j.jobType != "LAUNCH" {
			continue
		}
		if slices.ContainsFunc(j.parts, func(p participant) bool { return p.planned == ref.id }) {
			in.jobID, created = j.id, j.created.t
			if !j.done() {
				in.state = ec2Pending
			}
			break
		}
	}
	// The snapshot the launch used: the server's latest before the job.
	for _, sn := range slices.Backward(rh.snaps[s.id]) {
		if created.IsZero() || sn.taken.t.Before(created) {
			in.pit = sn.taken.s
			break
		}
	}
	if in.pit == "" && !created.IsZero() && r.IntN(4) != 0 {
		in.pit = newStamp(r, created.Add(-between(r, time.Minute, time.Hour))).s
	}
	in.updated = newStamp(r, now)
	in.extra = !rh.noUnknown && (rh.created == 0 || r.IntN(3) == 0)
	rh.created++
	rh.render(in)
	return in
}

// flip moves a recovery instance to its next state.
func (in *recoveryInstance) flip(r *rand.Rand, now time.Time) {
	switch in.state {
	case ec2Running:
		in.state = ec2Stopped
	default:
		in.state = ec2Running
	}
	in.updated = newStamp(r, now)
}

// render renders the served bytes of a recovery instance.
func (rh *recoveryHistory) render(in *recoveryInstance) {
	type cpu struct {
		Cores     int    `json:"cores"`
		ModelName string `json:"modelName"`
	}
	type props struct {
		CPUs                []cpu  `json:"cpus"`
		LastUpdatedDateTime string `json:"lastUpdatedDateTime"`
		OS                  struct {
			FullString string `json:"fullString"`
		} `json:"os"`
		RAMBytes int64 `json:"ramBytes"`
	}
	w := struct {
		Arn                         string            `json:"arn"`
		EC2InstanceID               string            `json:"ec2InstanceID"`
		EC2InstanceState            string            `json:"ec2InstanceState"`
		IsDrill                     bool              `json:"isDrill"`
		JobID                       string            `json:"jobID,omitempty"`
		OriginEnvironment           string            `json:"originEnvironment"`
		PointInTimeSnapshotDateTime string            `json:"pointInTimeSnapshotDateTime,omitempty"`
		RecoveryInstanceID          string            `json:"recoveryInstanceID"`
		RecoveryInstanceProperties  props             `json:"recoveryInstanceProperties"`
		SourceServerID              string            `json:"sourceServerID"`
		Tags                        map[string]string `json:"tags"`
	}{
		EC2InstanceID: in.id, EC2InstanceState: in.state, IsDrill: in.drill, JobID: in.jobID,
		OriginEnvironment: "ON_PREMISES", PointInTimeSnapshotDateTime: in.pit, RecoveryInstanceID: in.id,
		SourceServerID: in.serverID, Tags: map[string]string{"purpose": map[bool]string{true: "drill", false: "recovery"}[in.drill]},
	}
	w.Arn = fmt.Sprintf("arn:aws:drs:%s:%s:recovery-instance/%s", rh.region, rh.account, in.id)
	w.RecoveryInstanceProperties = props{
		CPUs:                []cpu{{Cores: 2, ModelName: "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz"}},
		LastUpdatedDateTime: in.updated.s,
		RAMBytes:            8 * gib,
	}
	w.RecoveryInstanceProperties.OS.FullString = "Linux version 5.10"
	raw := mustMarshal(w)
	if in.extra {
		raw = withMembers(raw, unknownNotes)
	}
	in.raw = raw
}

// describeRecoverySnapshots serves DescribeRecoverySnapshots: one server's
// snapshots, filtered by time, oldest first (order ASC, the default) or
// latest first (DESC).
func (h *history) describeRecoverySnapshots(req request) ([]byte, *apiError) {
	if req.SourceServerID == "" {
		return nil, validationError("sourceServerID is required")
	}
	if _, ok := h.serverByID[req.SourceServerID]; !ok {
		return nil, &apiError{status: 404, code: "ResourceNotFoundException", message: fmt.Sprintf("source server %s does not exist", req.SourceServerID)}
	}
	var f requestFilters
	if req.Filters != nil {
		f = *req.Filters
	}
	var from, to time.Time
	var err error
	if f.FromDateTime != nil && *f.FromDateTime != "" {
		if from, err = parseFilterTime(*f.FromDateTime); err != nil {
			return nil, validationError("filters.fromDateTime: %v", err)
		}
	}
	if f.ToDateTime != nil && *f.ToDateTime != "" {
		if to, err = parseFilterTime(*f.ToDateTime); err != nil {
			return nil, validationError("filters.toDateTime: %v", err)
		}
	}
	order := strings.ToUpper(req.Order)
	if order != "" && order != "ASC" && order != "DESC" {
		return nil, validationError("order must be ASC or DESC, got %q", req.Order)
	}
	var items []json.RawMessage
	for _, sn := range h.rec.snaps[req.SourceServerID] {
		if !from.IsZero() && sn.taken.t.Before(from) {
			continue
		}
		if !to.IsZero() && sn.taken.t.After(to) {
			continue
		}
		items = append(items, sn.raw)
	}
	if order == "DESC" {
		slices.Reverse(items)
	}
	key := fmt.Sprintf("server=%s|from=%s|to=%s|order=%s", req.SourceServerID, from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano), order)
	lo, hi, next, aerr := page(OpDescribeRecoverySnapshots, key, len(items), req, maxPageSize)
	if aerr != nil {
		return nil, aerr
	}
	return envelope("items", items[lo:hi], next), nil
}

// describeRecoveryInstances serves DescribeRecoveryInstances, ordered by
// ID and filtered by recovery instance ID and source server ID.
func (h *history) describeRecoveryInstances(req request) ([]byte, *apiError) {
	var f requestFilters
	if req.Filters != nil {
		f = *req.Filters
	}
	ids := slices.Sorted(slices.Values(f.RecoveryInstanceIDs))
	servers := slices.Sorted(slices.Values(f.SourceServerIDs))
	all := h.rec.sortedInstances()
	items := make([]json.RawMessage, 0, len(all))
	for _, in := range all {
		if len(ids) > 0 && !slices.Contains(ids, in.id) {
			continue
		}
		if len(servers) > 0 && !slices.Contains(servers, in.serverID) {
			continue
		}
		items = append(items, in.raw)
	}
	key := fmt.Sprintf("ids=%s|servers=%s", strings.Join(ids, ","), strings.Join(servers, ","))
	lo, hi, next, aerr := page(OpDescribeRecoveryInstances, key, len(items), req, maxPageSize)
	if aerr != nil {
		return nil, aerr
	}
	return envelope("items", items[lo:hi], next), nil
}

// sortedInstances returns the recovery instances ordered by ID.
func (rh *recoveryHistory) sortedInstances() []*recoveryInstance {
	out := make([]*recoveryInstance, 0, len(rh.instances))
	for _, in := range rh.instances {
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b *recoveryInstance) int { return strings.Compare(a.id, b.id) })
	return out
}

// RecoverySnapshots returns the served bytes of every recovery snapshot of
// a source server, oldest first: what a complete archive must hold of it.
func (s *Server) RecoverySnapshots(serverID string) []json.RawMessage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []json.RawMessage
	for _, sn := range s.h.rec.snaps[serverID] {
		out = append(out, cloneRaw(sn.raw))
	}
	return out
}

// RecoveryInstances returns the served bytes of every current recovery
// instance, ordered by ID.
func (s *Server) RecoveryInstances() []json.RawMessage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []json.RawMessage
	for _, in := range s.h.rec.sortedInstances() {
		out = append(out, cloneRaw(in.raw))
	}
	return out
}

// SnapshotQuery is one DescribeRecoverySnapshots call as received: the
// server it named and its fromDateTime filter ("" when absent).
type SnapshotQuery struct {
	// SourceServerID is the sourceServerID member of the call.
	SourceServerID string
	// FromDateTime is its filters.fromDateTime, "" when absent.
	FromDateTime string
}

// SnapshotQueries returns the DescribeRecoverySnapshots calls received
// since New or the last ResetCounts, in order.
func (s *Server) SnapshotQueries() []SnapshotQuery {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	return slices.Clone(s.snapQueries)
}
