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

// urler is a Server or a Mux: anything with a base URL.
type urler interface{ URL() string }

// awsCLI runs the AWS CLI against srv with throwaway credentials and
// configuration, and decodes its JSON output into out.
func awsCLI(t *testing.T, srv urler, out any, args ...string) {
	t.Helper()
	stdout, stderr, err := runAWS(t, srv, args...)
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	if err := json.Unmarshal(stdout, out); err != nil {
		t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, stdout)
	}
}

// runAWS runs the AWS CLI against srv with throwaway credentials and
// configuration, and returns what it wrote.
func runAWS(t *testing.T, srv urler, args ...string) (stdout []byte, stderr string, err error) {
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
	var errb strings.Builder
	cmd.Stderr = &errb
	stdout, err = cmd.Output()
	return stdout, errb.String(), err
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

func TestAWSCLISnowball(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not installed")
	}
	srv := start(t, emulator.Options{SnowballClusters: 3, SnowballJobsPerCluster: 7})

	t.Run("list-clusters", func(t *testing.T) {
		var out struct {
			ClusterListEntries []struct {
				ClusterID    string  `json:"ClusterId"`
				ClusterState string  `json:"ClusterState"`
				CreationDate float64 `json:"CreationDate"`
			} `json:"ClusterListEntries"`
		}
		awsCLI(t, srv, &out, "snowball", "list-clusters", "--page-size", "2")
		want := decode[wireCluster](t, srv.Clusters())
		if len(out.ClusterListEntries) != len(want) {
			t.Fatalf("CLI listed %d clusters, want %d", len(out.ClusterListEntries), len(want))
		}
		for i, w := range want {
			g := out.ClusterListEntries[i]
			f, _ := w.CreationDate.Float64()
			if g.ClusterID != w.ClusterID || g.ClusterState != w.ClusterState || g.CreationDate != f {
				t.Fatalf("cluster %d: %+v, want %+v", i, g, w)
			}
		}
	})

	t.Run("list-cluster-jobs", func(t *testing.T) {
		for _, id := range srv.ClusterIDs() {
			var out struct {
				JobListEntries []struct {
					JobID        string  `json:"JobId"`
					JobState     string  `json:"JobState"`
					IsMaster     bool    `json:"IsMaster"`
					CreationDate float64 `json:"CreationDate"`
					Description  string  `json:"Description"`
				} `json:"JobListEntries"`
			}
			awsCLI(t, srv, &out, "snowball", "list-cluster-jobs", "--cluster-id", id, "--page-size", "3")
			want := decode[wireClusterJob](t, srv.ClusterJobs(id))
			if len(out.JobListEntries) != len(want) {
				t.Fatalf("%s: CLI listed %d jobs, want %d", id, len(out.JobListEntries), len(want))
			}
			for i, w := range want {
				g := out.JobListEntries[i]
				f, _ := w.CreationDate.Float64()
				if g.JobID != w.JobID || g.JobState != w.JobState || g.IsMaster != w.IsMaster || g.CreationDate != f || g.Description != w.Description {
					t.Fatalf("%s job %d: %+v, want %+v", id, i, g, w)
				}
			}
		}
	})

	t.Run("unknown cluster", func(t *testing.T) {
		_, stderr, err := runAWS(t, srv, "snowball", "list-cluster-jobs", "--cluster-id", "CID00000000-0000-4000-a000-000000000000")
		if err == nil || !strings.Contains(stderr, "(InvalidResourceException)") {
			t.Fatalf("got %v, stderr %q; want an InvalidResourceException", err, stderr)
		}
	})
}

func TestAWSCLISTS(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not installed")
	}
	srv := start(t, emulator.Options{Account: "444455556666"})
	var out struct {
		Account, Arn, UserID string
	}
	awsCLI(t, srv, &out, "sts", "get-caller-identity")
	if out.Account != "444455556666" || !strings.HasPrefix(out.Arn, "arn:aws:iam::444455556666:") {
		t.Fatalf("CLI got identity %+v", out)
	}
}
