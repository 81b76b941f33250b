package emulator_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/internal/emulator"
)

// awsCLI runs the AWS CLI against srv with throwaway credentials and
// configuration, and decodes its JSON output into out.
func awsCLI(t *testing.T, srv *emulator.Server, out any, args ...string) {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not installed")
	}
	dir := t.TempDir()
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args = append(args, "--endpoint-url", srv.URL(), "--region", "us-east-1", "--output", "json")
	cmd := exec.CommandContext(c, path, args...)
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		upper := strings.ToUpper(name)
		if strings.HasPrefix(upper, "AWS_") || strings.HasSuffix(upper, "_PROXY") {
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
		"NO_PROXY=127.0.0.1,localhost",
	)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if err := json.Unmarshal(stdout, out); err != nil {
		t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, stdout)
	}
}

func TestAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not installed")
	}
	srv := start(t, emulator.Options{})

	t.Run("describe-jobs", func(t *testing.T) {
		var out struct {
			Items []struct {
				JobID string `json:"jobID"`
			} `json:"items"`
		}
		awsCLI(t, srv, &out, "drs", "describe-jobs", "--page-size", "7")
		var got []string
		for _, j := range out.Items {
			got = append(got, j.JobID)
		}
		if !slices.Equal(got, srv.JobIDs()) {
			t.Fatalf("CLI listed %v, want %v", got, srv.JobIDs())
		}
	})

	t.Run("describe-job-log-items", func(t *testing.T) {
		id := srv.JobIDs()[4]
		var out struct {
			Items []struct {
				Event       string `json:"event"`
				LogDateTime string `json:"logDateTime"`
			} `json:"items"`
		}
		awsCLI(t, srv, &out, "drs", "describe-job-log-items", "--job-id", id, "--page-size", "3")
		want := decode[wireLog](t, srv.JobLog(id))
		if len(out.Items) != len(want) {
			t.Fatalf("CLI listed %d log items, want %d", len(out.Items), len(want))
		}
		for i := range want {
			if out.Items[i].Event != want[i].Event || out.Items[i].LogDateTime != want[i].LogDateTime {
				t.Fatalf("item %d: %+v, want %+v", i, out.Items[i], want[i])
			}
		}
	})

	t.Run("describe-source-servers", func(t *testing.T) {
		var out struct {
			Items []struct {
				SourceServerID string `json:"sourceServerID"`
			} `json:"items"`
		}
		awsCLI(t, srv, &out, "drs", "describe-source-servers")
		var got, want []string
		for _, s := range out.Items {
			got = append(got, s.SourceServerID)
		}
		for _, s := range decode[wireServer](t, srv.SourceServers()) {
			want = append(want, s.SourceServerID)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("CLI listed %v, want %v", got, want)
		}
	})
}
