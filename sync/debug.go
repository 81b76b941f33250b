package sync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	gosync "sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Debug output: with Options.Debug set, every AWS call is shown on it
// through the SDK's own hooks: its client log modes print each request's
// and response's line and headers (never a body) and each retry, and a
// middleware prints, per operation, its HTTP status, attempts and time.
// Credentials and signatures are redacted on the way out.

// debugLogMode is what the SDK logs with --debug: requests and responses
// without bodies (a body can carry credentials, as STS's does), retries.
const debugLogMode = aws.LogRequest | aws.LogResponse | aws.LogRetries

// debugOptions returns the configuration options that send the SDK's log
// to w, redacted; none when w is nil.
func debugOptions(w io.Writer) []func(*config.LoadOptions) error {
	if w == nil {
		return nil
	}
	dw := &debugWriter{w: w}
	return []func(*config.LoadOptions) error{
		config.WithLogger(logging.LoggerFunc(func(_ logging.Classification, format string, v ...any) {
			dw.print(fmt.Sprintf(format, v...))
		})),
		config.WithClientLogMode(debugLogMode),
		config.WithAPIOptions([]func(*middleware.Stack) error{func(st *middleware.Stack) error {
			return st.Initialize.Add(callTimer{dw}, middleware.After)
		}}),
	}
}

// debugWriter writes debug lines, redacted, one message at a time.
type debugWriter struct {
	mu gosync.Mutex
	w  io.Writer
}

func (d *debugWriter) print(msg string) {
	msg = Redact(strings.ReplaceAll(strings.TrimRight(msg, "\r\n"), "\r\n", "\n"))
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, l := range strings.Split(msg, "\n") {
		fmt.Fprintf(d.w, "archiver: debug: %s\n", l)
	}
}

// callTimer is the middleware that prints one line per operation.
type callTimer struct{ dw *debugWriter }

func (callTimer) ID() string { return "archiver.debugCallTimer" }

func (t callTimer) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	start := time.Now()
	out, md, err := next.HandleInitialize(ctx, in)
	status := "no answer"
	var re *smithyhttp.ResponseError
	if resp, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && resp != nil {
		status = fmt.Sprintf("HTTP %d", resp.StatusCode)
	} else if errors.As(err, &re) {
		status = fmt.Sprintf("HTTP %d", re.HTTPStatusCode())
	}
	attempts := 1
	if res, ok := retry.GetAttemptResults(md); ok && len(res.Results) > 0 {
		attempts = len(res.Results)
	}
	line := fmt.Sprintf("%s %s: %s, %d attempt(s), %s", awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx),
		status, attempts, time.Since(start).Round(time.Millisecond))
	if err != nil {
		line += ": " + err.Error()
	}
	t.dw.print(line)
	return out, md, err
}

// secrets are what Redact removes: signatures and credentials in headers
// and query strings, session tokens, and access key IDs anywhere. They
// are compiled when first needed, not at start-up.
var secrets = gosync.OnceValue(func() []secret {
	return []secret{
		{regexp.MustCompile(`(?i)(Signature=)[0-9a-f]+`), "${1}REDACTED"},
		{regexp.MustCompile(`(?i)(Credential=)[^,\s&]+`), "${1}REDACTED"},
		{regexp.MustCompile(`(?i)(X-Amz-Signature=)[^&\s]+`), "${1}REDACTED"},
		{regexp.MustCompile(`(?i)(X-Amz-Credential=)[^&\s]+`), "${1}REDACTED"},
		{regexp.MustCompile(`(?i)(X-Amz-Security-Token[:=]\s*)[^&\s]+`), "${1}REDACTED"},
		{regexp.MustCompile(`(?i)("?(?:SecretAccessKey|SessionToken|secret_access_key|session_token)"?\s*[:=]\s*"?)[^"\s,&<]+`), "${1}REDACTED"},
		{regexp.MustCompile(`(?i)(<(?:SecretAccessKey|SessionToken)>)[^<]*`), "${1}REDACTED"},
		{regexp.MustCompile(`\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b`), "REDACTED-ACCESS-KEY"},
	}
})

// secret is a pattern Redact replaces, and what with.
type secret struct {
	re   *regexp.Regexp
	with string
}

// Redact removes credentials and signatures from a debug message.
func Redact(s string) string {
	for _, r := range secrets() {
		s = r.re.ReplaceAllString(s, r.with)
	}
	return s
}
