package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Operation names, as used by Faults, Calls and the AWS API.
const (
	// DRS, rest-json.
	OpDescribeJobs          = "DescribeJobs"
	OpDescribeJobLogItems   = "DescribeJobLogItems"
	OpDescribeSourceServers = "DescribeSourceServers"
	OpListStagingAccounts   = "ListStagingAccounts"
	// OpDescribeRecoverySnapshots and OpDescribeRecoveryInstances serve
	// the recovery snapshots of a source server and the recovery instances.
	OpDescribeRecoverySnapshots = "DescribeRecoverySnapshots"
	OpDescribeRecoveryInstances = "DescribeRecoveryInstances"
	// OpGetLaunchConfiguration and OpGetReplicationConfiguration serve the
	// launch and replication configuration of a source server, and
	// OpDescribeSourceNetworks the source networks.
	OpGetLaunchConfiguration      = "GetLaunchConfiguration"
	OpGetReplicationConfiguration = "GetReplicationConfiguration"
	OpDescribeSourceNetworks      = "DescribeSourceNetworks"

	// Snowball, JSON 1.1.
	OpListClusters    = "ListClusters"
	OpListClusterJobs = "ListClusterJobs"

	// Server Migration Service, JSON 1.1.
	OpGetReplicationJobs = "GetReplicationJobs"

	// STS, query protocol.
	OpGetCallerIdentity = "GetCallerIdentity"
)

// loopback is the only address the server ever listens on.
const loopback = "127.0.0.1:0"

// Answers longer than settleThreshold bytes wait settleDelay after their
// request was read. The AWS SDK for Go closes a request body as soon as the
// response headers arrive; when a server answers before Go's HTTP transport
// has made its final read of that body, the transport drops the connection
// and a client still reading a long answer fails with "use of closed network
// connection". A real endpoint is never that fast. Shorter answers are safe:
// the client reads them whole together with the headers.
const (
	settleDelay     = 2 * time.Millisecond
	settleThreshold = 3000
)

// Server serves the synthetic history of one account in one region over
// HTTP: DRS, Snowball, SMS and STS GetCallerIdentity. It is safe for
// concurrent use: requests, Advance, SetFaults and the ground-truth
// accessors may run at the same time. Several Servers can share one
// listener through a Mux.
//
// Answers longer than a few kilobytes are held back two milliseconds (plus
// any Faults.Latency). Without that pause a loopback answer can arrive
// before Go's HTTP transport has finished sending the request, and the AWS
// SDK for Go then loses the connection while still reading the answer.
type Server struct {
	mu sync.RWMutex // guards h
	h  *history

	faultMu  sync.Mutex // guards faults, faultRNG and expired
	faults   Faults
	faultRNG *rand.Rand
	expired  map[string]map[string]bool // tokens Faults.ExpireTokens refused, by operation

	countMu  sync.Mutex // guards the counters
	calls    map[string]int
	jobCalls map[string]int
	requests uint64
	// snapQueries are the DescribeRecoverySnapshots calls received.
	snapQueries []SnapshotQuery

	ep endpoint
}

// New builds the history described by opts. The server does not listen
// until Start is called; Handler serves it without a listener.
func New(opts Options) *Server {
	o := opts.resolved()
	return &Server{
		h:        newHistory(o),
		faultRNG: rand.New(rand.NewPCG(uint64(o.Seed), faultStream)),
		expired:  map[string]map[string]bool{},
		calls:    map[string]int{},
		jobCalls: map[string]int{},
	}
}

// Start listens on an ephemeral port of 127.0.0.1 and serves in the
// background until Close.
func (s *Server) Start() error {
	return s.ep.start(s.Handler())
}

// URL returns the base URL the server listens on, such as
// "http://127.0.0.1:41234", or "" when it is not listening.
func (s *Server) URL() string {
	return s.ep.URL()
}

// Close stops listening and drops open connections. It is safe to call more
// than once.
func (s *Server) Close() {
	s.ep.close()
}

// Handler returns the HTTP handler that serves the API, for mounting in an
// httptest server or a mux.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(s.serveHTTP)
}

// SetFaults replaces the faults injected into later answers, and forgets
// which tokens Faults.ExpireTokens refused.
func (s *Server) SetFaults(f Faults) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = f.clone()
	s.expired = map[string]map[string]bool{}
}

// Advance moves the history on by d. Every PENDING or STARTED DRS job
// completes, at least two new jobs appear (the newest still running), a few
// source servers change replication state and every server reports fresh
// progress. About half of the Snowball jobs not yet Complete or Cancelled
// move on to their next JobState, at least one of them. About two in three
// of the SMS replication jobs that can change move on by one step, at least
// one of them: a pending job starts its first run, a running replication
// run completes (or fails, and three failures in a row pause the job), an
// idle job starts its next run and a paused job resumes. About one in four
// launch configurations (launch disposition, right-sizing method, private IP
// or tag copying, post-launch actions) and one in four replication
// configurations (bandwidth throttling, point-in-time policy, replication
// server instance type, staging area tags and dedicated replication server)
// change one setting, and about one in three source networks move on to
// their next replication status: at least one of each kind changes and, of
// two or more, at least one stays as it was. The result is
// deterministic. A non-positive d does nothing; a positive d shorter than a
// second moves the history on by one second, the least that leaves room for
// everything that has to happen.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.advance(d)
}

// Now returns the current end of the history: Options.Now moved on by every
// Advance so far.
func (s *Server) Now() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.h.now
}

// Calls returns how many calls of operation op were served, successful or
// not, since New or the last ResetCounts.
func (s *Server) Calls(op string) int {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	return s.calls[op]
}

// JobLogCalls returns how many DescribeJobLogItems calls named jobID,
// successful or not, since New or the last ResetCounts.
func (s *Server) JobLogCalls(jobID string) int {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	return s.jobCalls[jobID]
}

// ResetCounts sets every call counter back to zero.
func (s *Server) ResetCounts() {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	s.calls = map[string]int{}
	s.jobCalls = map[string]int{}
	s.snapQueries = nil
}

// Jobs returns the served bytes of every current job, latest first: what a
// complete archive must hold.
func (s *Server) Jobs() []json.RawMessage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]json.RawMessage, len(s.h.jobs))
	for i, j := range s.h.jobs {
		out[i] = cloneRaw(j.raw)
	}
	return out
}

// JobIDs returns the IDs of every current job, latest first.
func (s *Server) JobIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, len(s.h.jobs))
	for i, j := range s.h.jobs {
		out[i] = j.id
	}
	return out
}

// JobLog returns the served bytes of the log items of jobID so far, in
// chronological order, or nil for an unknown job.
func (s *Server) JobLog(jobID string) []json.RawMessage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	j, ok := s.h.jobByID[jobID]
	if !ok {
		return nil
	}
	out := make([]json.RawMessage, len(j.log))
	for i, it := range j.log {
		out[i] = cloneRaw(it)
	}
	return out
}

// SourceServers returns the served bytes of every source server, in the
// order DescribeSourceServers lists them.
func (s *Server) SourceServers() []json.RawMessage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]json.RawMessage, len(s.h.servers))
	for i, sv := range s.h.servers {
		out[i] = cloneRaw(sv.raw)
	}
	return out
}

// StagingAccounts returns the staging account IDs ListStagingAccounts
// serves.
func (s *Server) StagingAccounts() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.h.opts.StagingAccounts)
}

// TotalLogItems returns the number of log items of all current jobs.
func (s *Server) TotalLogItems() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.h.totalLog
}

// Region returns the region the history belongs to.
func (s *Server) Region() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.h.opts.Region
}

// Account returns the account the history belongs to, which
// GetCallerIdentity answers with.
func (s *Server) Account() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.h.opts.Account
}

// Clusters returns the served bytes of every Snowball cluster list entry,
// in the order ListClusters lists them: oldest first.
func (s *Server) Clusters() []json.RawMessage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]json.RawMessage, len(s.h.snow.clusters))
	for i, c := range s.h.snow.clusters {
		out[i] = cloneRaw(c.raw)
	}
	return out
}

// ClusterIDs returns the IDs of every Snowball cluster, oldest first.
func (s *Server) ClusterIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.h.snow.clusterIDs()
}

// ClusterJobs returns the served bytes of the job list entries of the
// Snowball cluster clusterID, in the order ListClusterJobs lists them, or
// nil for an unknown cluster.
func (s *Server) ClusterJobs(clusterID string) []json.RawMessage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.h.snow.byID[clusterID]
	if !ok {
		return nil
	}
	out := make([]json.RawMessage, len(c.jobs))
	for i, j := range c.jobs {
		out[i] = cloneRaw(j.raw)
	}
	return out
}

// ReplicationJobs returns the served bytes of every SMS replication job,
// runs included, in the order GetReplicationJobs lists them.
func (s *Server) ReplicationJobs() []json.RawMessage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]json.RawMessage, len(s.h.sms.jobs))
	for i, j := range s.h.sms.jobs {
		out[i] = cloneRaw(j.raw)
	}
	return out
}

// apiError is an error answer, written in the form of the protocol of the
// call it answers.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// validationError builds a 400 ValidationException.
func validationError(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "ValidationException", message: fmt.Sprintf(format, args...)}
}

// malformedBody is what an answer looks like when a proxy in the way
// replaced it.
const malformedBody = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"

// routes maps method and path to a rest-json operation.
var routes = map[[2]string]string{
	{http.MethodPost, "/DescribeJobs"}:          OpDescribeJobs,
	{http.MethodPost, "/DescribeJobLogItems"}:   OpDescribeJobLogItems,
	{http.MethodPost, "/DescribeSourceServers"}: OpDescribeSourceServers,
	{http.MethodGet, "/ListStagingAccounts"}:    OpListStagingAccounts,

	{http.MethodPost, "/DescribeRecoverySnapshots"}: OpDescribeRecoverySnapshots,
	{http.MethodPost, "/DescribeRecoveryInstances"}: OpDescribeRecoveryInstances,

	{http.MethodPost, "/GetLaunchConfiguration"}:      OpGetLaunchConfiguration,
	{http.MethodPost, "/GetReplicationConfiguration"}: OpGetReplicationConfiguration,
	{http.MethodPost, "/DescribeSourceNetworks"}:      OpDescribeSourceNetworks,
}

// serveHTTP answers one API call: it counts it, applies the faults and
// dispatches it to the operation.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := s.nextRequestID()
	c, rerr := route(r)
	if rerr != nil {
		writeError(w, reqID, c.proto, rerr)
		return
	}
	perr := c.read(r)
	s.count(c.op, c.req.JobID)
	if c.op == OpDescribeRecoverySnapshots {
		s.countMu.Lock()
		q := SnapshotQuery{SourceServerID: c.req.SourceServerID}
		if c.req.Filters != nil && c.req.Filters.FromDateTime != nil {
			q.FromDateTime = *c.req.Filters.FromDateTime
		}
		s.snapQueries = append(s.snapQueries, q)
		s.countMu.Unlock()
	}

	s.faultMu.Lock()
	f := s.faults
	draw := 1.0
	if f.ThrottleRate > 0 || f.ServerErrorRate > 0 {
		draw = s.faultRNG.Float64()
	}
	expire := false
	if draw >= f.ThrottleRate+f.ServerErrorRate && perr == nil && !f.AccessDenied[c.op] && f.Reject[c.op] == "" && !(f.UninitializedAccount && c.proto == restJSON) {
		expire = s.expire(c)
	}
	s.faultMu.Unlock()
	c.req.cycle = f.RepeatTokens[c.op]

	var (
		body  []byte
		aerr  *apiError
		ctype = contentType(c.proto)
	)
	switch {
	case draw < f.ThrottleRate:
		aerr = throttled(c.proto)
	case draw < f.ThrottleRate+f.ServerErrorRate:
		aerr = internalError(c.op, c.proto)
	case f.AccessDenied[c.op]:
		aerr = accessDenied(c.op, c.proto, s.opts())
	case f.Reject[c.op] != "":
		aerr = validationError("%s", f.Reject[c.op])
	case f.UninitializedAccount && c.proto == restJSON:
		aerr = uninitialized(s.opts())
	case perr != nil:
		aerr = perr
	case expire:
		aerr = expiredToken(c.op, c.proto)
	default:
		body, aerr = s.answer(c, reqID)
	}
	if aerr == nil {
		switch {
		case f.Malformed[c.op]:
			body, ctype = []byte(malformedBody), "text/html"
		case f.Truncate[c.op]:
			body = body[:len(body)/2]
		case f.WrongTypes[c.op] != 0:
			body = wrongTypes(c.op, body, f.WrongTypes[c.op])
		}
	}

	wait := f.Latency
	if len(body) > settleThreshold {
		wait += settleDelay
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if aerr != nil {
		writeError(w, reqID, c.proto, aerr)
		return
	}
	writeBody(w, reqID, http.StatusOK, ctype, body)
}

// opts returns the options the history was built with.
func (s *Server) opts() Options {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.h.opts
}

// count records one call of op, naming jobID when it is a log call.
func (s *Server) count(op, jobID string) {
	s.countMu.Lock()
	defer s.countMu.Unlock()
	s.calls[op]++
	if op == OpDescribeJobLogItems && jobID != "" {
		s.jobCalls[jobID]++
	}
}

// nextRequestID returns a request ID in the UUID form AWS uses.
func (s *Server) nextRequestID() string {
	s.countMu.Lock()
	s.requests++
	n := s.requests
	s.countMu.Unlock()
	return requestID(strconv.FormatUint(n, 10))
}

// requestID derives a request ID from seed, in the UUID form AWS uses.
func requestID(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}

// answer serves a routed call from the history.
func (s *Server) answer(c call, reqID string) ([]byte, *apiError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch c.op {
	case OpDescribeJobs:
		return s.h.describeJobs(c.req)
	case OpDescribeJobLogItems:
		return s.h.describeJobLogItems(c.req)
	case OpDescribeSourceServers:
		return s.h.describeSourceServers(c.req)
	case OpListStagingAccounts:
		return s.h.listStagingAccounts(c.req)
	case OpDescribeRecoverySnapshots:
		return s.h.describeRecoverySnapshots(c.req)
	case OpDescribeRecoveryInstances:
		return s.h.describeRecoveryInstances(c.req)
	case OpGetLaunchConfiguration:
		return s.h.getLaunchConfiguration(c.req)
	case OpGetReplicationConfiguration:
		return s.h.getReplicationConfiguration(c.req)
	case OpDescribeSourceNetworks:
		return s.h.describeSourceNetworks(c.req)
	case OpListClusters:
		return s.h.snow.listClusters(c.body, c.req.cycle)
	case OpListClusterJobs:
		return s.h.snow.listClusterJobs(c.body, c.req.cycle)
	case OpGetReplicationJobs:
		return s.h.sms.getReplicationJobs(c.body, c.req.cycle)
	default:
		return getCallerIdentity(s.h.opts, reqID), nil
	}
}

// writeBody writes an answer with an exact Content-Length.
func writeBody(w http.ResponseWriter, reqID string, status int, contentType string, body []byte) {
	hd := w.Header()
	hd.Set("Content-Type", contentType)
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// endpoint is a loopback listener serving one handler.
type endpoint struct {
	mu   sync.Mutex // guards the listener state
	hs   *http.Server
	done chan struct{}
	url  string
}

// start listens on an ephemeral port of 127.0.0.1 and serves h in the
// background until close.
func (e *endpoint) start(h http.Handler) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.hs != nil {
		return errors.New("emulator: start: already listening on " + e.url)
	}
	ln, err := net.Listen("tcp", loopback)
	if err != nil {
		return fmt.Errorf("emulator: start: listen on %s: %w", loopback, err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = hs.Serve(ln) // always http.ErrServerClosed after close
	}()
	e.hs, e.done, e.url = hs, done, "http://"+ln.Addr().String()
	return nil
}

// URL returns the base URL e listens on, or "" when it is not listening.
func (e *endpoint) URL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.url
}

// close stops listening and drops open connections. It is safe to call
// more than once.
func (e *endpoint) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.hs == nil {
		return
	}
	_ = e.hs.Close()
	<-e.done
	e.hs, e.done, e.url = nil, nil, ""
}
