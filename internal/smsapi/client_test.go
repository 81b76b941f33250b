package smsapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"

	"github.com/archiver-dev/archiver/internal/smsapi"
)

const okBody = `{"replicationJobList":[{"replicationJobId":"sms-job-1","state":"ACTIVE"}]}`

// Elements with odd spacing, escapes, number forms and members no SDK
// models, which the client must hand back byte for byte.
var (
	oddJob1 = "{\"replicationJobId\":\"sms-job-1\",  \"state\" : \"ACTIVE\",\n\t\"futureMember\": {\"nested\": [1, 2.50, 1e3, \"x\\u00e9\\/\"]}, \"runOnce\":false}"
	oddJob2 = `{ "replicationJobId" : "sms-job-2", "replicationRunList" : [ ], "frequency":12 ,"seedReplicationTime":1.5E9 }`
	oddBody = "{ \"replicationJobList\" : [ " + oddJob1 + "\n ,\n\t" + oddJob2 + " ],\n \"nextToken\":\"tok-2\", \"unmodelledTopLevel\": {\"a\":[]} }\n"
)

func TestGetReplicationJobsSendsSignedRequestAndKeepsExactBytes(t *testing.T) {
	f := newFakeSMS(t, func(int, request) reply { return reply{body: oddBody} })
	hermeticEnv(t, "")
	cfg := loadConfig(t, 3, config.WithAppID("nightly archive"))
	c := smsapi.NewFromConfig(cfg, func(o *smsapi.Options) { o.BaseEndpoint = aws.String(f.URL()) })

	out, err := c.GetReplicationJobs(context.Background(), &smsapi.GetReplicationJobsInput{
		ReplicationJobId: aws.String("sms-job-1"),
		NextToken:        aws.String("tok-1"),
		MaxResults:       aws.Int32(25),
	})
	if err != nil {
		t.Fatalf("GetReplicationJobs: %v", err)
	}

	req := f.received(1)
	var sent map[string]any
	if err := json.Unmarshal(req.body, &sent); err != nil {
		t.Fatalf("request body %q: %v", req.body, err)
	}
	wantSent := map[string]any{"replicationJobId": "sms-job-1", "nextToken": "tok-1", "maxResults": 25.0}
	if !reflect.DeepEqual(sent, wantSent) {
		t.Errorf("request body %s, want members %v", req.body, wantSent)
	}
	if ua := req.header.Get("User-Agent"); !strings.HasPrefix(ua, "archiver ") || !strings.Contains(ua, " app/nightly-archive") {
		t.Errorf("User-Agent %q: want it to start with archiver and carry app/nightly-archive", ua)
	}
	if got := req.header.Get("Amz-Sdk-Request"); got != "attempt=1; max=3" {
		t.Errorf("Amz-Sdk-Request %q, want attempt=1; max=3", got)
	}

	if string(out.RawBody) != oddBody {
		t.Errorf("RawBody differs from the body sent:\n got %q\nwant %q", out.RawBody, oddBody)
	}
	want := []string{oddJob1, oddJob2}
	if len(out.ReplicationJobList) != len(want) {
		t.Fatalf("%d jobs, want %d", len(out.ReplicationJobList), len(want))
	}
	for i, job := range out.ReplicationJobList {
		if string(job) != want[i] {
			t.Errorf("job %d:\n got %q\nwant %q", i, job, want[i])
		}
	}
	if aws.ToString(out.NextToken) != "tok-2" {
		t.Errorf("NextToken %v, want tok-2", aws.ToString(out.NextToken))
	}
	if out.RequestID != "req-1" {
		t.Errorf("RequestID %q, want req-1", out.RequestID)
	}
}

func TestGetReplicationJobsEmptyInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   *smsapi.GetReplicationJobsInput
	}{
		{"nil input", nil},
		{"zero input", &smsapi.GetReplicationJobsInput{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSMS(t, func(int, request) reply { return reply{body: `{"replicationJobList":[],"nextToken":null}`} })
			c := newTestClient(t, f, 3)
			out, err := c.GetReplicationJobs(context.Background(), tc.in)
			if err != nil {
				t.Fatalf("GetReplicationJobs: %v", err)
			}
			if got := string(f.received(1).body); got != "{}" {
				t.Errorf("request body %q, want {}", got)
			}
			if len(out.ReplicationJobList) != 0 || out.NextToken != nil {
				t.Errorf("got %d jobs and token %v, want none", len(out.ReplicationJobList), out.NextToken)
			}
		})
	}
}

func TestGetReplicationJobsRetries(t *testing.T) {
	const html = "<html><head><title>502 Bad Gateway</title></head>\n<body>Bad Gateway</body></html>"
	throttled := reply{status: 400, body: `{"__type":"ThrottlingException","message":"Rate exceeded"}`}
	ok := reply{body: okBody}
	for _, tc := range []struct {
		name      string
		replies   []reply // in order; the last one repeats
		attempts  int
		wantCalls int
		// What the error must carry when the call fails; zero for success.
		wantCode, wantMessage string
		wantStatus            int
		wantFault             smithy.ErrorFault
		wantMaxAttempts       bool
	}{
		{name: "throttling then success", replies: []reply{throttled, throttled, ok}, attempts: 3, wantCalls: 3},
		{name: "429 then success", replies: []reply{{status: 429, body: `{"__type":"TooManyRequestsException"}`}, ok}, attempts: 3, wantCalls: 2},
		{name: "5xx then success", replies: []reply{
			{status: 500, body: `{"__type":"InternalError","message":"oops"}`},
			{status: 503, header: map[string]string{"Content-Type": "text/html"}, body: html},
			ok,
		}, attempts: 3, wantCalls: 3},
		{name: "dropped connection then success", replies: []reply{{hangUp: true}, ok}, attempts: 3, wantCalls: 2},
		{name: "error code only in the header, retried", replies: []reply{
			{status: 400, header: map[string]string{"X-Amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/"}, body: `{}`},
			ok,
		}, attempts: 3, wantCalls: 2},
		{
			name: "throttled until MaxAttempts", replies: []reply{throttled}, attempts: 4, wantCalls: 4,
			wantCode: "ThrottlingException", wantMessage: "Rate exceeded", wantStatus: 400, wantFault: smithy.FaultClient, wantMaxAttempts: true,
		},
		{
			name: "server error until MaxAttempts", replies: []reply{{status: 500, body: `{"__type":"InternalError","message":"oops"}`}}, attempts: 2, wantCalls: 2,
			wantCode: "InternalError", wantMessage: "oops", wantStatus: 500, wantFault: smithy.FaultServer, wantMaxAttempts: true,
		},
		{
			name: "proxy page until MaxAttempts", replies: []reply{{status: 502, header: map[string]string{"Content-Type": "text/html"}, body: html}}, attempts: 2, wantCalls: 2,
			wantCode: "UnknownError", wantMessage: "<html><head><title>502 Bad Gateway</title></head> <body>Bad Gateway</body></html>", wantStatus: 502, wantFault: smithy.FaultServer, wantMaxAttempts: true,
		},
		{
			name: "validation error is not retried", replies: []reply{{status: 400, body: `{"__type":"ValidationException","message":"1 validation error detected: maxResults"}`}}, attempts: 5, wantCalls: 1,
			wantCode: "ValidationException", wantMessage: "1 validation error detected: maxResults", wantStatus: 400, wantFault: smithy.FaultClient,
		},
		{
			name: "namespaced __type and Message", replies: []reply{{status: 400, body: `{"__type":"com.amazonaws.sms.v20161024#InvalidParameterException","Message":"bad replicationJobId"}`}}, attempts: 5, wantCalls: 1,
			wantCode: "InvalidParameterException", wantMessage: "bad replicationJobId", wantStatus: 400, wantFault: smithy.FaultClient,
		},
		{
			name: "error code only in the header, not retried", replies: []reply{{status: 403, header: map[string]string{"X-Amzn-ErrorType": "UnauthorizedOperationException"}, body: `{"message":"not allowed"}`}}, attempts: 5, wantCalls: 1,
			wantCode: "UnauthorizedOperationException", wantMessage: "not allowed", wantStatus: 403, wantFault: smithy.FaultClient,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSMS(t, func(n int, _ request) reply { return tc.replies[min(n, len(tc.replies))-1] })
			c := newTestClient(t, f, tc.attempts)
			out, err := c.GetReplicationJobs(context.Background(), &smsapi.GetReplicationJobsInput{})
			if got := f.calls(); got != tc.wantCalls {
				t.Errorf("%d calls, want %d", got, tc.wantCalls)
			}
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("GetReplicationJobs: %v", err)
				}
				if len(out.ReplicationJobList) != 1 {
					t.Errorf("%d jobs, want 1", len(out.ReplicationJobList))
				}
				if got, want := f.received(tc.wantCalls).header.Get("Amz-Sdk-Request"), "attempt="+strconv.Itoa(tc.wantCalls)+"; max="+strconv.Itoa(tc.attempts); got != want {
					t.Errorf("last Amz-Sdk-Request %q, want %q", got, want)
				}
				return
			}
			if err == nil {
				t.Fatalf("GetReplicationJobs succeeded, want %s", tc.wantCode)
			}
			if out != nil {
				t.Errorf("output %+v alongside the error", out)
			}
			if !strings.HasPrefix(err.Error(), "GetReplicationJobs: ") {
				t.Errorf("error %q does not name GetReplicationJobs", err)
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v (%T) is no smithy.APIError", err, err)
			}
			if apiErr.ErrorCode() != tc.wantCode || apiErr.ErrorMessage() != tc.wantMessage || apiErr.ErrorFault() != tc.wantFault {
				t.Errorf("API error %q %q fault %v, want %q %q fault %v",
					apiErr.ErrorCode(), apiErr.ErrorMessage(), apiErr.ErrorFault(), tc.wantCode, tc.wantMessage, tc.wantFault)
			}
			var respErr *awshttp.ResponseError
			if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != tc.wantStatus {
				t.Errorf("error %v carries no HTTP status %d", err, tc.wantStatus)
			} else if respErr.ServiceRequestID() != "req-"+strconv.Itoa(tc.wantCalls) {
				t.Errorf("request ID %q, want req-%d", respErr.ServiceRequestID(), tc.wantCalls)
			}
			var maxErr *retry.MaxAttemptsError
			if errors.As(err, &maxErr) != tc.wantMaxAttempts {
				t.Errorf("error %v: MaxAttemptsError %v, want %v", err, !tc.wantMaxAttempts, tc.wantMaxAttempts)
			}
		})
	}
}

func TestGetReplicationJobsBadBody(t *testing.T) {
	for _, tc := range []struct {
		name string
		rep  reply
		want string // in the error, after "GetReplicationJobs: decode response: "
	}{
		{"cut off in transit", reply{body: okBody[:30], short: 40}, "unexpected EOF"},
		{"truncated JSON", reply{body: okBody[:len(okBody)-3]}, "unexpected end of JSON input"},
		{"HTML page", reply{header: map[string]string{"Content-Type": "text/html"}, body: "<html><body>Down for maintenance</body></html>"}, "body is not a JSON object"},
		{"empty body", reply{body: ""}, "empty body"},
		{"bare null", reply{body: "null"}, "body is not a JSON object"},
		{"trailing garbage", reply{body: okBody + "}"}, "invalid character"},
		{"list is an object", reply{body: `{"replicationJobList":{"replicationJobId":"sms-job-1"}}`}, "replicationJobList: "},
		{"job is a string", reply{body: `{"replicationJobList":["sms-job-1"]}`}, "replicationJobList[0] is not a JSON object"},
		{"token is a number", reply{body: `{"replicationJobList":[],"nextToken":7}`}, "nextToken: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSMS(t, func(int, request) reply { return tc.rep })
			c := newTestClient(t, f, 3)
			out, err := c.GetReplicationJobs(context.Background(), nil)
			if err == nil {
				t.Fatalf("GetReplicationJobs succeeded with %d jobs, want an error", len(out.ReplicationJobList))
			}
			if out != nil {
				t.Errorf("partial output %+v", out)
			}
			const prefix = "GetReplicationJobs: decode response: "
			if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want %q followed by %q", err, prefix, tc.want)
			}
			if got := f.calls(); got != 1 {
				t.Errorf("%d calls, want 1: a bad body is not retried", got)
			}
			// A body read whole carries its bytes and Content-Type, so that
			// callers can say what came instead of the answer.
			var de *smsapi.DecodeError
			if whole := tc.rep.short == 0; errors.As(err, &de) != whole {
				t.Fatalf("error %v: DecodeError %v, want %v", err, !whole, whole)
			}
			if de != nil {
				ct := tc.rep.header["Content-Type"]
				if ct == "" {
					ct = "application/x-amz-json-1.1"
				}
				if string(de.Body) != tc.rep.body || de.ContentType != ct {
					t.Errorf("DecodeError body %q, Content-Type %q; want %q, %q", de.Body, de.ContentType, tc.rep.body, ct)
				}
			}
		})
	}
}

// cancelOnDelay cancels the call's context when the retryer is asked how
// long to wait, and asks for an hour.
type cancelOnDelay struct {
	aws.Retryer
	cancel context.CancelFunc
}

func (r cancelOnDelay) RetryDelay(int, error) (time.Duration, error) {
	r.cancel()
	return time.Hour, nil
}

func TestGetReplicationJobsCancelledDuringBackoff(t *testing.T) {
	f := newFakeSMS(t, func(int, request) reply {
		return reply{status: 400, body: `{"__type":"ThrottlingException"}`}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hermeticEnv(t, "")
	cfg := loadConfig(t, 5)
	c := smsapi.NewFromConfig(cfg, func(o *smsapi.Options) {
		o.BaseEndpoint = aws.String(f.URL())
		o.Retryer = cancelOnDelay{Retryer: noWaitRetryer(5), cancel: cancel}
	})
	_, err := c.GetReplicationJobs(ctx, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if got := f.calls(); got != 1 {
		t.Errorf("%d calls, want 1", got)
	}

	// A context cancelled before the call makes no call at all.
	_, err = c.GetReplicationJobs(ctx, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if got := f.calls(); got != 1 {
		t.Errorf("%d calls after a cancelled call, want still 1", got)
	}
}

func TestRetryMaxAttemptsOverridesRetryer(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cfgMax    int // aws.Config.RetryMaxAttempts, which config fills from AWS_MAX_ATTEMPTS
		callMax   int // Options.RetryMaxAttempts of the call
		wantCalls int
	}{
		{"retryer's own", 0, 0, 6},
		{"config's", 2, 0, 2},
		{"call's", 2, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSMS(t, func(int, request) reply {
				return reply{status: 503, body: `{"__type":"ServiceUnavailableException"}`}
			})
			hermeticEnv(t, "")
			cfg := loadConfig(t, 6)
			cfg.RetryMaxAttempts = tc.cfgMax
			c := smsapi.NewFromConfig(cfg, func(o *smsapi.Options) { o.BaseEndpoint = aws.String(f.URL()) })
			_, err := c.GetReplicationJobs(context.Background(), nil, func(o *smsapi.Options) {
				if tc.callMax != 0 {
					o.RetryMaxAttempts = tc.callMax
				}
			})
			if err == nil {
				t.Fatal("GetReplicationJobs succeeded, want an error")
			}
			if got := f.calls(); got != tc.wantCalls {
				t.Errorf("%d calls, want %d", got, tc.wantCalls)
			}
		})
	}
}

func TestClockSkewIsCorrected(t *testing.T) {
	f := newFakeSMS(t, func(int, request) reply { return reply{body: okBody} })
	f.offset = time.Hour // the service's clock is an hour ahead of ours
	c := newTestClient(t, f, 3)
	for i := 1; i <= 2; i++ {
		if _, err := c.GetReplicationJobs(context.Background(), nil); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	// The first attempt fails on the skewed clock and is retried with the
	// service's time; the second call signs with it from the start.
	if got := f.calls(); got != 3 {
		t.Errorf("%d requests, want 3", got)
	}
}

func TestAnonymousCredentialsSendUnsigned(t *testing.T) {
	f := newFakeSMS(t, func(int, request) reply { return reply{body: okBody} })
	f.anonymous = true
	hermeticEnv(t, "")
	cfg := loadConfig(t, 1, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	c := smsapi.NewFromConfig(cfg, func(o *smsapi.Options) { o.BaseEndpoint = aws.String(f.URL()) })
	if _, err := c.GetReplicationJobs(context.Background(), nil); err != nil {
		t.Fatalf("GetReplicationJobs: %v", err)
	}
}

func TestWrongKeysAreRefused(t *testing.T) {
	f := newFakeSMS(t, func(int, request) reply { return reply{body: okBody} })
	c := newTestClient(t, f, 3)
	_, err := c.GetReplicationJobs(context.Background(), nil, func(o *smsapi.Options) {
		o.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(testCreds.AccessKeyID, "not-the-secret", testCreds.SessionToken))
	})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidSignatureException" {
		t.Fatalf("error %v, want InvalidSignatureException", err)
	}
	t.Log(err)
	// The clocks agree, so the signature error is not taken for skew.
	if got := f.calls(); got != 1 {
		t.Errorf("%d calls, want 1", got)
	}
}
