package emulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Page size limits.
const (
	defaultPageSize  = 50
	maxPageSize      = 1000
	maxAccountsPage  = 50
	maxRequestBody   = 1 << 20
	tokenVersion     = "v1"
	tokenHashLetters = 16
)

// request is the union of the inputs of the served operations.
type request struct {
	Filters *requestFilters `json:"filters"`
	JobID   string          `json:"jobID"`
	// SourceServerID and Order are inputs of DescribeRecoverySnapshots;
	// GetLaunchConfiguration and GetReplicationConfiguration take
	// SourceServerID alone.
	SourceServerID string  `json:"sourceServerID"`
	Order          string  `json:"order"`
	MaxResults     *int64  `json:"maxResults"`
	NextToken      *string `json:"nextToken"`

	// cycle is Faults.RepeatTokens of the operation; see pageOf.
	cycle int
}

// requestFilters is the union of the filters of the served operations.
type requestFilters struct {
	FromDate          *string  `json:"fromDate"`
	ToDate            *string  `json:"toDate"`
	JobIDs            []string `json:"jobIDs"`
	SourceServerIDs   []string `json:"sourceServerIDs"`
	StagingAccountIDs []string `json:"stagingAccountIDs"`
	HardwareID        string   `json:"hardwareId"`
	// FromDateTime and ToDateTime filter DescribeRecoverySnapshots.
	FromDateTime *string `json:"fromDateTime"`
	ToDateTime   *string `json:"toDateTime"`
	// RecoveryInstanceIDs filters DescribeRecoveryInstances.
	RecoveryInstanceIDs []string `json:"recoveryInstanceIDs"`
	// SourceNetworkIDs, OriginAccountID and OriginRegion filter
	// DescribeSourceNetworks.
	SourceNetworkIDs []string `json:"sourceNetworkIDs"`
	OriginAccountID  string   `json:"originAccountID"`
	OriginRegion     string   `json:"originRegion"`
}

// readRequest parses the input of op from the body or, for
// ListStagingAccounts, the query string. What could be parsed is returned
// even with an error, so that the call can be counted against its job.
func readRequest(op string, r *http.Request) (request, *apiError) {
	var req request
	if op == OpListStagingAccounts {
		q := r.URL.Query()
		if v := q.Get("maxResults"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return req, validationError("maxResults: %q is not an integer", v)
			}
			req.MaxResults = &n
		}
		if q.Has("nextToken") {
			t := q.Get("nextToken")
			req.NextToken = &t
		}
		return req, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return req, validationError("cannot read request body: %v", err)
	}
	if len(body) > maxRequestBody {
		return req, validationError("request body exceeds %d bytes", maxRequestBody)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return req, nil
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return req, validationError("cannot parse request body: %v", err)
	}
	return req, nil
}

// page picks the slice [from, to) of n items that a request asks for and
// the token of the page after it. filterKey binds tokens to the filters
// they were issued for.
func page(op, filterKey string, n int, req request, limit int) (from, to int, next string, e *apiError) {
	from, to, next, perr := pageOf(op, filterKey, n, req.MaxResults, req.NextToken, defaultPageSize, limit, req.cycle)
	if perr != nil {
		return 0, 0, "", validationError("%s", perr.msg)
	}
	return from, to, next, nil
}

// pageError says which paging member of a request is wrong, so that each
// protocol can answer with its own error code.
type pageError struct {
	token bool // the token is wrong, not the page size
	msg   string
}

func (e *pageError) Error() string { return e.msg }

// pageOf picks the slice [from, to) of n items that a request asks for
// with maxResults and token, and the token of the page after it. A nil or
// zero maxResults selects def; filterKey binds tokens to the filters they
// were issued for. A cycle c above zero (Faults.RepeatTokens) makes the
// answer to the c-th token of a listing point back to the first token.
func pageOf(op, filterKey string, n int, maxResults *int64, token *string, def, limit, cycle int) (from, to int, next string, e *pageError) {
	size := def
	if maxResults != nil && *maxResults != 0 {
		m := *maxResults
		if m < 1 || m > int64(limit) {
			return 0, 0, "", &pageError{msg: fmt.Sprintf("maxResults must be between 1 and %d, got %d", limit, m)}
		}
		size = int(m)
	}
	size = min(size, limit)
	if token != nil && *token != "" {
		off, err := decodeToken(op, filterKey, *token)
		if err != nil {
			return 0, 0, "", &pageError{token: true, msg: fmt.Sprintf("invalid nextToken: %v", err)}
		}
		if off > n {
			return 0, 0, "", &pageError{token: true, msg: "invalid nextToken: it points past the end of the results"}
		}
		from = off
	}
	to = min(from+size, n)
	if to < n {
		next = encodeToken(op, filterKey, to)
	}
	// The c-th token of a listing starts page c+1, at c*size.
	if cycle > 0 && from > 0 && from == cycle*size {
		next = encodeToken(op, filterKey, size)
	}
	return from, to, next, nil
}

// tokenHash binds a token to an operation and its filters.
func tokenHash(op, filterKey string) string {
	sum := sha256.Sum256([]byte(op + "\x00" + filterKey))
	return hex.EncodeToString(sum[:])[:tokenHashLetters]
}

// encodeToken renders the opaque token for the page starting at offset.
func encodeToken(op, filterKey string, offset int) string {
	raw := tokenVersion + "." + strconv.Itoa(offset) + "." + tokenHash(op, filterKey)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeToken reads the offset back from a token issued by encodeToken for
// the same operation and filters.
func decodeToken(op, filterKey, token string) (int, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, fmt.Errorf("not a token issued by this service: %w", err)
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 3 || parts[0] != tokenVersion {
		return 0, fmt.Errorf("not a token issued by this service")
	}
	off, err := strconv.Atoi(parts[1])
	if err != nil || off < 1 {
		return 0, fmt.Errorf("not a token issued by this service")
	}
	if parts[2] != tokenHash(op, filterKey) {
		return 0, fmt.Errorf("the token was issued for different filters")
	}
	return off, nil
}

// describeJobs serves DescribeJobs: jobs latest first, filtered by
// creation time and ID.
func (h *history) describeJobs(req request) ([]byte, *apiError) {
	var f requestFilters
	if req.Filters != nil {
		f = *req.Filters
	}
	var from, to time.Time
	var err error
	if f.FromDate != nil && *f.FromDate != "" {
		if from, err = parseFilterTime(*f.FromDate); err != nil {
			return nil, validationError("filters.fromDate: %v", err)
		}
	}
	if f.ToDate != nil && *f.ToDate != "" {
		if to, err = parseFilterTime(*f.ToDate); err != nil {
			return nil, validationError("filters.toDate: %v", err)
		}
	}
	ids := map[string]bool{}
	for _, id := range f.JobIDs {
		ids[id] = true
	}
	items := make([]json.RawMessage, 0, len(h.jobs))
	for _, j := range h.jobs {
		if len(ids) > 0 && !ids[j.id] {
			continue
		}
		if !from.IsZero() && j.created.t.Before(from) {
			continue
		}
		if !to.IsZero() && j.created.t.After(to) {
			continue
		}
		items = append(items, j.raw)
	}
	sorted := slices.Sorted(func(yield func(string) bool) {
		for id := range ids {
			if !yield(id) {
				return
			}
		}
	})
	key := fmt.Sprintf("from=%s|to=%s|ids=%s", from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano), strings.Join(sorted, ","))
	lo, hi, next, aerr := page(OpDescribeJobs, key, len(items), req, maxPageSize)
	if aerr != nil {
		return nil, aerr
	}
	return envelope("items", items[lo:hi], next), nil
}

// describeJobLogItems serves DescribeJobLogItems: one job's log, oldest
// first.
func (h *history) describeJobLogItems(req request) ([]byte, *apiError) {
	if req.JobID == "" {
		return nil, validationError("jobID is required")
	}
	j, ok := h.jobByID[req.JobID]
	if !ok {
		return nil, validationError("job %s does not exist", req.JobID)
	}
	lo, hi, next, aerr := page(OpDescribeJobLogItems, "job="+j.id, len(j.log), req, maxPageSize)
	if aerr != nil {
		return nil, aerr
	}
	return envelope("items", j.log[lo:hi], next), nil
}

// describeSourceServers serves DescribeSourceServers, filtered by ID,
// staging account and hardware ID.
func (h *history) describeSourceServers(req request) ([]byte, *apiError) {
	var f requestFilters
	if req.Filters != nil {
		f = *req.Filters
	}
	ids := slices.Clone(f.SourceServerIDs)
	accts := slices.Clone(f.StagingAccountIDs)
	slices.Sort(ids)
	slices.Sort(accts)
	items := make([]json.RawMessage, 0, len(h.servers))
	for _, s := range h.servers {
		if len(ids) > 0 && !slices.Contains(ids, s.id) {
			continue
		}
		if len(accts) > 0 && !slices.Contains(accts, s.stagingAccount) {
			continue
		}
		if !s.matchesHardware(f.HardwareID) {
			continue
		}
		items = append(items, s.raw)
	}
	key := fmt.Sprintf("ids=%s|accounts=%s|hardware=%s", strings.Join(ids, ","), strings.Join(accts, ","), strings.ToLower(f.HardwareID))
	lo, hi, next, aerr := page(OpDescribeSourceServers, key, len(items), req, maxPageSize)
	if aerr != nil {
		return nil, aerr
	}
	return envelope("items", items[lo:hi], next), nil
}

// listStagingAccounts serves ListStagingAccounts.
func (h *history) listStagingAccounts(req request) ([]byte, *apiError) {
	accts := h.opts.StagingAccounts
	lo, hi, next, aerr := page(OpListStagingAccounts, "", len(accts), req, maxAccountsPage)
	if aerr != nil {
		return nil, aerr
	}
	items := make([]json.RawMessage, 0, hi-lo)
	for _, a := range accts[lo:hi] {
		items = append(items, mustMarshal(struct {
			AccountID string `json:"accountID"`
		}{a}))
	}
	return envelope("accounts", items, next), nil
}
