package smsapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/archiver-dev/archiver/internal/smsapi"
)

// reply is one answer of the fake service.
type reply struct {
	status int
	header map[string]string
	body   string
	// short declares a Content-Length this many bytes longer than body and
	// closes the connection after body: a body cut off in transit.
	short int
	// hangUp closes the connection without answering.
	hangUp bool
}

// request is what the fake service received in one call.
type request struct {
	header http.Header
	body   []byte
}

// fakeSMS is a loopback stand-in for the SMS JSON 1.1 endpoint. It checks
// every request as the service would (method, path, content type, target,
// SigV4 signature against testCreds), answers with a 403 or 400 error when a
// check fails, and otherwise answers with serve.
type fakeSMS struct {
	t     *testing.T
	srv   *httptest.Server
	serve func(n int, req request) reply
	// offset is added to the real clock to give the service's clock.
	offset time.Duration
	// anonymous makes the service expect unsigned requests.
	anonymous bool

	mu       sync.Mutex
	requests []request
}

func newFakeSMS(t *testing.T, serve func(n int, req request) reply) *fakeSMS {
	t.Helper()
	f := &fakeSMS{t: t, serve: serve}
	f.srv = httptest.NewServer(http.HandlerFunc(f.handle))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the endpoint URL of the fake service.
func (f *fakeSMS) URL() string { return f.srv.URL }

// calls returns how many requests reached the service.
func (f *fakeSMS) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// received returns the n-th request (from 1).
func (f *fakeSMS) received(n int) request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[n-1]
}

func (f *fakeSMS) now() time.Time { return time.Now().Add(f.offset) }

func (f *fakeSMS) handle(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("fake SMS: read request: %v", err)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, request{header: r.Header.Clone(), body: body})
	n := len(f.requests)
	f.mu.Unlock()

	w.Header().Set("Date", f.now().UTC().Format(http.TimeFormat))
	if err := f.check(r, body); err != nil {
		writeReply(w, reply{status: 400, body: `{"__type":"InvalidRequestException","message":` + strconv.Quote(err.Error()) + `}`})
		f.t.Errorf("fake SMS: request %d: %v", n, err)
		return
	}
	switch auth := r.Header.Get("Authorization"); {
	case f.anonymous && auth != "":
		writeReply(w, reply{status: 400, body: `{"__type":"InvalidRequestException","message":"signed"}`})
		f.t.Errorf("fake SMS: request %d is signed: %s", n, auth)
		return
	case !f.anonymous:
		if code, err := f.verifySignature(r, body); err != nil {
			writeReply(w, reply{status: 403, body: `{"__type":"` + code + `","message":` + strconv.Quote(err.Error()) + `}`})
			return
		}
	}
	rep := f.serve(n, request{header: r.Header, body: body})
	if rep.hangUp {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			f.t.Errorf("fake SMS: hijack: %v", err)
			return
		}
		conn.Close()
		return
	}
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("req-%d", n))
	writeReply(w, rep)
}

func writeReply(w http.ResponseWriter, rep reply) {
	if rep.status == 0 {
		rep.status = http.StatusOK
	}
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	}
	// net/http closes the connection when a handler writes less than the
	// Content-Length it declared.
	w.Header().Set("Content-Length", strconv.Itoa(len(rep.body)+rep.short))
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

// check verifies what every SMS JSON 1.1 request must carry.
func (f *fakeSMS) check(r *http.Request, body []byte) error {
	if r.Method != http.MethodPost || r.URL.Path != "/" || r.URL.RawQuery != "" {
		return fmt.Errorf("%s %s, want POST /", r.Method, r.URL)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		return fmt.Errorf("Content-Type %q", ct)
	}
	if tgt := r.Header.Get("X-Amz-Target"); tgt != "AWSServerMigrationService_V2016_10_24.GetReplicationJobs" {
		return fmt.Errorf("X-Amz-Target %q", tgt)
	}
	if !json.Valid(body) || !bytes.HasPrefix(body, []byte("{")) {
		return fmt.Errorf("body %q is not a JSON object", body)
	}
	return nil
}

// verifySignature signs a copy of r again with testCreds, as the service
// would, and compares the Authorization headers. A request signed more than
// five minutes off the service's clock fails as the service fails it.
func (f *fakeSMS) verifySignature(r *http.Request, body []byte) (code string, err error) {
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential="+testCreds.AccessKeyID+"/") {
		return "MissingAuthenticationTokenException", fmt.Errorf("Authorization %q", auth)
	}
	signed, ok := authField(auth, "SignedHeaders")
	if !ok {
		return "IncompleteSignatureException", fmt.Errorf("no SignedHeaders in %q", auth)
	}
	names := strings.Split(signed, ";")
	for _, must := range []string{"content-type", "host", "x-amz-date", "x-amz-security-token", "x-amz-target"} {
		if !slices.Contains(names, must) {
			return "IncompleteSignatureException", fmt.Errorf("%s is not signed (%s)", must, signed)
		}
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "IncompleteSignatureException", fmt.Errorf("X-Amz-Date: %v", err)
	}
	if d := f.now().Sub(at); d > 5*time.Minute || d < -5*time.Minute {
		return "InvalidSignatureException", fmt.Errorf("Signature expired: %s is now earlier than %s", r.Header.Get("X-Amz-Date"), f.now().UTC().Format("20060102T150405Z"))
	}

	resign, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return "InternalFailure", err
	}
	resign.Host = r.Host
	resign.ContentLength = int64(len(body))
	for _, name := range names {
		if name == "host" || name == "content-length" {
			continue // the signer takes these from Host and ContentLength
		}
		for _, v := range r.Header.Values(name) {
			resign.Header.Add(name, v)
		}
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), testCreds, resign, hex.EncodeToString(sum[:]), "sms", testRegion, at); err != nil {
		return "InternalFailure", err
	}
	if got := resign.Header.Get("Authorization"); got != auth {
		return "InvalidSignatureException", fmt.Errorf("signature mismatch:\n got  %s\n want %s", auth, got)
	}
	return "", nil
}

// authField returns a field of a SigV4 Authorization header.
func authField(auth, name string) (string, bool) {
	_, rest, _ := strings.Cut(auth, " ")
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && k == name {
			return v, true
		}
	}
	return "", false
}

// newTestClient returns a client of the fake service, from a config loaded
// in a hermetic environment.
func newTestClient(t *testing.T, f *fakeSMS, attempts int) *smsapi.Client {
	t.Helper()
	hermeticEnv(t, "")
	cfg := loadConfig(t, attempts)
	return smsapi.NewFromConfig(cfg, func(o *smsapi.Options) { o.BaseEndpoint = aws.String(f.URL()) })
}
