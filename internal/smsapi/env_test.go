package smsapi_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Static keys the client signs with and the fake service checks against.
var testCreds = aws.Credentials{AccessKeyID: "AKIDSMSTEST", SecretAccessKey: "sms-test-secret", SessionToken: "sms-test-session"}

const testRegion = "us-west-2"

// hermeticEnv clears every AWS_ variable for the test and points the SDK's
// shared files at profile (the config file's contents) and an empty
// credentials file, with instance metadata off, so that nothing of the
// machine's leaks in.
func hermeticEnv(t *testing.T, profile string) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	dir := t.TempDir()
	cfgFile, credFile := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	if err := os.WriteFile(cfgFile, []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(credFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", cfgFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credFile)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// loadConfig loads an aws.Config the way archiver does, with testCreds, the
// test region, a retryer that makes up to attempts attempts without waiting
// between them, and an HTTP client that only ever connects to loopback.
func loadConfig(t *testing.T, attempts int, opts ...func(*config.LoadOptions) error) aws.Config {
	t.Helper()
	opts = append([]func(*config.LoadOptions) error{
		config.WithRegion(testRegion),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(testCreds.AccessKeyID, testCreds.SecretAccessKey, testCreds.SessionToken)),
		config.WithRetryer(func() aws.Retryer { return noWaitRetryer(attempts) }),
		config.WithHTTPClient(loopbackOnly()),
	}, opts...)
	cfg, err := config.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		t.Fatalf("load config: %v", err)
	}
	return cfg
}

// noWaitRetryer is the standard retryer as archiver tunes it (no retry
// token bucket), without the waits.
func noWaitRetryer(attempts int) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = attempts
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		o.RateLimiter = ratelimit.None
	})
}

// loopbackOnly returns an HTTP client that refuses to connect anywhere but a
// loopback address, so that no test reaches AWS whatever it resolves.
func loopbackOnly() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return nil, fmt.Errorf("test HTTP client: %s is not a loopback address", addr)
			}
			return dialer.DialContext(ctx, network, addr)
		},
	}}
}
