package smsapi

import (
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Clock skew correction follows the SDK's (aws/middleware RecordResponseTiming
// and aws/retry Attempt): the Date header of each answer says how far the
// local clock is off, later attempts sign with the corrected time, and a
// signature error that a skew explains is retried.

// clockSkew is the offset of the service's clock from the local one, shared
// by the calls of a client.
type clockSkew struct{ ns atomic.Int64 }

func (s *clockSkew) load() time.Duration   { return time.Duration(s.ns.Load()) }
func (s *clockSkew) store(d time.Duration) { s.ns.Store(int64(d)) }

const (
	// skewThreshold is how far the signing time may be off the service's
	// before a signature error is taken for a clock problem.
	skewThreshold = 4 * time.Minute
	// maxTrustedRoundTrip bounds how long an exchange may take for its Date
	// header to say anything about the clocks.
	maxTrustedRoundTrip = 15 * time.Minute
)

// clockSkewOf returns the service's time minus the local time, from the Date
// header of an answer received at receivedAt to a request sent at sentAt. It
// returns false when the header is missing or unreadable, when a cache served
// the answer (an Age header), or when the exchange was too slow to tell.
func clockSkewOf(h http.Header, sentAt, receivedAt time.Time) (time.Duration, bool) {
	date := h.Get("Date")
	if date == "" || h.Get("Age") != "" || receivedAt.Sub(sentAt) > maxTrustedRoundTrip {
		return 0, false
	}
	serverTime, err := smithyhttp.ParseTime(date)
	if err != nil {
		return 0, false
	}
	return serverTime.Sub(receivedAt), true
}

// clockSkewCodes are the error codes a skewed clock may cause; the SDK's
// list. Each is retried only when the answer's Date shows the skew.
var clockSkewCodes = map[string]bool{
	"InvalidSignatureException": true,
	"SignatureDoesNotMatch":     true,
	"AuthFailure":               true,
	"RequestTimeTooSkewed":      true,
	"AccessDeniedException":     true,
}

// asClockSkewError marks err retryable when its code is one of
// clockSkewCodes and the signing time (local clock plus signSkew) was more
// than skewThreshold off the service's clock, as res's Date header shows it.
func asClockSkewError(err error, res attemptResult, signSkew time.Duration) error {
	var coded interface{ ErrorCode() string }
	if !res.hasSkew || !errors.As(err, &coded) || !clockSkewCodes[coded.ErrorCode()] {
		return err
	}
	if d := signSkew - res.skew; d > skewThreshold || d < -skewThreshold {
		return &clockSkewError{err: err}
	}
	return err
}

// clockSkewError is an error a skewed clock explains; the retryer retries it
// through its RetryableError method.
type clockSkewError struct{ err error }

func (e *clockSkewError) Error() string        { return fmt.Sprintf("probable clock skew: %v", e.err) }
func (e *clockSkewError) Unwrap() error        { return e.err }
func (e *clockSkewError) RetryableError() bool { return true }
