package sync

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	gosync "sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// What a new user meets first: no credentials, a proxy in front of AWS, an
// endpoint that does not answer. Each is said in one line a person can act
// on, instead of the SDK's chain of errors.

// CredentialsError is returned when the AWS credential chain gave no
// credentials: none is configured (the chain fell through to the instance
// metadata service, and found no role there), or the configured source
// failed (an expired SSO session, a role that cannot be assumed).
type CredentialsError struct {
	// Profile is the shared-config profile asked for; empty for the
	// default chain.
	Profile string
	// None is set when no source of credentials is configured at all.
	None bool
	// Err is the chain's error.
	Err error
}

// Error says which credentials are missing, and why when a source failed.
func (e *CredentialsError) Error() string {
	of := ""
	if e.Profile != "" {
		of = " of profile " + e.Profile
	}
	if e.None {
		return "no AWS credentials found" + of
	}
	return "could not get the AWS credentials" + of + ": " + innermost(e.Err)
}

// Unwrap returns the chain's error.
func (e *CredentialsError) Unwrap() error { return e.Err }

// CredentialsHint says what to set when there are no credentials.
const CredentialsHint = "set AWS_PROFILE or pass --profile, run 'aws configure', or run 'aws sso login' for an SSO profile"

// innermost is the text of the last error err wraps: the cause, without the
// layers of the SDK's chain.
func innermost(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// checkCredentials gets cfg's credentials once, before the first call, so
// that missing ones are said plainly. They are cached: the calls after it
// use them.
func checkCredentials(ctx context.Context, cfg aws.Config, profile string) error {
	if cfg.Credentials == nil {
		return nil
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The default chain ends with the instance role; reaching it off
		// an instance means nothing was configured.
		none := aws.IsCredentialsProvider(cfg.Credentials, (*ec2rolecreds.Provider)(nil))
		return &CredentialsError{Profile: profile, None: none, Err: err}
	}
	return nil
}

// proxyAnswerError is an answer that came from something between archiver
// and AWS: an HTML page (a captive portal, a proxy's error page) or a proxy
// asking for credentials.
type proxyAnswerError struct {
	status int
	ctype  string
	err    error
}

func (e *proxyAnswerError) Error() string {
	if e.status == http.StatusProxyAuthRequired {
		return "the answer was HTTP 407 Proxy Authentication Required (a proxy is in the way: give it credentials in HTTPS_PROXY, or bypass it with NO_PROXY)"
	}
	return fmt.Sprintf("the answer was not XML (%s: a proxy or captive portal?)", e.ctype)
}

func (e *proxyAnswerError) Unwrap() error { return e.err }

// markProxyAnswers is an SDK stack option for STS, whose answers are XML:
// an HTML answer or a 407, at any status, is said to come from a proxy
// rather than passed on as the XML decoder's complaint. (DRS's JSON answers
// get the same from markBadAnswers.)
func markProxyAnswers(stack *middleware.Stack) error {
	return stack.Deserialize.Insert(middleware.DeserializeMiddlewareFunc("archiver.MarkProxyAnswers",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			resp, ok := out.RawResponse.(*smithyhttp.Response)
			if !ok || resp == nil {
				return out, md, err
			}
			ctype, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
			if resp.StatusCode == http.StatusProxyAuthRequired || ctype == "text/html" {
				if err == nil {
					err = errors.New("HTML answer")
				}
				return out, md, &proxyAnswerError{status: resp.StatusCode, ctype: ctype, err: err}
			}
			return out, md, err
		}), "OperationDeserializer", middleware.Before)
}

// retryNoticeInterval is the least time between two retry notices: calls
// that fail together (job logs read at once) make one line.
const retryNoticeInterval = 5 * time.Second

type attemptsKey struct{}

// retryNotices returns an SDK stack option that tells notify, in one line,
// when a call failed and will be tried again: which call, why, where, and
// which attempt comes next, such as "DescribeJobs: connection refused at
// http://127.0.0.1:9; retrying (attempt 2 of 12)". A burst of failures
// makes one line per retryNoticeInterval.
func retryNotices(maxAttempts int, notify func(string)) func(*middleware.Stack) error {
	var (
		mu   gosync.Mutex
		last time.Time
	)
	classify := newRetryer(maxAttempts, time.Second)
	return func(stack *middleware.Stack) error {
		// Outside the retry loop: one attempt counter per call.
		err := stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("archiver.CountAttempts",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				return next.HandleFinalize(context.WithValue(ctx, attemptsKey{}, new(int)), in)
			}), "Retry", middleware.Before)
		if err != nil {
			return err
		}
		// Inside it: every attempt.
		return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("archiver.RetryNotices",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleFinalize(ctx, in)
				n, ok := ctx.Value(attemptsKey{}).(*int)
				if !ok {
					return out, md, err
				}
				*n++
				if err == nil || ctx.Err() != nil || *n >= maxAttempts || !classify.IsErrorRetryable(err) {
					return out, md, err
				}
				mu.Lock()
				now := time.Now()
				say := last.IsZero() || now.Sub(last) >= retryNoticeInterval
				if say {
					last = now
				}
				mu.Unlock()
				if say {
					where := ""
					if req, ok := in.Request.(*smithyhttp.Request); ok && req.URL != nil {
						where = " at " + req.URL.Scheme + "://" + req.URL.Host
					}
					notify(fmt.Sprintf("%s: %s%s; retrying (attempt %d of %d)",
						awsmiddleware.GetOperationName(ctx), retryReason(err), where, *n+1, maxAttempts))
				}
				return out, md, err
			}), "Retry", middleware.After)
	}
}

// retryReason says in a few words why a call failed.
func retryReason(err error) string {
	var (
		ae   smithy.APIError
		re   *smithyhttp.ResponseError
		dnse *net.DNSError
	)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &dnse):
		return "cannot resolve " + dnse.Name
	case errors.Is(err, os.ErrDeadlineExceeded), isTimeout(err):
		return "no answer in time"
	case errors.As(err, &ae) && errors.As(err, &re):
		return fmt.Sprintf("HTTP %d %s", re.HTTPStatusCode(), ae.ErrorCode())
	case errors.As(err, &ae):
		return ae.ErrorCode()
	case errors.As(err, &re):
		return fmt.Sprintf("HTTP %d", re.HTTPStatusCode())
	}
	return strings.TrimSpace(innermost(err))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// UnreachableError is returned when a call never got an answer: the
// endpoint refused the connection, could not be resolved, or did not answer
// in time, on every attempt.
type UnreachableError struct {
	// Op is the operation, such as "GetCallerIdentity".
	Op string
	// Endpoint is the scheme and host the call went to.
	Endpoint string
	// Attempts is how many tries were made; 0 if unknown.
	Attempts int
	// Err is the SDK's error.
	Err error
}

// Error names the call, the endpoint and the reason.
func (e *UnreachableError) Error() string {
	s := fmt.Sprintf("%s: %s at %s", e.Op, retryReason(e.Err), e.Endpoint)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (gave up after %d attempts)", e.Attempts)
	}
	return s
}

// Unwrap returns the SDK's error.
func (e *UnreachableError) Unwrap() error { return e.Err }

// unreachable returns err as an *UnreachableError when the call of op never
// got an answer, and err otherwise.
func unreachable(op string, err error) error {
	var (
		se  *smithyhttp.RequestSendError
		ue  *url.Error
		mae *retry.MaxAttemptsError
	)
	if !errors.As(err, &se) || !errors.As(err, &ue) {
		return err
	}
	where := ue.URL
	if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
		where = u.Scheme + "://" + u.Host
	}
	e := &UnreachableError{Op: op, Endpoint: where, Err: err}
	if errors.As(err, &mae) {
		e.Attempts = mae.Attempt
	}
	return e
}
