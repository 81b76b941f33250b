package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/drs"

	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// TestEmulatorCommand starts 'archiver emulator', points the SDK's DRS
// client (and the aws CLI, where installed) at the URL it prints, and
// compares the jobs they list with the history of the same seed; an
// interrupt stops it with exit status 0.
func TestEmulatorCommand(t *testing.T) {
	hermeticEnv(t)
	want := emulator.New(emulator.Options{Seed: 5, Jobs: 7}).JobIDs()
	slices.Sort(want)
	if len(want) != 7 {
		t.Fatalf("the history has %d jobs; the test proves little", len(want))
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	var stderr strings.Builder
	go func() {
		code <- run(ctx, []string{"archiver", "emulator", "--seed", "5", "--jobs", "7"}, pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL printed: %v (%s)", err, stderr.String())
	}
	url := strings.TrimSpace(line)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("URL %q is not on loopback", url)
	}
	go io.Copy(io.Discard, pr)

	client := drs.New(drs.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	var got []string
	p := drs.NewDescribeJobsPaginator(client, &drs.DescribeJobsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range page.Items {
			got = append(got, aws.ToString(j.JobID))
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("the SDK lists %v, want %v", got, want)
	}

	if awsCLI, err := exec.LookPath("aws"); err == nil {
		cmd := exec.Command(awsCLI, "drs", "describe-jobs", "--endpoint-url", url, "--region", "us-east-1", "--output", "json")
		// The aws CLI reads an empty AWS_PROFILE as a profile named "".
		env := slices.DeleteFunc(os.Environ(), func(e string) bool { return e == "AWS_PROFILE=" })
		cmd.Env = append(env, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_ENDPOINT_URL=")
		var errOut strings.Builder
		cmd.Stderr = &errOut
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("aws drs describe-jobs: %v: %s", err, errOut.String())
		}
		var resp struct {
			Items []struct {
				JobID string `json:"jobID"`
			} `json:"items"`
		}
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, j := range resp.Items {
			ids = append(ids, j.JobID)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, want) {
			t.Errorf("the aws CLI lists %v, want %v", ids, want)
		}
	} else {
		t.Log("the aws CLI is not installed: only the SDK was pointed at the emulator")
	}

	cancel()
	select {
	case c := <-code:
		if c != cliapp.ExitOK {
			t.Errorf("interrupted emulator: exit %d, want 0 (%s)", c, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the emulator did not stop when interrupted")
	}

	var out, errb strings.Builder
	if c := run(t.Context(), []string{"archiver", "emulator", "--listen", "0.0.0.0:0"}, &out, &errb); c != cliapp.ExitUsage || !strings.Contains(errb.String(), "loopback") {
		t.Errorf("--listen off loopback: exit %d, %q", c, errb.String())
	}
}
