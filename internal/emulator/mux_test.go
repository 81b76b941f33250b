package emulator_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/aws-sdk-go-v2/service/snowball"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/archiver-dev/archiver/internal/emulator"
)

// startMux starts a Mux for one test and closes it afterwards.
func startMux(t *testing.T) *emulator.Mux {
	t.Helper()
	m := emulator.NewMux()
	if err := m.Start(); err != nil {
		t.Fatalf("start mux: %v", err)
	}
	t.Cleanup(m.Close)
	return m
}

// route is one (region, access key) pair a Mux serves.
type route struct {
	region, key string
	srv         *emulator.Server
}

func TestMuxRoutesByRegionAndKey(t *testing.T) {
	m := startMux(t)
	// Two profiles (access keys) of two accounts, and a second region of
	// the first account.
	routes := []route{
		{"us-east-1", "AKIDPROFILEONE", emulator.New(emulator.Options{Seed: 1, Account: "111111111111", Region: "us-east-1"})},
		{"us-east-1", "AKIDPROFILETWO", emulator.New(emulator.Options{Seed: 2, Account: "222222222222", Region: "us-east-1"})},
		{"eu-west-1", "AKIDPROFILEONE", emulator.New(emulator.Options{Seed: 3, Account: "111111111111", Region: "eu-west-1"})},
	}
	for _, r := range routes {
		m.Add(r.region, r.key, r.srv)
	}
	if !strings.HasPrefix(m.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL %q is not on 127.0.0.1", m.URL())
	}
	for _, r := range routes {
		t.Run(r.region+"/"+r.key, func(t *testing.T) {
			out, err := stsClient(m.URL(), r.region, r.key).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.Account) != r.srv.Account() {
				t.Fatalf("account %s, want %s", aws.ToString(out.Account), r.srv.Account())
			}

			sc := snowClient(m.URL(), func(o *snowball.Options) {
				o.Region = r.region
				o.Credentials = credentials.NewStaticCredentialsProvider(r.key, "SECRET", "")
			})
			clusters, _ := listClusters(t, sc, 1)
			var ids []string
			for _, c := range clusters {
				ids = append(ids, aws.ToString(c.ClusterId))
			}
			if !slices.Equal(ids, r.srv.ClusterIDs()) {
				t.Fatalf("clusters %v, want %v", ids, r.srv.ClusterIDs())
			}

			dc := drs.NewFromConfig(aws.Config{
				Region:           r.region,
				Credentials:      credentials.NewStaticCredentialsProvider(r.key, "SECRET", ""),
				RetryMaxAttempts: 1,
			}, func(o *drs.Options) { o.BaseEndpoint = aws.String(m.URL()) })
			jobs, _ := listJobs(t, dc, &drs.DescribeJobsInput{}, 1000)
			if !slices.Equal(jobIDs(jobs), r.srv.JobIDs()) {
				t.Fatal("DRS jobs differ from the Server's")
			}
		})
	}
	for _, r := range routes {
		for _, op := range []string{emulator.OpGetCallerIdentity, emulator.OpDescribeJobs} {
			if n := r.srv.Calls(op); n != 1 {
				t.Errorf("%s/%s: Calls(%s) = %d, want 1", r.region, r.key, op, n)
			}
		}
	}
}

func TestMuxRefusesUnknownCredentials(t *testing.T) {
	m := startMux(t)
	srv := emulator.New(emulator.Options{})
	m.Add("us-east-1", "AKIDKNOWN", srv)
	for _, tc := range []struct{ region, key string }{
		{"us-east-1", "AKIDUNKNOWN"},
		{"eu-central-1", "AKIDKNOWN"},
	} {
		t.Run(tc.region+"/"+tc.key, func(t *testing.T) {
			checkNames := func(t *testing.T, err error) {
				t.Helper()
				var ae smithy.APIError
				if !errors.As(err, &ae) || !strings.Contains(ae.ErrorMessage(), tc.key) || !strings.Contains(ae.ErrorMessage(), tc.region) {
					t.Fatalf("error %v does not name key %s and region %s", err, tc.key, tc.region)
				}
			}

			_, err := stsClient(m.URL(), tc.region, tc.key).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
			wantCode("InvalidClientTokenId", 403)(t, err)
			checkNames(t, err)

			sc := snowClient(m.URL(), func(o *snowball.Options) {
				o.Region = tc.region
				o.Credentials = credentials.NewStaticCredentialsProvider(tc.key, "SECRET", "")
			})
			_, err = sc.ListClusters(ctx(t), &snowball.ListClustersInput{})
			wantCode("UnrecognizedClientException", 403)(t, err)
			checkNames(t, err)

			dc := drs.NewFromConfig(aws.Config{
				Region:           tc.region,
				Credentials:      credentials.NewStaticCredentialsProvider(tc.key, "SECRET", ""),
				RetryMaxAttempts: 1,
			}, func(o *drs.Options) { o.BaseEndpoint = aws.String(m.URL()) })
			_, err = dc.DescribeJobs(ctx(t), &drs.DescribeJobsInput{})
			wantCode("UnrecognizedClientException", 403)(t, err)
			checkNames(t, err)
		})
	}

	t.Run("unsigned", func(t *testing.T) {
		a := rpc(t, m.URL(), smsTarget, `{}`)
		if a.status != 403 {
			t.Fatalf("status %d: %s", a.status, a.body)
		}
		checkJSON11Error(t, a, "UnrecognizedClientException")
		a = query(t, m.URL(), "Action=GetCallerIdentity&Version=2011-06-15", nil)
		checkXMLError(t, a, 403, "InvalidClientTokenId")
	})

	t.Run("signed by hand", func(t *testing.T) {
		auth := http.Header{"Authorization": {"AWS4-HMAC-SHA256 Credential=AKIDKNOWN/20261101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000"}}
		if a := query(t, m.URL(), "Action=GetCallerIdentity&Version=2011-06-15", auth); a.status != 200 {
			t.Fatalf("status %d: %s", a.status, a.body)
		}
	})

	for _, op := range []string{emulator.OpListClusters, emulator.OpDescribeJobs, emulator.OpGetReplicationJobs} {
		if n := srv.Calls(op); n != 0 {
			t.Errorf("refused calls reached the Server: Calls(%s) = %d", op, n)
		}
	}
	if n := srv.Calls(emulator.OpGetCallerIdentity); n != 1 {
		t.Errorf("Calls(GetCallerIdentity) = %d, want only the signed call", n)
	}
}

func TestMuxAddWhileServing(t *testing.T) {
	m := startMux(t)
	c := stsClient(m.URL(), "ap-southeast-2", "AKIDLATE")
	if _, err := c.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{}); err == nil {
		t.Fatal("call before Add succeeded")
	}
	m.Add("ap-southeast-2", "AKIDLATE", emulator.New(emulator.Options{Account: "999999999999"}))
	out, err := c.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(out.Account) != "999999999999" {
		t.Fatalf("after Add: %v, %v", out, err)
	}
	url := m.URL()
	m.Close()
	m.Close()
	if m.URL() != "" {
		t.Fatalf("URL after Close = %q", m.URL())
	}
	if _, err := http.Post(url+"/", "application/json", strings.NewReader(`{}`)); err == nil {
		t.Fatal("mux still answers after Close")
	}
}

func TestSingleServerIgnoresCredentials(t *testing.T) {
	srv := start(t, emulator.Options{Region: "eu-west-1", Account: "123123123123"})
	for _, key := range []string{"AKIDANY", "AKIDOTHER"} {
		out, err := stsClient(srv.URL(), "sa-east-1", key).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
		if err != nil || aws.ToString(out.Account) != "123123123123" {
			t.Fatalf("%s: %v, %v", key, out, err)
		}
	}
	if srv.Region() != "eu-west-1" {
		t.Fatalf("Region() = %s", srv.Region())
	}
	body, _ := json.Marshal(map[string]any{})
	if a := rpc(t, srv.URL(), smsTarget, string(body)); a.status != 200 {
		t.Fatalf("unsigned SMS call: %d", a.status)
	}
}
