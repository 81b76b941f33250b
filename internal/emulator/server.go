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
	OpDescribeJobs          = "DescribeJobs"
	OpDescribeJobLogItems   = "DescribeJobLogItems"
	OpDescribeSourceServers = "DescribeSourceServers"
	OpListStagingAccounts   = "ListStagingAccounts"
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

// Server serves a synthetic DRS history over HTTP. It is safe for
// concurrent use: requests, Advance, SetFaults and the ground-truth
// accessors may run at the same time.
//
// Answers longer than a few kilobytes are held back two milliseconds (plus
// any Faults.Latency). Without that pause a loopback answer can arrive
// before Go's HTTP transport has finished sending the request, and the AWS
// SDK for Go then loses the connection while still reading the answer.
type Server struct {
	mu sync.RWMutex // guards h
	h  *history

	faultMu  sync.Mutex // guards faults and faultRNG
	faults   Faults
	faultRNG *rand.Rand

	countMu  sync.Mutex // guards the counters
	calls    map[string]int
	jobCalls map[string]int
	requests uint64

	netMu sync.Mutex // guards the listener state
	hs    *http.Server
	done  chan struct{}
	url   string
}

// New builds the history described by opts. The server does not listen
// until Start is called; Handler serves it without a listener.
func New(opts Options) *Server {
	o := opts.resolved()
	return &Server{
		h:        newHistory(o),
		faultRNG: rand.New(rand.NewPCG(uint64(o.Seed), faultStream)),
		calls:    map[string]int{},
		jobCalls: map[string]int{},
	}
}

// Start listens on an ephemeral port of 127.0.0.1 and serves in the
// background until Close.
func (s *Server) Start() error {
	s.netMu.Lock()
	defer s.netMu.Unlock()
	if s.hs != nil {
		return errors.New("emulator: start: already listening on " + s.url)
	}
	ln, err := net.Listen("tcp", loopback)
	if err != nil {
		return fmt.Errorf("emulator: start: listen on %s: %w", loopback, err)
	}
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = hs.Serve(ln) // always http.ErrServerClosed after Close
	}()
	s.hs, s.done, s.url = hs, done, "http://"+ln.Addr().String()
	return nil
}

// URL returns the base URL the server listens on, such as
// "http://127.0.0.1:41234", or "" when it is not listening.
func (s *Server) URL() string {
	s.netMu.Lock()
	defer s.netMu.Unlock()
	return s.url
}

// Close stops listening and drops open connections. It is safe to call more
// than once.
func (s *Server) Close() {
	s.netMu.Lock()
	defer s.netMu.Unlock()
	if s.hs == nil {
		return
	}
	_ = s.hs.Close()
	<-s.done
	s.hs, s.done, s.url = nil, nil, ""
}

// Handler returns the HTTP handler that serves the API, for mounting in an
// httptest server or a mux.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(s.serveHTTP)
}

// SetFaults replaces the faults injected into later answers.
func (s *Server) SetFaults(f Faults) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = f.clone()
}

// Advance moves the history on by d. Every PENDING or STARTED job
// completes, at least two new jobs appear (the newest still running), a few
// source servers change replication state and every server reports fresh
// progress. The result is deterministic. A non-positive d does nothing; a
// positive d shorter than a second moves the history on by one second, the
// least that leaves room for everything that has to happen.
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

// apiError is a rest-json error answer.
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

// routes maps method and path to an operation name.
var routes = map[[2]string]string{
	{http.MethodPost, "/DescribeJobs"}:          OpDescribeJobs,
	{http.MethodPost, "/DescribeJobLogItems"}:   OpDescribeJobLogItems,
	{http.MethodPost, "/DescribeSourceServers"}: OpDescribeSourceServers,
	{http.MethodGet, "/ListStagingAccounts"}:    OpListStagingAccounts,
}

// serveHTTP answers one API call: it counts it, applies the faults and
// dispatches it to the operation.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := s.nextRequestID()
	op, ok := routes[[2]string{r.Method, r.URL.Path}]
	if !ok {
		writeError(w, reqID, &apiError{
			status:  http.StatusNotFound,
			code:    "UnknownOperationException",
			message: fmt.Sprintf("no operation is bound to %s %s", r.Method, r.URL.Path),
		})
		return
	}
	req, perr := readRequest(op, r)
	s.count(op, req.JobID)

	s.faultMu.Lock()
	f := s.faults
	draw := 1.0
	if f.ThrottleRate > 0 || f.ServerErrorRate > 0 {
		draw = s.faultRNG.Float64()
	}
	s.faultMu.Unlock()

	var (
		body        []byte
		aerr        *apiError
		contentType = "application/json"
	)
	switch {
	case draw < f.ThrottleRate:
		aerr = &apiError{status: http.StatusTooManyRequests, code: "ThrottlingException", message: "Rate exceeded"}
	case draw < f.ThrottleRate+f.ServerErrorRate:
		aerr = &apiError{status: http.StatusInternalServerError, code: "InternalServerException", message: "An internal error occurred. Please retry your request."}
	case perr != nil:
		aerr = perr
	default:
		body, aerr = s.answer(op, req)
	}
	if aerr == nil {
		switch {
		case f.Malformed[op]:
			body, contentType = []byte(malformedBody), "text/html"
		case f.Truncate[op]:
			body = body[:len(body)/2]
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
		writeError(w, reqID, aerr)
		return
	}
	writeBody(w, reqID, http.StatusOK, contentType, body)
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
	sum := sha256.Sum256([]byte(strconv.FormatUint(n, 10)))
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}

// answer serves a parsed request from the history.
func (s *Server) answer(op string, req request) ([]byte, *apiError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch op {
	case OpDescribeJobs:
		return s.h.describeJobs(req)
	case OpDescribeJobLogItems:
		return s.h.describeJobLogItems(req)
	case OpDescribeSourceServers:
		return s.h.describeSourceServers(req)
	default:
		return s.h.listStagingAccounts(req)
	}
}

// writeError writes a rest-json error answer.
func writeError(w http.ResponseWriter, reqID string, e *apiError) {
	w.Header().Set("X-Amzn-ErrorType", e.code)
	writeBody(w, reqID, e.status, "application/json", mustMarshal(struct {
		Message string `json:"message"`
	}{e.message}))
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
