package emulator

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// instanceRef is a recovery instance that is currently running.
type instanceRef struct {
	id       string
	drill    bool
	recovery bool
}

// history is the whole synthetic state of one account in one region: DRS
// here, Snowball and SMS in their own types.
type history struct {
	opts Options
	rng  *rand.Rand
	now  time.Time

	servers    []*server // ordered by ID
	serverByID map[string]*server
	jobs       []*job // latest first
	jobByID    map[string]*job
	totalLog   int

	ids     map[string]bool
	active  map[string]instanceRef // source server ID -> running recovery instance
	created int                    // jobs created so far
	planned int                    // log items planned so far

	snow *snowHistory
	sms  *smsHistory
	rec  *recoveryHistory
	cfg  *configHistory

	removed removed // what the Delete methods took out, for Restore
}

// historyStream separates the history's random stream from the fault
// stream derived from the same seed. Snowball and SMS draw from streams of
// their own, so that adding them left every DRS answer as it was.
const (
	historyStream  = 0x64727368697374
	faultStream    = 0x6661756c7473
	snowballStream = 0x736e6f7762616c6c
	smsStream      = 0x736d73
)

// newHistory generates the initial history described by o, which must be
// resolved.
func newHistory(o Options) *history {
	h := &history{
		opts:       o,
		rng:        rand.New(rand.NewPCG(uint64(o.Seed), historyStream)),
		now:        o.Now,
		serverByID: map[string]*server{},
		jobByID:    map[string]*job{},
		ids:        map[string]bool{},
		active:     map[string]instanceRef{},
	}
	r := h.rng
	for i := range o.Servers {
		h.servers = append(h.servers, h.newServer(i))
	}
	h.ensureStates()
	h.assignStaging()
	slices.SortFunc(h.servers, func(a, b *server) int { return cmp.Compare(a.id, b.id) })
	for _, s := range h.servers {
		h.serverByID[s.id] = s
	}

	// Completed jobs spread over the span, oldest first.
	completed := o.Jobs - o.InProgress
	lo, hi := o.Now.Add(-historySpan), o.Now.Add(-3*time.Hour)
	times := make([]time.Time, completed)
	for i := range times {
		times[i] = lo.Add(between(r, 0, hi.Sub(lo)))
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(times); i++ {
		if floor := times[i-1].Add(2 * time.Second); times[i].Before(floor) {
			times[i] = floor
		}
	}
	for _, t := range times {
		j := h.createJob(t, true)
		j.created = newStamp(r, t)
		j.prev = j.created.t
		j.reveal(r, len(j.plan), j.prev, o.Now)
		h.addJob(j)
	}

	// The newest jobs are still running. With three or more of them the
	// very newest has not started yet.
	for i := range o.InProgress {
		j := h.createJob(o.Now, false)
		if o.InProgress >= 3 && i == o.InProgress-1 {
			j.created = newStamp(r, o.Now.Add(-between(r, 5*time.Second, 25*time.Second)))
			j.prev = j.created.t
		} else {
			n := 1 + r.IntN(len(j.plan)-1)
			var took time.Duration
			for _, ev := range j.plan[:n] {
				took += ev.gap
			}
			c := o.Now.Add(-took - between(r, 30*time.Second, 5*time.Minute))
			j.created = newStamp(r, c)
			j.prev = j.created.t
			j.reveal(r, n, j.prev, o.Now)
		}
		h.addJob(j)
	}
	h.refresh()
	h.snow = newSnowHistory(o)
	h.sms = newSMSHistory(o)
	h.rec = newRecoveryHistory(h)
	h.cfg = newConfigHistory(h)
	return h
}

// uniqueHex returns 17 random lowercase hex digits not handed out before.
func (h *history) uniqueHex() string {
	for {
		x := randHex(h.rng, 17)
		if !h.ids[x] {
			h.ids[x] = true
			return x
		}
	}
}

// ensureStates makes sure a history with enough servers shows every kind
// of replication trouble at least once.
func (h *history) ensureStates() {
	if len(h.servers) < 4 {
		return
	}
	want := []string{stateStalled, stateDisconnected}
	if len(h.servers) >= 6 {
		want = append(want, stateInitialSync)
	}
	for _, st := range want {
		if slices.ContainsFunc(h.servers, func(s *server) bool { return s.state == st }) {
			continue
		}
		var cands []*server
		for _, s := range h.servers {
			if s.state == stateContinuous {
				cands = append(cands, s)
			}
		}
		if len(cands) == 0 {
			return
		}
		s := cands[h.rng.IntN(len(cands))]
		s.state = ""
		s.setState(h.rng, st, h.now)
	}
}

// assignStaging extends about a quarter of the servers from the staging
// accounts, and at least one when there is a staging account.
func (h *history) assignStaging() {
	accts := h.opts.StagingAccounts
	if len(accts) == 0 {
		return
	}
	extended := 0
	for i, s := range h.servers {
		if h.rng.IntN(4) == 0 || (extended == 0 && i == len(h.servers)-1) {
			acct := accts[h.rng.IntN(len(accts))]
			s.stagingStatus = "EXTENDED"
			s.stagingAccount = acct
			s.stagingArn = fmt.Sprintf("arn:aws:drs:%s:%s:source-server/s-%s", h.opts.Region, acct, h.uniqueHex())
			extended++
		}
	}
}

// addJob records a new job.
func (h *history) addJob(j *job) {
	h.jobs = append(h.jobs, j)
	h.jobByID[j.id] = j
}

// refresh re-sorts the jobs and re-renders everything served.
func (h *history) refresh() {
	slices.SortFunc(h.jobs, func(a, b *job) int {
		if c := b.created.t.Compare(a.created.t); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	})
	h.totalLog = 0
	for _, j := range h.jobs {
		j.render()
		h.totalLog += len(j.log)
	}
	infos := h.launchInfos()
	for _, s := range h.servers {
		s.render(h.now, infos[s.id])
	}
}

// launchInfos derives each server's last launch and running recovery
// instance from the jobs as they currently stand.
func (h *history) launchInfos() map[string]launchInfo {
	m := map[string]launchInfo{}
	for i := len(h.jobs) - 1; i >= 0; i-- {
		j := h.jobs[i]
		for _, p := range j.parts {
			li := m[p.serverID]
			switch j.initiatedBy {
			case byDrill, byRecovery:
				li.jobID, li.apiCall, li.status = j.id, j.created.s, p.status
				li.kind = "RECOVERY"
				if j.initiatedBy == byDrill {
					li.kind = "DRILL"
				}
				if p.status == statusLaunched {
					li.instance = p.instance
				}
			case byTerminate:
				if p.status == statusTerminated && li.instance == p.planned {
					li.instance = ""
				}
			}
			m[p.serverID] = li
		}
	}
	return m
}

// perServer is the approximate number of log items a job of each kind
// writes per participating server.
var perServer = map[string]float64{byDrill: 5.6, byRecovery: 5.0, byTerminate: 2, byFailback: 3}

// createJob draws and plans the next job, created at about at. Only
// completed jobs may be cancelled.
func (h *history) createJob(at time.Time, completed bool) *job {
	r, o := h.rng, h.opts
	avg := float64(o.LogItemsPerJob)
	target := avg*(0.5+r.Float64()) + 0.5*(avg*float64(h.created)-float64(h.planned))
	target = min(max(target, 3), 4*avg)

	var eligible []*server
	for _, s := range h.servers {
		if s.added.t.Before(at) {
			eligible = append(eligible, s)
		}
	}
	if len(eligible) == 0 {
		eligible = h.servers
	}

	var kind string
	switch x := r.IntN(100); {
	case x < 45:
		kind = byDrill
	case x < 65:
		kind = byRecovery
	case x < 92:
		kind = byTerminate
	default:
		kind = byFailback
	}
	var cands []*server
	switch kind {
	case byTerminate:
		cands = h.running(eligible, func(instanceRef) bool { return true })
		if len(cands) == 0 {
			kind, cands = byDrill, eligible
		}
	case byFailback:
		cands = h.running(eligible, func(ref instanceRef) bool { return ref.recovery })
		if len(cands) == 0 {
			kind, cands = byRecovery, eligible
		}
	default:
		cands = eligible
	}
	k := int(math.Round((target - 2) / perServer[kind]))
	k = min(max(k, 1), len(cands))
	chosen := make([]*server, 0, k)
	for _, i := range r.Perm(len(cands))[:k] {
		chosen = append(chosen, cands[i])
	}

	j := &job{id: "drsjob-" + h.uniqueHex(), initiatedBy: kind, jobType: "LAUNCH", tags: map[string]string{}}
	j.arn = fmt.Sprintf("arn:aws:drs:%s:%s:job/%s", o.Region, o.Account, j.id)
	switch kind {
	case byDrill:
		if r.IntN(5) < 3 {
			j.tags["purpose"] = "quarterly-drill"
		} else {
			j.tags["purpose"] = "dr-test"
			j.tags["requested-by"] = "platform-team"
		}
		h.planLaunch(j, chosen, true, completed)
	case byRecovery:
		if r.IntN(2) == 0 {
			j.tags["incident"] = fmt.Sprintf("INC-%06d", r.IntN(1000000))
		}
		h.planLaunch(j, chosen, false, completed)
	case byTerminate:
		j.jobType = "TERMINATE"
		if r.IntN(3) == 0 {
			j.tags["purpose"] = "quarterly-drill-cleanup"
		}
		h.planTerminate(j, chosen)
	case byFailback:
		j.tags["purpose"] = "failback"
		j.tags["change"] = fmt.Sprintf("CHG-%05d", r.IntN(100000))
		h.planFailback(j, chosen)
	}
	j.endGap = between(r, 50*time.Millisecond, 2*time.Second)

	if !o.NoUnknownFields {
		j.extra = h.created%5 == 0
		for i := range j.plan {
			forced := h.created%3 == 0 && i == 1
			if forced || r.IntN(12) == 0 {
				j.plan[i].extra = [][]member{{unknownFuture}, {unknownScale}, {unknownNotes, unknownScale}}[r.IntN(3)]
			}
		}
	}
	h.created++
	h.planned += len(j.plan)
	return j
}

// running lists the eligible servers with a running recovery instance that
// satisfies keep.
func (h *history) running(eligible []*server, keep func(instanceRef) bool) []*server {
	var out []*server
	for _, s := range eligible {
		if ref, ok := h.active[s.id]; ok && keep(ref) {
			out = append(out, s)
		}
	}
	return out
}

// Fates of a server in a launch.
const (
	fateLaunched = iota
	fateSkipped
	fateSnapshotFails
	fateConversionFails
	fateLaunchFails
)

// planLaunch plans a drill or recovery of servers: snapshots, conversion
// and launch, phase by phase as DRS runs them. About one launch in eight
// fails somewhere along the way, and now and then a job is cancelled.
func (h *history) planLaunch(j *job, servers []*server, drill, cancellable bool) {
	r := h.rng
	add := func(ev plannedEvent) { j.plan = append(j.plan, ev) }
	whole := func(event string, gap time.Duration) plannedEvent {
		return plannedEvent{event: event, part: -1, gap: gap}
	}
	on := func(event string, p int, gap time.Duration) plannedEvent {
		return plannedEvent{event: event, part: p, gap: gap, data: eventData{SourceServerID: servers[p].id}}
	}
	// phaseGap is the gap before the first event of a phase, then short.
	phaseGap := func(first bool, lo, hi time.Duration) time.Duration {
		if first {
			return between(r, lo, hi)
		}
		return between(r, time.Second, 15*time.Second)
	}

	fates := make([]int, len(servers))
	for i, s := range servers {
		j.parts = append(j.parts, participant{serverID: s.id, planned: "i-" + h.uniqueHex(), status: statusPending})
		// The default rate keeps the thresholds, and the history, as
		// they were before the rate could be set.
		f := h.opts.LaunchFailureRate / DefaultLaunchFailureRate
		switch x := r.Float64(); {
		case x < 0.02*f:
			fates[i] = fateSkipped
		case x < 0.045*f:
			fates[i] = fateSnapshotFails
		case x < 0.08*f:
			fates[i] = fateConversionFails
		case x < 0.12*f:
			fates[i] = fateLaunchFails
		}
	}

	add(whole(evJobStart, between(r, 2*time.Second, 20*time.Second)))

	// A new drill first cleans up the previous drill instance of a server.
	var cleanups []int
	old := map[int]string{}
	if drill {
		for i, s := range servers {
			if ref, ok := h.active[s.id]; ok && ref.drill {
				ev := on(evCleanupStart, i, between(r, time.Second, 5*time.Second))
				ev.data.TargetInstanceID = ref.id
				add(ev)
				cleanups = append(cleanups, i)
				old[i] = ref.id
				delete(h.active, s.id)
			}
		}
	}
	for i, s := range servers {
		if fates[i] == fateSkipped {
			ev := on(evServerSkipped, i, between(r, time.Second, 3*time.Second))
			ev.data.RawError = skipReason(s)
			ev.status = statusFailed
			add(ev)
		}
	}

	// Snapshots: recoveries often use an existing point-in-time snapshot.
	var snapping []int
	first := true
	for i := range servers {
		if fates[i] == fateSkipped {
			continue
		}
		if !drill && r.IntN(10) < 3 {
			if fates[i] == fateSnapshotFails {
				ev := on(evUsingPreviousSnapshotX, i, phaseGap(first, 2*time.Second, 10*time.Second))
				ev.data.RawError = previousSnapshotError(r)
				ev.status = statusFailed
				add(ev)
			} else {
				add(on(evUsingPreviousSnapshot, i, phaseGap(first, 2*time.Second, 10*time.Second)))
			}
		} else {
			add(on(evSnapshotStart, i, phaseGap(first, 2*time.Second, 10*time.Second)))
			snapping = append(snapping, i)
		}
		first = false
	}
	for n, i := range cleanups {
		ev := on(evCleanupEnd, i, phaseGap(n == 0, 10*time.Second, time.Minute))
		ev.data.TargetInstanceID = old[i]
		if r.IntN(20) == 0 {
			ev.event = evCleanupFail
			ev.data.RawError = cleanupError(r, old[i])
		}
		add(ev)
	}
	for n, i := range snapping {
		if fates[i] == fateSnapshotFails {
			ev := on(evSnapshotFail, i, phaseGap(n == 0, 30*time.Second, 4*time.Minute))
			ev.data.RawError = snapshotError(r)
			ev.status = statusFailed
			add(ev)
			continue
		}
		add(on(evSnapshotEnd, i, phaseGap(n == 0, 30*time.Second, 4*time.Minute)))
	}
	alive := func(i int) bool { return fates[i] != fateSkipped && fates[i] != fateSnapshotFails }

	if cancellable && r.IntN(40) == 0 {
		add(whole(evJobCancel, between(r, 5*time.Second, time.Minute)))
		add(whole(evJobEnd, between(r, 5*time.Second, 30*time.Second)))
		return
	}

	// Conversion.
	conv := map[int]string{}
	first = true
	for i := range servers {
		if !alive(i) {
			continue
		}
		conv[i] = "i-" + h.uniqueHex()
		ev := on(evConversionStart, i, phaseGap(first, 5*time.Second, 40*time.Second))
		ev.data.ConversionServerID = conv[i]
		add(ev)
		first = false
	}
	first = true
	for i, s := range servers {
		if !alive(i) {
			continue
		}
		ev := on(evConversionEnd, i, phaseGap(first, 3*time.Minute, 12*time.Minute))
		first = false
		ev.data.ConversionServerID = conv[i]
		if fates[i] == fateConversionFails {
			ev.event = evConversionFail
			ev.data.RawError = conversionError(r, h, s)
			ev.status = statusFailed
			add(ev)
			continue
		}
		if r.IntN(2) == 0 {
			ev.data.ConversionProperties = h.conversionProps(s)
			ev.snapAge = between(r, time.Minute, 20*time.Minute)
		}
		add(ev)
	}

	// Launch.
	first = true
	var launching []int
	for i := range servers {
		if !alive(i) || fates[i] == fateConversionFails {
			continue
		}
		ev := on(evLaunchStart, i, phaseGap(first, 10*time.Second, time.Minute))
		first = false
		ev.data.TargetInstanceID = j.parts[i].planned
		ev.status = statusInProgress
		ev.show = true
		add(ev)
		launching = append(launching, i)
	}
	first = true
	for _, i := range launching {
		if fates[i] != fateLaunchFails {
			continue
		}
		ev := on(evLaunchFailed, i, phaseGap(first, 20*time.Second, 90*time.Second))
		first = false
		ev.data.TargetInstanceID = j.parts[i].planned
		ev.data.RawError = launchError(r, h, servers[i])
		ev.status = statusFailed
		ev.hide = true
		add(ev)
	}
	add(whole(evJobEnd, between(r, 30*time.Second, 5*time.Minute)))

	for _, i := range launching {
		if fates[i] == fateLaunched {
			h.active[servers[i].id] = instanceRef{id: j.parts[i].planned, drill: drill, recovery: !drill}
		}
	}
}

// conversionProps describes the volumes converted for s.
func (h *history) conversionProps(s *server) *conversionProps {
	r := h.rng
	cp := &conversionProps{
		ForceUefi:             s.windows && r.IntN(2) == 0,
		RootVolumeName:        s.disks[0].name,
		VolumeToConversionMap: map[string]map[string]string{},
		VolumeToVolumeSize:    map[string]int64{},
	}
	for _, d := range s.disks {
		cp.VolumeToConversionMap[d.name] = map[string]string{"snap-" + randHex(r, 17): "snap-" + randHex(r, 17)}
		cp.VolumeToVolumeSize[d.name] = d.bytes
	}
	return cp
}

// planTerminate plans the termination of the running recovery instances of
// servers.
func (h *history) planTerminate(j *job, servers []*server) {
	r := h.rng
	j.jobType = "TERMINATE"
	j.plan = append(j.plan, plannedEvent{event: evJobStart, part: -1, gap: between(r, 2*time.Second, 15*time.Second)})
	for i, s := range servers {
		inst := h.active[s.id].id
		j.parts = append(j.parts, participant{serverID: s.id, planned: inst, instance: inst, status: statusPending})
		j.plan = append(j.plan, plannedEvent{
			event: evCleanupStart, part: i, gap: between(r, time.Second, 5*time.Second),
			data: eventData{SourceServerID: s.id, TargetInstanceID: inst},
		})
	}
	for i, s := range servers {
		gap := between(r, time.Second, 10*time.Second)
		if i == 0 {
			gap = between(r, 20*time.Second, 3*time.Minute)
		}
		ev := plannedEvent{
			event: evCleanupEnd, part: i, gap: gap, status: statusTerminated,
			data: eventData{SourceServerID: s.id, TargetInstanceID: j.parts[i].planned},
		}
		if r.IntN(20) == 0 {
			ev.event = evCleanupFail
			ev.status = statusFailed
			ev.data.RawError = cleanupError(r, j.parts[i].planned)
		} else {
			delete(h.active, s.id)
		}
		j.plan = append(j.plan, ev)
	}
	j.plan = append(j.plan, plannedEvent{event: evJobEnd, part: -1, gap: between(r, 5*time.Second, time.Minute)})
}

// planFailback plans failing servers back from their recovery instances to
// the original site.
func (h *history) planFailback(j *job, servers []*server) {
	r := h.rng
	j.plan = append(j.plan, plannedEvent{event: evJobStart, part: -1, gap: between(r, 2*time.Second, 15*time.Second)})
	for _, s := range servers {
		inst := h.active[s.id].id
		j.parts = append(j.parts, participant{serverID: s.id, planned: inst, instance: inst, status: statusPending})
	}
	conv := make([]string, len(servers))
	for i, s := range servers {
		conv[i] = "i-" + h.uniqueHex()
		j.plan = append(j.plan, plannedEvent{
			event: evConversionStart, part: i, gap: between(r, 2*time.Second, 20*time.Second),
			data: eventData{SourceServerID: s.id, ConversionServerID: conv[i]},
		})
	}
	for i, s := range servers {
		gap := between(r, time.Second, 15*time.Second)
		if i == 0 {
			gap = between(r, 2*time.Minute, 10*time.Minute)
		}
		j.plan = append(j.plan, plannedEvent{
			event: evConversionEnd, part: i, gap: gap,
			data: eventData{SourceServerID: s.id, ConversionServerID: conv[i]},
		})
	}
	for i, s := range servers {
		ev := plannedEvent{
			event: evLaunchStart, part: i, gap: between(r, 5*time.Second, 30*time.Second),
			status: statusInProgress, data: eventData{SourceServerID: s.id},
		}
		j.plan = append(j.plan, ev)
		if r.IntN(10) == 0 {
			j.plan = append(j.plan, plannedEvent{
				event: evLaunchFailed, part: i, gap: between(r, 30*time.Second, 2*time.Minute),
				status: statusFailed, data: eventData{SourceServerID: s.id, RawError: failbackError(r, s)},
			})
		}
	}
	j.plan = append(j.plan, plannedEvent{event: evJobEnd, part: -1, gap: between(r, 30*time.Second, 5*time.Minute)})
}

// minAdvance is the shortest step the history takes: enough room to place
// every pending log item at microsecond precision.
const minAdvance = time.Second

// advance moves the history on by d: running jobs complete, new jobs
// appear and the servers report fresh replication progress; Snowball and
// SMS jobs move on within the same window, and some launch and replication
// configurations and source networks change.
func (h *history) advance(d time.Duration) {
	if d <= 0 {
		return
	}
	d = max(d, minAdvance)
	r := h.rng
	old, now := h.now, h.now.Add(d).Truncate(time.Microsecond)
	h.now = now

	// Everything running completes, oldest job first.
	for i := len(h.jobs) - 1; i >= 0; i-- {
		if j := h.jobs[i]; !j.done() {
			j.reveal(r, len(j.plan)-j.revealed, old, now)
		}
	}

	// New jobs, each in its own slot of the window; the last keeps running.
	k := 2 + r.IntN(2)
	slot := (now.Sub(old) / time.Duration(k)).Truncate(time.Microsecond)
	for i := range k {
		start := old.Add(slot * time.Duration(i))
		c := start.Add(max(between(r, 0, slot/20), time.Microsecond))
		limit := start.Add(slot * 9 / 10)
		running := i == k-1
		j := h.createJob(c, !running)
		j.created = stampAfter(r, c, old)
		j.prev = j.created.t
		if running {
			j.reveal(r, 1+r.IntN(len(j.plan)-1), j.prev, limit)
		} else {
			j.reveal(r, len(j.plan), j.prev, limit)
		}
		h.addJob(j)
	}

	// A few servers change state; every server moves on.
	movable := slices.Clone(h.servers)
	for n := min(1+r.IntN(3), len(movable)); n > 0; n-- {
		i := r.IntN(len(movable))
		movable[i].transition(r, now)
		movable = slices.Delete(movable, i, i+1)
	}
	for _, s := range h.servers {
		s.tick(r, now)
	}
	h.refresh()
	h.snow.advance(old, now)
	h.sms.advance(old, now)
	h.rec.advance(h, now)
	h.cfg.advance(h)
}

// cloneRaw returns a copy of raw that the caller may keep or modify.
func cloneRaw(raw json.RawMessage) json.RawMessage {
	return append(json.RawMessage(nil), raw...)
}
