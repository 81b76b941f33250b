package smsapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithylog "github.com/aws/smithy-go/logging"
	smithyrand "github.com/aws/smithy-go/rand"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// userAgent names archiver first, then the SDK pieces it is built on, in the
// SDK's own User-Agent syntax.
var userAgent = "archiver aws-sdk-go-v2/" + aws.SDKVersion + " ua/2.1 os/" + runtime.GOOS +
	" lang/go#" + strings.TrimPrefix(runtime.Version(), "go") + " md/GOARCH#" + runtime.GOARCH + " api/sms"

// invoke makes attempts at the JSON 1.1 operation op with request body
// payload until one succeeds, the retryer calls its error terminal or
// MaxAttempts is reached; the retry policy is the SDK's Attempt middleware
// (aws/retry), step for step. decode reads the body of a 2xx answer; it runs
// inside the attempt, so its errors are judged by the retryer like any other.
// invoke returns the request ID of the successful attempt.
func (c *Client) invoke(ctx context.Context, op string, payload []byte, optFns []func(*Options), decode func(body []byte) error) (string, error) {
	o := c.callOptions(optFns)
	endpoint, err := resolveEndpoint(o)
	if err != nil {
		return "", err
	}
	retryer := o.Retryer
	if o.RetryMaxAttempts != 0 {
		retryer = retry.AddWithMaxAttempts(retryer, o.RetryMaxAttempts)
	}
	r := asRetryerV2(retryer)
	maxAttempts := r.MaxAttempts()
	invocationID, err := smithyrand.NewUUID(rand.Reader).GetUUID()
	if err != nil {
		return "", fmt.Errorf("invocation ID: %w", err)
	}
	newRetries := newRetries2026()
	skew, learnt := c.skew.load(), false
	defer func() {
		if learnt {
			c.skew.store(skew)
		}
	}()
	releaseRetryToken := nopRelease
	for n := 1; ; n++ {
		// An attempt that cannot succeed takes no token from the pool.
		if err := ctx.Err(); err != nil {
			return "", err
		}
		releaseAttemptToken, err := r.GetAttemptToken(ctx)
		if err != nil {
			return "", fmt.Errorf("get attempt token: %w", err)
		}
		a := attempt{op: op, payload: payload, endpoint: endpoint, n: n, max: maxAttempts, invocationID: invocationID, skew: skew}
		res := c.attempt(ctx, &o, a, decode)
		err = res.err

		if rerr := releaseRetryToken(err); rerr != nil && err != nil {
			return "", fmt.Errorf("release retry token after request error: %w", err)
		}
		if !newRetries || n == 1 {
			if rerr := releaseAttemptToken(err); rerr != nil && err != nil {
				return "", fmt.Errorf("release attempt token after request error: %w", err)
			}
		}
		// The next attempt signs with the skew this answer showed. Unlike the
		// SDK, which then signs with none, an answer without a trusted Date
		// header leaves the skew as it was.
		if res.hasSkew {
			skew, learnt = res.skew, true
		}
		if err == nil {
			return res.requestID, nil
		}
		err = asClockSkewError(err, res, a.skew)

		if !r.IsErrorRetryable(err) {
			return "", err
		}
		if maxAttempts > 0 && n >= maxAttempts {
			return "", &retry.MaxAttemptsError{Attempt: n, Err: err}
		}
		release, tokErr := r.GetRetryToken(ctx, err)
		if tokErr != nil {
			return "", errors.Join(err, fmt.Errorf("get retry token: %w", tokErr))
		}
		releaseRetryToken = release
		delayAttempt := n
		if newRetries {
			delayAttempt = n - 1
		}
		delay, derr := r.RetryDelay(delayAttempt, err)
		if derr != nil {
			return "", errors.Join(err, fmt.Errorf("retry delay: %w", derr))
		}
		if newRetries {
			delay = retryAfter(delay, err)
		}
		if serr := sleep(ctx, delay); serr != nil {
			return "", &aws.RequestCanceledError{Err: serr}
		}
	}
}

// attempt is what one HTTP exchange of a call is made from.
type attempt struct {
	op           string
	payload      []byte
	endpoint     *url.URL
	n, max       int
	invocationID string
	skew         time.Duration // added to the clock to sign
}

// attemptResult is the outcome of one attempt: an error, or the request ID
// of a 2xx answer whose body decode accepted; and the clock skew the answer's
// Date header showed, if it could be trusted.
type attemptResult struct {
	requestID string
	skew      time.Duration
	hasSkew   bool
	err       error
}

// attempt sends one signed request and reads its answer. Errors are typed as
// the SDK's are, so that a retryer classifies them the same way: a transport
// failure is a *smithyhttp.RequestSendError (a connection error), a
// cancelled context a *smithy.CanceledError, and a non-2xx answer an
// *awshttp.ResponseError carrying the HTTP status around a
// *smithy.GenericAPIError.
func (c *Client) attempt(ctx context.Context, o *Options, a attempt, decode func([]byte) error) attemptResult {
	req, err := c.newRequest(ctx, o, a)
	if err != nil {
		return attemptResult{err: err}
	}
	sentAt := time.Now()
	logging := o.Logger != nil && o.ClientLogMode&(aws.LogRequest|aws.LogResponse) != 0
	if logging && o.ClientLogMode.IsRequest() {
		if dump, derr := httputil.DumpRequestOut(req, false); derr == nil {
			o.Logger.Logf(smithylog.Debug, "Request\n%s", dump)
		}
	}
	resp, err := o.HTTPClient.Do(req)
	if logging {
		status := "no answer"
		if err == nil {
			status = fmt.Sprintf("HTTP %d", resp.StatusCode)
			if o.ClientLogMode.IsResponse() {
				if dump, derr := httputil.DumpResponse(resp, false); derr == nil {
					o.Logger.Logf(smithylog.Debug, "Response\n%s", dump)
				}
			}
		}
		o.Logger.Logf(smithylog.Debug, "SMS %s: %s, attempt %d, %s", a.op, status, a.n, time.Since(sentAt).Round(time.Millisecond))
	}
	if err != nil {
		if ctx.Err() != nil {
			return attemptResult{err: &smithy.CanceledError{Err: ctx.Err()}}
		}
		return attemptResult{err: &smithyhttp.RequestSendError{Err: err}}
	}
	defer resp.Body.Close()
	res := attemptResult{requestID: requestID(resp.Header)}
	res.skew, res.hasSkew = clockSkewOf(resp.Header, sentAt, time.Now())

	body, err := io.ReadAll(resp.Body)
	if err != nil && ctx.Err() != nil {
		res.err = &smithy.CanceledError{Err: ctx.Err()}
		return res
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if err != nil {
			err = fmt.Errorf("read error response: %w", err)
		} else {
			err = decodeAPIError(resp, body)
		}
		res.err = &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: err},
			RequestID:     res.requestID,
		}
		return res
	}
	if err != nil {
		res.err = fmt.Errorf("decode response: %w", err)
		return res
	}
	if err := decode(body); err != nil {
		res.err = &DecodeError{ContentType: resp.Header.Get("Content-Type"), Body: body, Err: err}
	}
	return res
}

// newRequest builds and signs the request of one attempt.
func (c *Client) newRequest(ctx context.Context, o *Options, a attempt) (*http.Request, error) {
	u := *a.endpoint
	u.Path = smithyhttp.JoinPath(a.endpoint.Path, "/")
	if a.endpoint.RawPath != "" {
		u.RawPath = smithyhttp.JoinPath(a.endpoint.RawPath, "/")
	}
	u.RawQuery, u.Fragment = "", ""
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(a.payload))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", targetPrefix+a.op)
	ua := userAgent
	if o.AppID != "" {
		ua += " app/" + strings.Map(userAgentRune, o.AppID)
	}
	req.Header.Set("User-Agent", ua)
	req.Header.Set("Amz-Sdk-Invocation-Id", a.invocationID)
	retryInfo := "attempt=" + strconv.Itoa(a.n)
	if a.max != 0 {
		retryInfo += "; max=" + strconv.Itoa(a.max)
	}
	req.Header.Set("Amz-Sdk-Request", retryInfo)

	if o.Credentials == nil {
		return nil, errors.New("sign request: no credentials provider")
	}
	if aws.IsCredentialsProvider(o.Credentials, (*aws.AnonymousCredentials)(nil)) {
		return req, nil
	}
	creds, err := o.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("retrieve credentials: %w", err)
	}
	sum := sha256.Sum256(a.payload)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), signingName, o.Region, time.Now().Add(a.skew)); err != nil {
		return nil, fmt.Errorf("sign request: %w", err)
	}
	return req, nil
}

// userAgentRune keeps the characters the SDK allows in a User-Agent token and
// turns the rest into '-', as the SDK does.
func userAgentRune(r rune) rune {
	switch {
	case r >= '0' && r <= '9', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		return r
	case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		return r
	}
	return '-'
}

// requestID returns the request ID AWS gave the answer, from the headers the
// SDK reads it from.
func requestID(h http.Header) string {
	for _, k := range []string{"X-Amzn-Requestid", "X-Amz-Requestid"} {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

// asRetryerV2 returns r as an aws.RetryerV2, as the SDK wraps a plain
// aws.Retryer: its GetInitialToken stands in for GetAttemptToken.
func asRetryerV2(r aws.Retryer) aws.RetryerV2 {
	if v, ok := r.(aws.RetryerV2); ok {
		return v
	}
	return retryerV2{r}
}

type retryerV2 struct{ aws.Retryer }

func (r retryerV2) GetAttemptToken(context.Context) (func(error) error, error) {
	return r.GetInitialToken(), nil
}

func nopRelease(error) error { return nil }

// newRetries2026 reports whether the SDK's revised retry behaviour is on; the
// SDK's retryer and Attempt middleware read the same variable.
func newRetries2026() bool {
	return os.Getenv("AWS_NEW_RETRIES_2026") == "true"
}

// retryAfter adjusts delay to the X-Amz-Retry-After header of an error
// answer, in milliseconds, bounded to [delay, delay+5s], as the SDK does
// under AWS_NEW_RETRIES_2026.
func retryAfter(delay time.Duration, err error) time.Duration {
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil || re.Response.Response == nil {
		return delay
	}
	ms, perr := strconv.ParseInt(re.Response.Header.Get("X-Amz-Retry-After"), 10, 64)
	if perr != nil || ms < 0 {
		return delay
	}
	return min(max(time.Duration(ms)*time.Millisecond, delay), delay+5*time.Second)
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
