package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// runProcess runs the CLI as a process of its own, so that whatever the
// SDK might write to the process's stderr by itself is seen too.
func runProcess(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), append(env, "ARCHIVER_TEST_MAIN=1")...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run: %v", err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// closedPort returns a loopback URL where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	return url
}

// TestNoCredentials checks that sync without credentials says what to set
// in one line: not the SDK's chain of errors, and no warning of the
// instance metadata service, which here is a loopback server that knows no
// role (as IMDS off an instance, or on one without a role).
func TestNoCredentials(t *testing.T) {
	hermeticEnv(t)
	var imdsCalls atomic.Int64
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		imdsCalls.Add(1)
		http.NotFound(w, r)
	}))
	t.Cleanup(imds.Close)
	noKeys := []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_ENDPOINT_URL=" + closedPort(t)}
	tests := []struct {
		name string
		env  []string
		imds bool
	}{
		{"IMDS disabled", []string{"AWS_EC2_METADATA_DISABLED=true"}, false},
		{"IMDS without a role", []string{"AWS_EC2_METADATA_DISABLED=false", "AWS_EC2_METADATA_SERVICE_ENDPOINT=" + imds.URL}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := imdsCalls.Load()
			code, stdout, stderr := runProcess(t, append(noKeys, tt.env...), "--archive", archivetest.Dir(t), "sync")
			if code != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", code, stdout)
			}
			if strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr is not one line:\n%s", stderr)
			}
			for _, want := range []string{"no AWS credentials found", "AWS_PROFILE", "--profile", "aws configure", "aws sso login"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q: %s", want, stderr)
				}
			}
			for _, not := range []string{"IMDS", "falling back", "operation error", "failed to refresh"} {
				if strings.Contains(stderr, not) {
					t.Errorf("stderr has %q: %s", not, stderr)
				}
			}
			if asked := imdsCalls.Load() > before; asked != tt.imds {
				t.Errorf("IMDS asked: %v, want %v", asked, tt.imds)
			}
		})
	}
}

// TestProxyInFrontOfSTS checks that an HTML page or a 407 where STS should
// answer is said to come from a proxy or captive portal.
func TestProxyInFrontOfSTS(t *testing.T) {
	hermeticEnv(t)
	tests := []struct {
		name   string
		status int
		want   string
	}{
		{"captive portal page", http.StatusOK, "STS GetCallerIdentity: the answer was not XML (text/html: a proxy or captive portal?)"},
		{"proxy error page", http.StatusBadGateway, "(text/html: a proxy or captive portal?)"},
		{"proxy wants credentials", http.StatusProxyAuthRequired, "HTTP 407 Proxy Authentication Required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.WriteHeader(tt.status)
				fmt.Fprint(w, "<!DOCTYPE html><html><head><title>Sign in to Hotel WiFi</title></head><body><form></form></body></html>")
			}))
			t.Cleanup(srv.Close)
			code, _, stderr := runCLI(t, "--archive", archivetest.Dir(t), "sync", "--endpoint-url", srv.URL, "--max-attempts", "2", "--max-backoff", "10ms")
			if code != 1 || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") > 2 {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, tt.want)
			}
		})
	}
}

// TestUnreachableEndpoint checks that sync says, as it happens and off a
// terminal, that it is retrying a call and why, and then which call gave up
// where.
func TestUnreachableEndpoint(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 2})
	tests := []struct {
		name  string
		env   func(closed string) []string
		op    string
		final string
	}{
		{"STS", func(closed string) []string { return []string{"AWS_ENDPOINT_URL=" + closed} },
			"GetCallerIdentity", "STS GetCallerIdentity: connection refused at %s (gave up after 3 attempts)"},
		{"DRS", func(closed string) []string {
			return []string{"AWS_ENDPOINT_URL=" + closed, "AWS_ENDPOINT_URL_STS=" + emu.URL()}
		}, "", "connection refused at %s (gave up after 3 attempts)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			closed := closedPort(t)
			code, _, stderr := runProcess(t, tt.env(closed), "--archive", archivetest.Dir(t), "sync", "--max-attempts", "3", "--max-backoff", "10ms")
			if code != 1 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			retrying := fmt.Sprintf(": connection refused at %s; retrying (attempt 2 of 3)", closed)
			// The DRS calls of a sync start together; any of them may fail first.
			if len(lines) < 2 || !strings.HasPrefix(lines[0], "archiver: "+tt.op) || !strings.HasSuffix(lines[0], retrying) || strings.Count(lines[0], ":") != 4 {
				t.Errorf("first line %q, want archiver: %s...%s", lines[0], tt.op, retrying)
			}
			if last := lines[len(lines)-1]; !strings.Contains(last, fmt.Sprintf(tt.final, closed)) || strings.Contains(last, "operation error") {
				t.Errorf("last line %q, want %q", last, fmt.Sprintf(tt.final, closed))
			}
			// One line per burst: the three attempts of one call (or of
			// the calls made together) are one notice.
			if n := strings.Count(stderr, "retrying"); n != 1 {
				t.Errorf("%d retry notices, want 1:\n%s", n, stderr)
			}
		})
	}
}
