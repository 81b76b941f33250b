package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// TestDebugRedacts runs a sync with --debug, in a process of its own, with
// an access key, secret and session token of AWS's forms, against an
// emulator that throttles some calls: stderr shows every call (operation,
// status, attempts) and the SDK's request, response and retry log, and
// none of the credentials or a signature.
func TestDebugRedacts(t *testing.T) {
	const (
		accessKey    = "AKIAIOSFODNN7EXAMPLE"
		secretKey    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
		sessionToken = "FwoGZXIvYXdzEBYaDExampleSessionTokenValue0123456789"
	)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 3, Jobs: 4, Servers: 2, LogItemsPerJob: 3})
	emu.SetFaults(emulator.Faults{ThrottleRate: 0.3})
	env := append(hermeticEnv(t), "AWS_ACCESS_KEY_ID="+accessKey, "AWS_SECRET_ACCESS_KEY="+secretKey, "AWS_SESSION_TOKEN="+sessionToken)
	code, _, stderr := runProcess(t, env, "--archive", archivetest.Dir(t), "sync", "--debug",
		"--endpoint-url", emu.URL(), "--region", emu.Region(), "--max-backoff", "10ms")
	if code != cliapp.ExitOK {
		t.Fatalf("sync --debug: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"archiver: debug: drs DescribeJobs: HTTP 200",
		"archiver: debug: sts GetCallerIdentity: HTTP 200",
		"Authorization: AWS4-HMAC-SHA256 Credential=REDACTED",
		"Signature=REDACTED",
		"X-Amz-Security-Token: REDACTED",
		"attempt(s)",
	} {
		if !strings.Contains(strings.ToLower(stderr), strings.ToLower(want)) {
			t.Errorf("the debug output lacks %q:\n%s", want, stderr)
		}
	}
	if !regexp.MustCompile(`DescribeJobLogItems: HTTP 200, [2-9] attempt`).MatchString(stderr) && !strings.Contains(stderr, "retry") {
		t.Error("no retry of a throttled call is shown")
	}
	for _, secret := range []string{accessKey, secretKey, sessionToken, "EXAMPLE"} {
		if strings.Contains(stderr, secret) {
			t.Errorf("the debug output shows the secret %q", secret)
		}
	}
	if m := regexp.MustCompile(`(?i)signature=[0-9a-f]{16,}`).FindString(stderr); m != "" {
		t.Errorf("the debug output shows a signature: %q", m)
	}
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if !strings.HasPrefix(l, "archiver: ") {
			t.Errorf("a line not from archiver: %q", l)
			break
		}
	}
}
