package emulator_test

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/archiver-dev/archiver/internal/emulator"
)

// stsClient returns a real STS SDK client aimed at base, signing for
// region with accessKeyID, that does not retry unless optFns say so.
func stsClient(base, region, accessKeyID string, optFns ...func(*sts.Options)) *sts.Client {
	cfg := aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(accessKeyID, "SECRET", ""),
		RetryMaxAttempts: 1,
	}
	fns := append([]func(*sts.Options){func(o *sts.Options) {
		o.BaseEndpoint = aws.String(base)
		o.RetryMaxAttempts = 1
	}}, optFns...)
	return sts.NewFromConfig(cfg, fns...)
}

// stsRetries makes an STS client try each call up to attempts times, at
// once.
func stsRetries(attempts int) func(*sts.Options) {
	return func(o *sts.Options) {
		o.Retryer = fastRetryer(attempts)
		o.RetryMaxAttempts = 0 // a non-zero value would wrap Retryer
	}
}

func TestGetCallerIdentity(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    emulator.Options
		account string
	}{
		{"default account", emulator.Options{}, emulator.DefaultAccount},
		{"own account", emulator.Options{Account: "111122223333"}, "111122223333"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := start(t, tc.opts)
			if srv.Account() != tc.account {
				t.Fatalf("Account() = %s, want %s", srv.Account(), tc.account)
			}
			out, err := stsClient(srv.URL(), "us-east-1", "AKID").GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.Account) != tc.account {
				t.Fatalf("Account %q, want %q", aws.ToString(out.Account), tc.account)
			}
			if arn := aws.ToString(out.Arn); !strings.HasPrefix(arn, "arn:aws:iam::"+tc.account+":user/") {
				t.Fatalf("Arn %q is not a user of %s", arn, tc.account)
			}
			if id := aws.ToString(out.UserId); len(id) != 21 || !strings.HasPrefix(id, "AIDA") {
				t.Fatalf("UserId %q", id)
			}
			if n := srv.Calls(emulator.OpGetCallerIdentity); n != 1 {
				t.Fatalf("Calls(GetCallerIdentity) = %d, want 1", n)
			}
		})
	}
}

func TestSTSFaults(t *testing.T) {
	srv := start(t, emulator.Options{})
	op := emulator.OpGetCallerIdentity
	plain := stsClient(srv.URL(), "us-east-1", "AKID")
	retrying := stsClient(srv.URL(), "us-east-1", "AKID", stsRetries(3))
	for _, tc := range []struct {
		name      string
		faults    emulator.Faults
		client    *sts.Client
		wantCalls int
		check     func(t *testing.T, err error)
	}{
		{"throttled and retried", emulator.Faults{ThrottleRate: 1}, retrying, 3, wantCode("Throttling", 400)},
		{"server error and retried", emulator.Faults{ServerErrorRate: 1}, retrying, 3, wantCode("InternalFailure", 500)},
		{"truncated", emulator.Faults{Truncate: map[string]bool{op: true}}, plain, 1, wantDeserialization},
		{"malformed", emulator.Faults{Malformed: map[string]bool{op: true}}, plain, 1, wantDeserialization},
		{"other operation malformed", emulator.Faults{Malformed: map[string]bool{emulator.OpListClusters: true}}, plain, 1, func(t *testing.T, err error) {
			if err != nil {
				t.Fatalf("got %v, want success", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.ResetCounts()
			srv.SetFaults(tc.faults)
			defer srv.SetFaults(emulator.Faults{})
			_, err := tc.client.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
			tc.check(t, err)
			if n := srv.Calls(op); n != tc.wantCalls {
				t.Fatalf("Calls = %d, want %d", n, tc.wantCalls)
			}
		})
	}
}

// xmlError is an error answer of the query protocol.
type xmlError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// query makes one raw query-protocol call with the form body.
func query(t *testing.T, url, body string, header http.Header) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(res.Body); err != nil {
		t.Fatal(err)
	}
	return answer{res.StatusCode, res.Header, b.Bytes()}
}

// checkXMLError checks that a is a query-protocol error answer with the
// given code.
func checkXMLError(t *testing.T, a answer, status int, code string) xmlError {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "text/xml" {
		t.Fatalf("Content-Type %q", ct)
	}
	var e xmlError
	if err := xml.Unmarshal(a.body, &e); err != nil {
		t.Fatalf("body is not an ErrorResponse: %v\n%s", err, a.body)
	}
	if e.Error.Code != code || e.Error.Message == "" || e.RequestID == "" {
		t.Fatalf("error %+v, want code %s", e, code)
	}
	return e
}

func TestQueryWire(t *testing.T) {
	srv := start(t, emulator.Options{Account: "210000000012"})
	url := srv.URL()
	a := query(t, url, "Action=GetCallerIdentity&Version=2011-06-15", nil)
	if a.status != 200 || a.header.Get("Content-Type") != "text/xml" {
		t.Fatalf("status %d, Content-Type %q", a.status, a.header.Get("Content-Type"))
	}
	var out struct {
		XMLName xml.Name `xml:"GetCallerIdentityResponse"`
		Result  struct {
			Arn, UserID, Account string
		} `xml:"GetCallerIdentityResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal(a.body, &out); err != nil {
		t.Fatalf("%v\n%s", err, a.body)
	}
	if out.Result.Account != "210000000012" || out.RequestID != a.header.Get("X-Amzn-Requestid") {
		t.Fatalf("answer %+v, request ID header %s", out, a.header.Get("X-Amzn-Requestid"))
	}
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"unknown action", "Action=AssumeRole&Version=2011-06-15", 400, "InvalidAction"},
		{"no action", "Version=2011-06-15", 400, "InvalidAction"},
		{"wrong version", "Action=GetCallerIdentity&Version=2010-01-01", 400, "InvalidParameterValue"},
		{"no version", "Action=GetCallerIdentity", 400, "InvalidParameterValue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkXMLError(t, query(t, url, tc.body, nil), tc.status, tc.code)
		})
	}
	t.Run("POST / naming nothing", func(t *testing.T) {
		a := send(t, http.MethodPost, url+"/", `{}`)
		if a.status != 404 || a.header.Get("X-Amzn-ErrorType") != "UnknownOperationException" {
			t.Fatalf("status %d, error type %q", a.status, a.header.Get("X-Amzn-ErrorType"))
		}
	})
}
