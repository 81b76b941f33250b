package sync_test

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

// TestRedactsCredentialForms: an AWS error that quotes the run's
// credentials in any form they travel in (the access key ID in any case,
// URL-encoded, in base64, a secret or session token cut short) is printed
// and recorded in the archive's run records with each of them replaced by
// "[redacted]", and the rest of the message kept.
func TestRedactsCredentialForms(t *testing.T) {
	const (
		key     = "AKIAQZX7REDACTKEY2WX"
		secret  = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYREDACT/KEY"
		token   = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+redactTESTtoken/AbCdEf=="
		account = "444455556666"
	)
	std, urlsafe := base64.StdEncoding.EncodeToString, base64.URLEncoding.EncodeToString
	tests := []struct {
		name, form string
	}{
		{"key ID", key},
		{"key ID lower-cased", strings.ToLower(key)},
		{"key ID in mixed case", strings.ToLower(key[:10]) + key[10:]},
		{"secret", secret},
		{"secret query-escaped", url.QueryEscape(secret)},
		{"secret path-escaped", url.PathEscape(secret)},
		{"secret in base64", std([]byte(secret))},
		{"secret in URL-safe base64", urlsafe([]byte(secret))},
		{"secret cut to 16 characters", secret[:16]},
		{"secret cut to 30 characters", secret[:30]},
		{"token", token},
		{"token query-escaped", url.QueryEscape(token)},
		{"token path-escaped", url.PathEscape(token)},
		{"token in base64", std([]byte(token))},
		{"token in URL-safe base64", urlsafe([]byte(token))},
		{"token cut to 16 characters", token[:16]},
		{"token cut to 40 characters", token[:40]},
		{"key ID in base64", std([]byte(key))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if url.QueryEscape(tt.form) == "" || len(tt.form) < 16 {
				t.Fatalf("form %q is too short to prove anything", tt.form)
			}
			mux, emus := muxPlaces(t, key, account, "us-east-1")
			emus["us-east-1"].SetFaults(emulator.Faults{Reject: map[string]string{
				emulator.OpDescribeJobs: "header X-Leak: " + tt.form + "... was refused",
			}})
			dir := archivetest.Dir(t)
			o := archsync.Options{
				ArchiveDir: dir, EndpointURL: mux.URL(), MaxBackoff: 5 * time.Millisecond, MaxAttempts: 1,
				Credentials: credentials.NewStaticCredentialsProvider(key, secret, token),
				Sources:     []archsync.Source{archsync.SourceDRS}, Regions: []string{"us-east-1"}, NoIndex: true,
			}
			err := archsync.Run(context.Background(), o, &archsync.Stats{})
			if err == nil {
				t.Fatal("sync against a refusing service succeeded")
			}
			check := func(where, msg string) {
				t.Helper()
				if !strings.Contains(msg, "header X-Leak: [redacted]") || !strings.Contains(msg, "was refused") {
					t.Errorf("%s %q: want the form replaced by [redacted] and the rest kept", where, msg)
				}
				if strings.Contains(strings.ToLower(msg), strings.ToLower(tt.form[:16])) {
					t.Errorf("%s %q holds %q", where, msg, tt.form[:16])
				}
			}
			check("printed error", err.Error())
			runs := syncRuns(t, dir)
			s, ok := runs[archive.SyncRunKey("drs", "us-east-1", account)]
			if !ok {
				t.Fatalf("no run record for drs in us-east-1: %v", runs)
			}
			check("run record", s.Error)
		})
	}
}
