package report

import (
	"cmp"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/awstime"
	"github.com/archiver-dev/archiver/internal/buildinfo"
	"github.com/archiver-dev/archiver/internal/jsonscan"
)

// Job log events the report reads (the DRS API's JobLogEvent values).
const (
	evJobStart      = "JOB_START"
	evJobCancel     = "JOB_CANCEL"
	evServerSkipped = "SERVER_SKIPPED"
	evConversionEnd = "CONVERSION_END"
	evLaunchStart   = "LAUNCH_START"
)

// failing reports whether a log event fails a server's launch: every
// *_FAIL and *_FAILED event but the cleanup of an earlier drill instance,
// which does not stop the launch.
func failing(event string) bool {
	return (strings.HasSuffix(event, "_FAIL") || strings.HasSuffix(event, "_FAILED")) && !strings.HasPrefix(event, "CLEANUP_")
}

// Notes are the report's own notes on how each figure is measured.
var Notes = []string{
	"Launches are each source server's part in a drill (initiatedBy START_DRILL) or recovery (START_RECOVERY) job created in the period; failback, termination and diagnostic jobs are left out.",
	"Job start: the logDateTime of the job's JOB_START log item, or its creationDateTime when the archived log holds none.",
	"Time to launch (RTO evidence): from the job start to the logDateTime of the server's LAUNCH_START log item, which DRS writes when it launches the recovery instance (eventData.targetInstanceID). DRS logs no later event for a launch that succeeds; the server's launchStatus in the job (LAUNCHED, or TERMINATED since) confirms it.",
	"Result: skipped when the log holds SERVER_SKIPPED for the server; failed at the first SNAPSHOT_FAIL, USING_PREVIOUS_SNAPSHOT_FAILED, CONVERSION_FAIL or LAUNCH_FAILED (any *_FAIL or *_FAILED event but CLEANUP_FAIL, the cleanup of an earlier drill instance); launched after LAUNCH_START with launchStatus LAUNCHED or TERMINATED; cancelled after JOB_CANCEL; pending while the job runs.",
	"Recovery point (RPO evidence): from the point-in-time snapshot a launch used to the job start. The snapshot's time is eventData.conversionProperties.dataTimestamp of the server's CONVERSION_END log item, else the pointInTimeSnapshotDateTime of the recovery instance the job launched; without either it is not measured.",
	"Snapshot gaps: the largest time between two consecutive recovery snapshots (their timestamp) taken in the period.",
	"Replication: each archived observation of a source server holds from its capture until the next observation, the last one until the last sync that saw it; time no observation covers is unobserved. Lag bands are those of dataReplicationInfo.lagDuration ('none' when there is no lag, as when disconnected).",
	"Error codes are read from rawError: '(Code) when calling', '<Code>Code</Code>', or a 'CamelCaseCode:' prefix; failures are grouped by step and code. A failure is fixed when a later launch of the same server launched.",
	"Coverage: protected servers with a drill that launched in the period, over all protected servers. Protected: observed by the period's end, or taking part in a launch of the period, and not deleted upstream before it.",
	"Every figure names its job and log times: 'archiver query --job-id JOB' shows the records it came from.",
}

// Compute builds the report of d over sel (resolved), as made at now by
// build.
func Compute(d *Data, sel Selection, now time.Time, build buildinfo.Info) *Report {
	rep := &Report{
		Schema: SchemaVersion, GeneratedAt: now.UTC(), Archiver: build,
		Archive: ArchiveState{Path: d.Path, Position: d.Position, Checkpoint: string(d.Checkpoint), CheckpointWritten: d.CheckpointWritten},
		Filters: Filters{From: sel.Range.From, To: sel.Range.To, Regions: sel.Regions, Accounts: sel.Accounts, SourceServers: sel.ServerIDs},
		Notes:   Notes,
	}
	servers := map[string]*Server{}
	var order []string
	get := func(id, region, account string) *Server {
		k := serverKey(id, region, account)
		s, ok := servers[k]
		if !ok {
			s = &Server{SourceServerID: id, Region: region, Account: account, Launches: []Launch{}, Failures: []FailureGroup{}}
			s.Snapshots.Times = []time.Time{}
			servers[k] = s
			order = append(order, k)
		}
		return s
	}

	// Observations, oldest first: the hostname, and time per state. A
	// server first observed after the period is protected in it only if it
	// took part in a launch of the period (below); its hostname is read
	// all the same.
	obs := map[string][]archive.Record{}
	for _, rec := range d.Servers {
		k := serverKey(rec.ID, rec.Region, rec.Account)
		if at, gone := d.Deleted[k]; gone && at.Before(sel.Range.From) {
			continue
		}
		obs[k] = append(obs[k], rec)
	}
	names := map[string]string{}
	for k, list := range obs {
		slices.SortStableFunc(list, func(a, b archive.Record) int { return a.Time.Compare(b.Time) })
		last := list[0]
		for _, rec := range list {
			if !rec.Time.After(sel.Range.To) {
				last = rec
			}
		}
		names[k] = hostname(last.Data)
		if list[0].Time.After(sel.Range.To) {
			continue
		}
		s := get(last.ID, last.Region, last.Account)
		s.Hostname = names[k]
		s.Replication = replication(list, sel.Range.From, sel.Range.To)
	}

	// Launches.
	inst := instanceSnapshots(d.Instances)
	lastDrill := map[string]*LaunchRef{}
	for _, rec := range d.Jobs {
		ref := jobRef(rec)
		items, measured := d.Logs[ref]
		if !measured {
			continue
		}
		j, err := parseJob(rec.Data)
		if err != nil {
			continue
		}
		log := parseLog(items)
		for _, p := range j.Servers {
			if len(sel.ServerIDs) > 0 && !slices.Contains(sel.ServerIDs, p.SourceServerID) {
				continue
			}
			k := serverKey(p.SourceServerID, rec.Region, rec.Account)
			l := launchOf(rec, j, p, log, inst)
			if l.Kind == KindDrill && l.Result == ResultLaunched {
				if prev := lastDrill[k]; prev == nil || l.LaunchedAt.After(prev.LaunchedAt) {
					lastDrill[k] = &LaunchRef{JobID: l.JobID, Kind: l.Kind, LaunchedAt: *l.LaunchedAt, TimeToLaunchSeconds: *l.TimeToLaunchSeconds}
				}
			}
			if rec.Time.Before(sel.Range.From) {
				continue
			}
			s := servers[k]
			if s == nil {
				if _, gone := d.Deleted[k]; gone {
					continue
				}
				s = get(p.SourceServerID, rec.Region, rec.Account)
				s.Hostname = names[k]
				if list := obs[k]; len(list) > 0 {
					s.Replication = replication(list, sel.Range.From, sel.Range.To)
				}
			}
			s.Launches = append(s.Launches, l)
		}
	}

	// Snapshots of the period, per server.
	snaps := map[string][]archive.Record{}
	for _, rec := range d.Snapshots {
		k := serverKey(snapshotServer(rec.Data), rec.Region, rec.Account)
		snaps[k] = append(snaps[k], rec)
	}

	rep.Summary.ByResult = map[string]int{}
	var slow []LaunchRef
	for _, k := range order {
		s := servers[k]
		ref := ServerRef{SourceServerID: s.SourceServerID, Hostname: s.Hostname}
		slices.SortStableFunc(s.Launches, func(a, b Launch) int { return a.JobStart.Compare(b.JobStart) })
		s.Snapshots = snapshotGaps(snaps[k])
		if s.Replication.States == nil {
			s.Replication = replication(nil, sel.Range.From, sel.Range.To)
		}
		if ld := lastDrill[k]; ld != nil {
			ld.ServerRef = ref
			s.LastDrill = ld
			days := int(sel.Range.To.Sub(ld.LaunchedAt) / (24 * time.Hour))
			s.DaysSinceDrill = &days
		}
		drilled := false
		for _, l := range s.Launches {
			rep.Summary.Launches++
			rep.Summary.ByResult[l.Result]++
			if l.Result != ResultLaunched {
				continue
			}
			drilled = drilled || l.Kind == KindDrill
			s.LastTimeToLaunch = &Measure{JobID: l.JobID, At: *l.LaunchedAt, Seconds: *l.TimeToLaunchSeconds}
			slow = append(slow, LaunchRef{ServerRef: ref, JobID: l.JobID, Kind: l.Kind, LaunchedAt: *l.LaunchedAt, TimeToLaunchSeconds: *l.TimeToLaunchSeconds})
			if l.RecoveryPointSeconds != nil {
				s.LastRecoveryPoint = &Measure{JobID: l.JobID, At: *l.SnapshotAt, Seconds: *l.RecoveryPointSeconds}
			}
		}
		s.Failures = failureGroups(ref, s.Launches)
		rep.Summary.Protected++
		if drilled {
			rep.Summary.Drilled++
		} else {
			rep.Summary.NotDrilled = append(rep.Summary.NotDrilled, ref)
			if s.LastDrill == nil {
				rep.Summary.NeverDrilled = append(rep.Summary.NeverDrilled, ref)
			}
		}
		rep.Servers = append(rep.Servers, *s)
	}
	slices.SortStableFunc(rep.Servers, func(a, b Server) int {
		return cmp.Or(cmp.Compare(a.Hostname, b.Hostname), cmp.Compare(a.SourceServerID, b.SourceServerID),
			cmp.Compare(a.Region, b.Region), cmp.Compare(a.Account, b.Account))
	})
	byRef := func(a, b ServerRef) int {
		return cmp.Or(cmp.Compare(a.Hostname, b.Hostname), cmp.Compare(a.SourceServerID, b.SourceServerID))
	}
	slices.SortFunc(rep.Summary.NotDrilled, byRef)
	slices.SortFunc(rep.Summary.NeverDrilled, byRef)
	if rep.Summary.Protected > 0 {
		rep.Summary.Coverage = float64(rep.Summary.Drilled) / float64(rep.Summary.Protected)
	}
	ended := rep.Summary.Launches - rep.Summary.ByResult[ResultPending]
	if ended > 0 {
		rep.Summary.SuccessRate = float64(rep.Summary.ByResult[ResultLaunched]) / float64(ended)
	}
	slices.SortStableFunc(slow, func(a, b LaunchRef) int {
		return cmp.Or(cmp.Compare(b.TimeToLaunchSeconds, a.TimeToLaunchSeconds), cmp.Compare(a.JobID, b.JobID))
	})
	rep.Summary.Slowest = slow[:min(len(slow), 5)]
	rep.Summary.Failures = mergeGroups(rep.Servers)
	if rep.Servers == nil {
		rep.Servers = []Server{}
	}
	for _, p := range []*[]ServerRef{&rep.Summary.NotDrilled, &rep.Summary.NeverDrilled} {
		if *p == nil {
			*p = []ServerRef{}
		}
	}
	if rep.Summary.Slowest == nil {
		rep.Summary.Slowest = []LaunchRef{}
	}
	return rep
}

// logItem is what a report reads of a job log item.
type logItem struct {
	Event     string `json:"event"`
	EventData struct {
		SourceServerID       string `json:"sourceServerID"`
		RawError             string `json:"rawError"`
		ConversionProperties struct {
			DataTimestamp string `json:"dataTimestamp"`
		} `json:"conversionProperties"`
	} `json:"eventData"`
}

// parsedItem is a log item read once for every server of its job.
type parsedItem struct {
	logItem
	at time.Time
}

// parseLog reads the items of a job's log that a report measures by (see
// measured), scanning their JSON rather than decoding it whole: a large
// period holds a million of them.
func parseLog(items []archive.Record) []parsedItem {
	out := make([]parsedItem, 0, len(items))
	for _, it := range items {
		var li parsedItem
		var data []byte
		jsonscan.Members(it.Data, func(name, v []byte) bool {
			switch string(name) {
			case `"event"`:
				li.Event = jsonString(v)
			case `"eventData"`:
				data = v
			}
			return true
		})
		if !measured(li.Event) {
			continue
		}
		jsonscan.Members(data, func(name, v []byte) bool {
			switch string(name) {
			case `"sourceServerID"`:
				li.EventData.SourceServerID = jsonString(v)
			case `"rawError"`:
				li.EventData.RawError = jsonString(v)
			case `"conversionProperties"`:
				jsonscan.Members(v, func(name, v []byte) bool {
					if string(name) == `"dataTimestamp"` {
						li.EventData.ConversionProperties.DataTimestamp = jsonString(v)
					}
					return true
				})
			}
			return true
		})
		li.at = it.Time.UTC()
		out = append(out, li)
	}
	return out
}

// measured says whether a report reads log items of event.
func measured(event string) bool {
	switch event {
	case evJobStart, evJobCancel, evServerSkipped, evConversionEnd, evLaunchStart:
		return true
	}
	return failing(event)
}

// jsonString returns the string a JSON value spells, or "" for another
// kind of value.
func jsonString(v []byte) string {
	if len(v) < 2 || v[0] != '"' {
		return ""
	}
	return jsonscan.MemberName(v)
}

// launchOf measures server p's part in job rec (j), from its log items.
func launchOf(rec archive.Record, j jobData, p participant, items []parsedItem, inst map[string]time.Time) Launch {
	l := Launch{
		JobID: j.JobID, Kind: kindOf(j.InitiatedBy), InitiatedBy: j.InitiatedBy,
		JobStart: rec.Time.UTC(), JobStartFrom: "creationDateTime", LaunchStatus: p.LaunchStatus,
	}
	if l.JobID == "" {
		l.JobID = rec.ID
	}
	var launched, cancelled bool
	var launchedAt time.Time
	for _, li := range items {
		at := li.at
		switch {
		case li.Event == evJobStart && l.JobStartFrom != evJobStart:
			l.JobStart, l.JobStartFrom = at, evJobStart
		case li.Event == evJobCancel:
			cancelled = true
		}
		if li.EventData.SourceServerID != p.SourceServerID {
			continue
		}
		switch {
		case l.FailedStep != "":
		case li.Event == evServerSkipped || failing(li.Event):
			l.FailedStep, l.RawError = li.Event, li.EventData.RawError
			l.FailedAt = &at
			l.ErrorCode = ErrorCode(li.EventData.RawError)
		case li.Event == evLaunchStart && !launched:
			launched, launchedAt = true, at
		case li.Event == evConversionEnd && li.EventData.ConversionProperties.DataTimestamp != "":
			if t, err := awstime.Parse(li.EventData.ConversionProperties.DataTimestamp); err == nil {
				t = t.UTC()
				l.SnapshotAt, l.SnapshotFrom = &t, "CONVERSION_END conversionProperties.dataTimestamp"
			}
		}
	}
	switch {
	case l.FailedStep == evServerSkipped:
		l.Result = ResultSkipped
	case l.FailedStep != "":
		l.Result = ResultFailed
	case launched && launchedStatus(p.LaunchStatus):
		l.Result = ResultLaunched
		l.LaunchedAt = &launchedAt
		ttl := launchedAt.Sub(l.JobStart).Seconds()
		l.TimeToLaunchSeconds = &ttl
	case cancelled:
		l.Result = ResultCancelled
	case p.LaunchStatus == "FAILED":
		l.Result = ResultFailed
	default:
		l.Result = ResultPending
	}
	if l.Result != ResultLaunched {
		l.SnapshotAt, l.SnapshotFrom = nil, ""
		return l
	}
	if l.SnapshotAt == nil {
		if t, ok := inst[l.JobID+"\x00"+p.SourceServerID]; ok {
			l.SnapshotAt, l.SnapshotFrom = &t, "recovery instance pointInTimeSnapshotDateTime"
		}
	}
	if l.SnapshotAt != nil {
		rp := l.JobStart.Sub(*l.SnapshotAt).Seconds()
		l.RecoveryPointSeconds = &rp
	}
	return l
}

// instanceSnapshots maps a job and source server to the point-in-time
// snapshot its recovery instance was launched from.
func instanceSnapshots(recs []archive.Record) map[string]time.Time {
	out := map[string]time.Time{}
	for _, rec := range recs {
		var in struct {
			JobID          string `json:"jobID"`
			SourceServerID string `json:"sourceServerID"`
			PIT            string `json:"pointInTimeSnapshotDateTime"`
		}
		if json.Unmarshal(rec.Data, &in) != nil || in.JobID == "" || in.PIT == "" {
			continue
		}
		if t, err := awstime.Parse(in.PIT); err == nil {
			out[in.JobID+"\x00"+in.SourceServerID] = t.UTC()
		}
	}
	return out
}

// hostname reads a source server's hostname.
func hostname(raw []byte) string {
	var s struct {
		SourceProperties struct {
			IdentificationHints struct {
				Hostname string `json:"hostname"`
				Fqdn     string `json:"fqdn"`
			} `json:"identificationHints"`
		} `json:"sourceProperties"`
	}
	json.Unmarshal(raw, &s)
	return cmp.Or(s.SourceProperties.IdentificationHints.Hostname, s.SourceProperties.IdentificationHints.Fqdn)
}

// LagNone is the lag band of an observation without a lag.
const LagNone = "none"

// replication sums the time per state of a server's observations (oldest
// first) within period.
func replication(list []archive.Record, from, to time.Time) Replication {
	rep := Replication{Observations: len(list), States: map[string]float64{}, LagBands: map[string]float64{}, Spans: []Span{}}
	covered := 0.0
	for i, rec := range list {
		start, end := rec.Time, rec.LastSeen
		if i+1 < len(list) {
			end = list[i+1].Time
		}
		if end.Before(start) {
			end = start
		}
		start, end = maxTime(start, from), minTime(end, to)
		if !end.After(start) {
			continue
		}
		var o struct {
			Info struct {
				State string `json:"dataReplicationState"`
				Lag   string `json:"lagDuration"`
			} `json:"dataReplicationInfo"`
		}
		json.Unmarshal(rec.Data, &o)
		band := LagNone
		if o.Info.Lag != "" {
			band = kinds.LagBand(o.Info.Lag)
		}
		sec := end.Sub(start).Seconds()
		rep.States[o.Info.State] += sec
		rep.LagBands[band] += sec
		if o.Info.State != "CONTINUOUS" {
			rep.OutsideContinuousSeconds += sec
		}
		covered += sec
		rep.Spans = append(rep.Spans, Span{From: start.UTC(), To: end.UTC(), State: o.Info.State, LagBand: band})
	}
	rep.UnobservedSeconds = to.Sub(from).Seconds() - covered
	return rep
}

// snapshotGaps finds the largest gap between consecutive snapshots.
func snapshotGaps(recs []archive.Record) Snapshots {
	slices.SortStableFunc(recs, func(a, b archive.Record) int { return a.Time.Compare(b.Time) })
	out := Snapshots{Count: len(recs), Times: []time.Time{}}
	for i, rec := range recs {
		out.Times = append(out.Times, rec.Time.UTC())
		if i == 0 {
			continue
		}
		gap := rec.Time.Sub(recs[i-1].Time).Seconds()
		if out.LargestGapSeconds == nil || gap > *out.LargestGapSeconds {
			from, to := recs[i-1].Time.UTC(), rec.Time.UTC()
			out.LargestGapSeconds = &gap
			out.GapFromID, out.GapFrom, out.GapToID, out.GapTo = recs[i-1].ID, &from, rec.ID, &to
		}
	}
	return out
}

// failureGroups groups a server's failed and skipped launches (oldest
// first) by step and error code, and finds the later launch that fixed
// each.
func failureGroups(ref ServerRef, launches []Launch) []FailureGroup {
	out := []FailureGroup{}
	for i, l := range launches {
		if l.Result != ResultFailed && l.Result != ResultSkipped {
			continue
		}
		f := FailureRef{ServerRef: ref, JobID: l.JobID, At: l.JobStart}
		if l.FailedAt != nil {
			f.At = *l.FailedAt
		}
		for _, later := range launches[i+1:] {
			if later.Result == ResultLaunched {
				f.FixedBy = later.JobID
				break
			}
		}
		gi := slices.IndexFunc(out, func(g FailureGroup) bool { return g.Step == l.FailedStep && g.ErrorCode == l.ErrorCode })
		if gi < 0 {
			out = append(out, FailureGroup{Step: l.FailedStep, ErrorCode: l.ErrorCode, RawError: l.RawError})
			gi = len(out) - 1
		}
		g := &out[gi]
		g.Count++
		g.Failures = append(g.Failures, f)
	}
	for i := range out {
		out[i].Fixed = !slices.ContainsFunc(out[i].Failures, func(f FailureRef) bool { return f.FixedBy == "" })
	}
	return out
}

// mergeGroups groups the failures of every server by cause, the most
// frequent first.
func mergeGroups(servers []Server) []FailureGroup {
	out := []FailureGroup{}
	for _, s := range servers {
		for _, g := range s.Failures {
			gi := slices.IndexFunc(out, func(o FailureGroup) bool { return o.Step == g.Step && o.ErrorCode == g.ErrorCode })
			if gi < 0 {
				out = append(out, FailureGroup{Step: g.Step, ErrorCode: g.ErrorCode, RawError: g.RawError, Fixed: true})
				gi = len(out) - 1
			}
			o := &out[gi]
			o.Count += g.Count
			o.Failures = append(o.Failures, g.Failures...)
			o.Fixed = o.Fixed && g.Fixed
		}
	}
	slices.SortStableFunc(out, func(a, b FailureGroup) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Step, b.Step), cmp.Compare(a.ErrorCode, b.ErrorCode))
	})
	return out
}

// codeForms are the forms an AWS error code takes in a rawError, in the
// order ErrorCode tries them, compiled when first needed.
var codeForms = sync.OnceValue(func() []*regexp.Regexp {
	return []*regexp.Regexp{
		regexp.MustCompile(`\(([A-Za-z0-9.]+)\) when calling`),
		regexp.MustCompile(`<Code>([A-Za-z0-9.]+)</Code>`),
		regexp.MustCompile(`(?:^|[\s:])([A-Z][a-z0-9]*[A-Z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)?):\s`),
	}
})

// ErrorCode reads the AWS error code out of a rawError: "(Code) when
// calling ...", "<Code>Code</Code>", or a "CamelCaseCode: " prefix. It
// returns "" when there is none.
func ErrorCode(raw string) string {
	for _, re := range codeForms() {
		if m := re.FindStringSubmatch(raw); m != nil {
			return m[1]
		}
	}
	return ""
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
