package emulator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// Snowball page sizes: ListLimit allows up to 100 entries.
const (
	snowDefaultPage = 50
	snowMaxPage     = 100
)

// snowStates are the JobStates a Snowball job passes through, in order.
var snowStates = []string{
	"New", "PreparingAppliance", "PreparingShipment", "InTransitToCustomer",
	"WithCustomer", "InTransitToAWS", "WithAWS", "InProgress", "Complete",
}

// Stages of snowStates the history refers to.
const (
	stageNew          = 0
	stageInTransit    = 3
	stageWithCustomer = 4
	stageInProgress   = 7
	stageComplete     = 8
)

// snowCancelled is the JobState of a cancelled job.
const snowCancelled = "Cancelled"

// ClusterStates of a Snowball cluster.
const (
	clusterAwaitingQuorum = "AwaitingQuorum"
	clusterPending        = "Pending"
	clusterInUse          = "InUse"
	clusterComplete       = "Complete"
	clusterCancelled      = "Cancelled"
)

// snowJob is the mutable state of one job (node) of a cluster.
type snowJob struct {
	id, description string
	stage           int // index into snowStates
	cancelled       bool
	created         epochStamp
	extra           []member
	raw             json.RawMessage
}

// state is the JobState of j.
func (j *snowJob) state() string {
	if j.cancelled {
		return snowCancelled
	}
	return snowStates[j.stage]
}

// movable reports whether j has a next JobState.
func (j *snowJob) movable() bool { return !j.cancelled && j.stage < stageComplete }

// snowCluster is the mutable state of one Snowball cluster.
type snowCluster struct {
	id, description, jobType, snowballType string
	created                                epochStamp
	jobs                                   []*snowJob // in creation order
	extra                                  []member
	raw                                    json.RawMessage
}

// state derives the ClusterState from the states of the cluster's jobs.
func (c *snowCluster) state() string {
	if len(c.jobs) == 0 {
		return clusterAwaitingQuorum
	}
	cancelled, complete, inUse := 0, 0, false
	for _, j := range c.jobs {
		switch {
		case j.cancelled:
			cancelled++
		case j.stage == stageComplete:
			complete++
		case j.stage >= stageWithCustomer:
			inUse = true
		}
	}
	switch {
	case cancelled == len(c.jobs):
		return clusterCancelled
	case cancelled+complete == len(c.jobs):
		return clusterComplete
	case inUse:
		return clusterInUse
	default:
		return clusterPending
	}
}

// snowHistory is the synthetic Snowball state of the account: clusters
// oldest first, each with its jobs.
type snowHistory struct {
	rng      *rand.Rand
	clusters []*snowCluster
	byID     map[string]*snowCluster
	ids      map[string]bool
}

// snowDescriptions are cluster descriptions and the names their nodes are
// described by. Some carry characters a careless client escapes.
var snowDescriptions = [][2]string{
	{"Environmental Data Cluster-01", "EnvData01"},
	{"Seismic survey <north field> & core samples", "seismic"},
	{"MyCluster", "MyCluster"},
	{"Edge compute – vessel Aurora", "aurora"},
	{"Factory floor analytics 2026", "factory"},
	{"Film dailies ingest \"Project Lark\"", "lark"},
}

// clusterSnowballTypes are the device types a cluster is built from.
var clusterSnowballTypes = []string{"EDGE", "EDGE_C", "EDGE_CG", "EDGE_S"}

// newSnowHistory generates the Snowball clusters described by o, which
// must be resolved. The oldest of three or more clusters has completed,
// the second of four or more was cancelled, the newest is still being
// prepared and the others are out with the customer or on their way.
func newSnowHistory(o Options) *snowHistory {
	r := rand.New(rand.NewPCG(uint64(o.Seed), snowballStream))
	sh := &snowHistory{rng: r, byID: map[string]*snowCluster{}, ids: map[string]bool{}}
	n := o.SnowballClusters
	lo := o.Now.Add(-historySpan)
	prev := lo
	for i := range n {
		// Clusters are spread over the span, the newest within three days.
		at := lo.Add(time.Duration(float64(historySpan) * (float64(i) + r.Float64()) / float64(n)))
		if i == n-1 {
			at = o.Now.Add(-between(r, 6*time.Hour, 72*time.Hour))
		}
		if !at.After(prev) {
			at = prev.Add(time.Minute)
		}
		prev = at

		d := snowDescriptions[r.IntN(len(snowDescriptions))]
		c := &snowCluster{
			id:           "CID" + sh.uniqueUUID(),
			description:  d[0],
			jobType:      "LOCAL_USE",
			snowballType: clusterSnowballTypes[r.IntN(len(clusterSnowballTypes))],
			created:      renderEpoch(at),
		}
		if r.IntN(4) == 0 {
			c.jobType = "IMPORT"
		}
		var base int
		cancelled := false
		switch {
		case i == n-1:
			base = stageNew + r.IntN(3)
		case n >= 3 && i == 0:
			base = stageComplete
		case n >= 4 && i == 1:
			base, cancelled = stageNew+r.IntN(3), true
		default:
			base = stageInTransit + r.IntN(stageInProgress-stageInTransit+1)
		}
		jat := at
		for k := range o.SnowballJobsPerCluster {
			// The first node is created with the cluster, each other one
			// within a second of the one before.
			if k > 0 {
				jat = jat.Add(between(r, time.Millisecond, time.Second))
			}
			j := &snowJob{
				id:          "JID" + sh.uniqueUUID(),
				description: fmt.Sprintf("%s-node-%03d", d[1], k+1),
				stage:       base,
				cancelled:   cancelled,
				created:     renderEpoch(jat),
			}
			// Nodes of a cluster on the move do not all move at once.
			if base > stageNew && base < stageComplete && r.IntN(3) == 0 {
				j.stage--
			}
			if !o.NoUnknownFields && ((i == 0 && k == 1) || r.IntN(5) == 0) {
				j.extra = [][]member{{unknownScale}, {unknownNotes}, {unknownFuture, unknownScale}}[r.IntN(3)]
			}
			c.jobs = append(c.jobs, j)
		}
		if !o.NoUnknownFields && (i == 0 || r.IntN(3) == 0) {
			c.extra = []member{unknownFuture}
		}
		sh.clusters = append(sh.clusters, c)
		sh.byID[c.id] = c
	}
	sh.render()
	return sh
}

// uniqueUUID returns a random UUID not handed out before.
func (sh *snowHistory) uniqueUUID() string {
	for {
		u := randUUID(sh.rng)
		if !sh.ids[u] {
			sh.ids[u] = true
			return u
		}
	}
}

// advance moves about half of the jobs that are not Complete or Cancelled
// on to their next JobState, and at least one when there is any. The
// window from old to now does not matter: the entries carry no time but
// their creation.
func (sh *snowHistory) advance(_, _ time.Time) {
	r := sh.rng
	var movable []*snowJob
	for _, c := range sh.clusters {
		for _, j := range c.jobs {
			if j.movable() {
				movable = append(movable, j)
			}
		}
	}
	if len(movable) == 0 {
		return
	}
	moved := 0
	for _, j := range movable {
		if r.IntN(2) == 0 {
			j.stage++
			moved++
		}
	}
	if moved == 0 {
		movable[r.IntN(len(movable))].stage++
	}
	sh.render()
}

// Wire shapes of Snowball list entries, in the member names the SDK reads.
type (
	clusterEntryWire struct {
		ClusterID    string      `json:"ClusterId"`
		ClusterState string      `json:"ClusterState"`
		CreationDate json.Number `json:"CreationDate"`
		Description  string      `json:"Description,omitempty"`
	}
	jobEntryWire struct {
		JobID        string      `json:"JobId"`
		JobState     string      `json:"JobState"`
		IsMaster     bool        `json:"IsMaster"`
		JobType      string      `json:"JobType"`
		SnowballType string      `json:"SnowballType"`
		CreationDate json.Number `json:"CreationDate"`
		Description  string      `json:"Description,omitempty"`
	}
)

// render re-renders the served bytes of every cluster and job.
func (sh *snowHistory) render() {
	for _, c := range sh.clusters {
		for _, j := range c.jobs {
			j.raw = withMembers(mustMarshal(jobEntryWire{
				JobID:        j.id,
				JobState:     j.state(),
				IsMaster:     false, // cluster nodes are never export main jobs
				JobType:      c.jobType,
				SnowballType: c.snowballType,
				CreationDate: json.Number(j.created.s),
				Description:  j.description,
			}), j.extra...)
		}
		c.raw = withMembers(mustMarshal(clusterEntryWire{
			ClusterID:    c.id,
			ClusterState: c.state(),
			CreationDate: json.Number(c.created.s),
			Description:  c.description,
		}), c.extra...)
	}
}

// snowInput is the union of the inputs of the served Snowball operations.
type snowInput struct {
	ClusterID  *string `json:"ClusterId"`
	MaxResults *int64  `json:"MaxResults"`
	NextToken  *string `json:"NextToken"`

	// cycle is Faults.RepeatTokens of the operation; see pageOf.
	cycle int
}

// snowPage picks a page of n entries in the Snowball error codes.
func snowPage(op, filterKey string, n int, in snowInput) (from, to int, next string, e *apiError) {
	from, to, next, perr := pageOf(op, filterKey, n, in.MaxResults, in.NextToken, snowDefaultPage, snowMaxPage, in.cycle)
	switch {
	case perr == nil:
		return from, to, next, nil
	case perr.token:
		return 0, 0, "", &apiError{status: http.StatusBadRequest, code: "InvalidNextTokenException", message: "The NextToken string was altered unexpectedly: " + perr.msg}
	default:
		return 0, 0, "", &apiError{status: http.StatusBadRequest, code: "ValidationException", message: perr.msg}
	}
}

// listClusters serves ListClusters: clusters oldest first.
func (sh *snowHistory) listClusters(body []byte, cycle int) ([]byte, *apiError) {
	in := snowInput{cycle: cycle}
	if aerr := decodeJSON11(body, &in); aerr != nil {
		return nil, aerr
	}
	lo, hi, next, aerr := snowPage(OpListClusters, "", len(sh.clusters), in)
	if aerr != nil {
		return nil, aerr
	}
	items := make([]json.RawMessage, 0, hi-lo)
	for _, c := range sh.clusters[lo:hi] {
		items = append(items, c.raw)
	}
	return envelopeWith("ClusterListEntries", items, "NextToken", next), nil
}

// listClusterJobs serves ListClusterJobs: one cluster's jobs in creation
// order.
func (sh *snowHistory) listClusterJobs(body []byte, cycle int) ([]byte, *apiError) {
	in := snowInput{cycle: cycle}
	if aerr := decodeJSON11(body, &in); aerr != nil {
		return nil, aerr
	}
	if in.ClusterID == nil || *in.ClusterID == "" {
		return nil, &apiError{status: http.StatusBadRequest, code: "ValidationException", message: "1 validation error detected: Value null at 'clusterId' failed to satisfy constraint: Member must not be null"}
	}
	c, ok := sh.byID[*in.ClusterID]
	if !ok {
		return nil, &apiError{status: http.StatusBadRequest, code: "InvalidResourceException", message: fmt.Sprintf("The cluster ID %s is not valid for this account.", *in.ClusterID)}
	}
	lo, hi, next, aerr := snowPage(OpListClusterJobs, "cluster="+c.id, len(c.jobs), in)
	if aerr != nil {
		return nil, aerr
	}
	items := make([]json.RawMessage, 0, hi-lo)
	for _, j := range c.jobs[lo:hi] {
		items = append(items, j.raw)
	}
	return envelopeWith("JobListEntries", items, "NextToken", next), nil
}

// clusterIDs lists the cluster IDs in the order ListClusters serves them.
func (sh *snowHistory) clusterIDs() []string {
	out := make([]string, len(sh.clusters))
	for i, c := range sh.clusters {
		out[i] = c.id
	}
	return out
}
