package emulator

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Mux serves several Servers behind one loopback listener. It routes each
// request to the Server added for the region and access key ID the request
// is signed with, read from the credential scope of its SigV4
// Authorization header (Credential=AKID/date/REGION/SERVICE/aws4_request)
// or, for a presigned URL, its X-Amz-Credential parameter. That is how one
// endpoint URL serves two regions and two accounts: a client picks the
// account with its credentials and the region with its configuration, as
// it would against AWS. The signature itself is not checked.
//
// With an Organization (SetOrganization), the Mux answers AWS Organizations
// and STS AssumeRole itself, and routes requests signed with the
// credentials AssumeRole issued by the region and the account they belong
// to (AddAccount).
//
// A request whose region and key match no Server is answered 403 in the
// form of its protocol, naming the region and key: UnrecognizedClientException
// for rest-json and JSON 1.1, InvalidClientTokenId for STS.
type Mux struct {
	mu      sync.RWMutex // guards servers and the organization's state
	servers map[credentialScope]*Server

	// org, when set, is the organization served (see SetOrganization);
	// byAccount routes by region and the account (in accessKeyID) that
	// assumed credentials belong to, and assumed maps the access key IDs
	// AssumeRole issued to their accounts.
	org         *Organization
	byAccount   map[credentialScope]*Server
	assumed     map[string]string
	assumeCalls []AssumeRoleCall
	orgCalls    int

	requests atomic.Uint64
	ep       endpoint
}

// credentialScope is what the Mux routes by.
type credentialScope struct {
	region, accessKeyID string
}

// NewMux returns a Mux that routes to no Server yet.
func NewMux() *Mux {
	return &Mux{servers: map[credentialScope]*Server{}}
}

// Add routes requests signed for region with accessKeyID to s, replacing
// any Server added for them before. It may be called while the Mux serves.
func (m *Mux) Add(region, accessKeyID string, s *Server) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.servers[credentialScope{region, accessKeyID}] = s
}

// Handler returns the HTTP handler that routes requests to the Servers,
// for mounting in an httptest server.
func (m *Mux) Handler() http.Handler {
	return http.HandlerFunc(m.serveHTTP)
}

// Start listens on an ephemeral port of 127.0.0.1 and serves in the
// background until Close.
func (m *Mux) Start() error {
	return m.ep.start(m.Handler())
}

// URL returns the base URL the Mux listens on, such as
// "http://127.0.0.1:41234", or "" when it is not listening.
func (m *Mux) URL() string {
	return m.ep.URL()
}

// Close stops listening and drops open connections. It is safe to call more
// than once. The Servers behind the Mux are not closed.
func (m *Mux) Close() {
	m.ep.close()
}

// serveHTTP hands a request to the Server its credential scope names, or
// refuses it.
func (m *Mux) serveHTTP(w http.ResponseWriter, r *http.Request) {
	key, region := signedScope(r)
	if m.serveOrganization(w, r, key) {
		return
	}
	m.mu.RLock()
	s := m.servers[credentialScope{region, key}]
	if account, ok := m.accountOfKey(key); s == nil && ok {
		s = m.byAccount[credentialScope{region, account}]
	}
	m.mu.RUnlock()
	if s != nil {
		s.serveHTTP(w, r)
		return
	}
	proto := protocolOf(r)
	code := "UnrecognizedClientException"
	if proto == awsQuery {
		code = "InvalidClientTokenId"
	}
	writeError(w, requestID("mux/"+strconv.FormatUint(m.requests.Add(1), 10)), proto, &apiError{
		status:  http.StatusForbidden,
		code:    code,
		message: fmt.Sprintf("The security token included in the request is invalid: no account is set up for access key %q in region %q.", key, region),
	})
}

// signedScope reads the access key ID and region r is signed with, or
// empty strings when r carries no SigV4 credential scope.
func signedScope(r *http.Request) (accessKeyID, region string) {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if auth := r.Header.Get("Authorization"); auth != "" {
		_, rest, _ := strings.Cut(auth, "Credential=")
		cred, _, _ = strings.Cut(rest, ",")
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 || parts[4] != "aws4_request" {
		return "", ""
	}
	return parts[0], parts[2]
}
