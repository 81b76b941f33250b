package sync

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	drstypes "github.com/aws/aws-sdk-go-v2/service/drs/types"
	"github.com/aws/smithy-go"

	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/smsapi"
)

// Errors of API calls are turned into what a person can act on in one
// place, callError, which every fetcher's listing goes through: a missing
// IAM permission, DRS not initialized in a region, an answer that is not
// what the API answers. Other errors are passed on as the SDK wrote them.

// AccessDeniedError is returned when the service refused a call because the
// credentials lack the IAM permission for it.
type AccessDeniedError struct {
	// Action is the IAM action that allows the call, such as
	// "drs:DescribeJobLogItems".
	Action string
	// Err is the service's answer.
	Err error
}

// Error names the missing permission.
func (e *AccessDeniedError) Error() string {
	return "access denied: the credentials lack " + e.Action
}

// Unwrap returns the service's answer.
func (e *AccessDeniedError) Unwrap() error { return e.Err }

// UninitializedError is returned when DRS answers that it was never
// initialized in a region of an account.
type UninitializedError struct {
	// Region and Account are where DRS was asked.
	Region, Account string
	// Err is the service's answer.
	Err error
}

// Error names the region and account.
func (e *UninitializedError) Error() string {
	return fmt.Sprintf("DRS is not initialized in %s for account %s", e.Region, e.Account)
}

// Unwrap returns the service's answer.
func (e *UninitializedError) Unwrap() error { return e.Err }

// DiskFullError is returned when a commit failed because the archive's file
// could not grow: the disk is full, the quota is spent or the process's file
// size limit was reached. bbolt rolled the transaction back, so nothing of
// it was written.
type DiskFullError struct {
	// Errno is syscall.ENOSPC, syscall.EDQUOT or syscall.EFBIG.
	Errno syscall.Errno
	// Err is the failed write's error.
	Err error
}

// Error says what ran out and that nothing of the transaction was written.
func (e *DiskFullError) Error() string {
	reason := e.Errno.Error()
	if e.Errno == syscall.EFBIG {
		reason += " (the file size limit was reached)"
	}
	return reason + "; the transaction was rolled back, nothing of it was written"
}

// Unwrap returns the failed write's error.
func (e *DiskFullError) Unwrap() error { return e.Err }

// diskFull returns err as a *DiskFullError when it says the archive's file
// could not grow, and nil otherwise. bbolt reports a failed resize as text
// only ("file resize error: ..."), so the text is read too.
func diskFull(err error) *DiskFullError {
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG} {
		if errors.Is(err, errno) || strings.Contains(err.Error(), errno.Error()) {
			return &DiskFullError{Errno: errno, Err: err}
		}
	}
	return nil
}

// scope is the region and account a listing reads, for messages.
type scope struct {
	region, account string
}

// accessDeniedCodes are the error codes with which the services refuse a
// call the credentials have no permission for.
var accessDeniedCodes = map[string]bool{
	"AccessDeniedException":          true, // DRS, Snowball
	"AccessDenied":                   true,
	"UnauthorizedOperation":          true,
	"UnauthorizedOperationException": true, // SMS
}

// iamPrefix names the IAM service prefix of an operation sync calls: that
// of the source whose kinds the operation lists (see package kinds), or
// of one of the calls that find what to list.
func iamPrefix(op string) string {
	for _, spec := range kinds.All() {
		if spec.Operation == op {
			return spec.Source
		}
	}
	if op == "ListClusters" {
		return kinds.SourceSnowball
	}
	return kinds.SourceDRS
}

// callError turns the error of a call of operation op in sc into the one
// sync reports. list and token name the list and token members of the
// operation's answer, for messages about an answer of the wrong shape.
func callError(op, list, token string, sc scope, err error) error {
	var (
		bad   *badAnswerError
		smsDE *smsapi.DecodeError
		ae    smithy.APIError
	)
	switch {
	case errors.As(err, &bad):
		return describeBadAnswer(bad.contentType, bad.body, list, token, bad.err)
	case errors.As(err, &smsDE):
		return describeBadAnswer(smsDE.ContentType, smsDE.Body, list, token, smsDE.Err)
	case errors.As(err, &ae) && accessDeniedCodes[ae.ErrorCode()]:
		return &AccessDeniedError{Action: iamPrefix(op) + ":" + op, Err: err}
	case errors.As(err, &ae) && ae.ErrorCode() == "UninitializedAccountException":
		return &UninitializedError{Region: sc.region, Account: sc.account, Err: err}
	}
	return unreachable(op, err)
}

// tokenRefused reports whether err is the service refusing a nextToken, as
// invalid or expired. Services say so with a code of its own
// (InvalidNextTokenException) or with a generic validation error about the
// token. A refused security token (expired credentials) is not a refused
// nextToken.
func tokenRefused(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "InvalidNextTokenException", "ExpiredNextTokenException", "InvalidPaginationTokenException":
		return true
	case "ValidationException", "InvalidParameterException", "InvalidParameterValueException", "InvalidInputException":
		var ve *drstypes.ValidationException
		if errors.As(err, &ve) {
			for _, f := range ve.FieldList {
				if strings.EqualFold(aws.ToString(f.Name), "nextToken") {
					return true
				}
			}
		}
		msg := strings.ToLower(ae.ErrorMessage())
		return strings.Contains(msg, "token") && !strings.Contains(msg, "security token")
	}
	return false
}

// apiMessage returns the code and message of the service's answer in err,
// or err's text when it holds no answer.
func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}

// badAnswerError is a 2xx answer whose body the SDK could not decode, with
// what is needed to say what came instead: its Content-Type and as much of
// the body as was read.
type badAnswerError struct {
	contentType string
	body        []byte
	err         error
}

func (e *badAnswerError) Error() string { return e.err.Error() }
func (e *badAnswerError) Unwrap() error { return e.err }

// describeBadAnswer says what is wrong with a 2xx answer that could not be
// decoded: not JSON at all (a proxy's or captive portal's page, most
// likely), JSON cut short, or JSON of the wrong shape, naming the member.
// err is the decoder's complaint, used when nothing better can be said.
func describeBadAnswer(contentType string, body []byte, list, token string, err error) error {
	trimmed := bytes.TrimSpace(body)
	ctype := "no Content-Type"
	if contentType != "" {
		ctype = contentType
		if mt, _, perr := mime.ParseMediaType(contentType); perr == nil {
			ctype = mt
		}
	}
	switch {
	case len(trimmed) == 0:
		return fmt.Errorf("the answer was empty (%s)", ctype)
	case trimmed[0] != '{' && trimmed[0] != '[':
		if ctype == "text/html" {
			return fmt.Errorf("the answer was not JSON (text/html: a proxy or captive portal?)")
		}
		return fmt.Errorf("the answer was not JSON (%s)", ctype)
	case !json.Valid(trimmed):
		return fmt.Errorf("the answer was cut short or is not valid JSON (%d bytes of %s)", len(body), ctype)
	}
	if serr := shapeError(trimmed, list, token); serr != nil {
		return fmt.Errorf("the answer has the wrong shape: %w", serr)
	}
	var de *smithy.DeserializationError
	if errors.As(err, &de) && de.Err != nil {
		err = de.Err
	}
	return fmt.Errorf("the answer does not match the API: %w", err)
}

// shapeError checks the members of a list answer sync reads: the answer is
// an object, its list member a list (or null) of objects and its token
// member a string (or null).
func shapeError(body []byte, list, token string) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		return err
	}
	m, ok := top.(map[string]any)
	if !ok {
		return fmt.Errorf("it is %s, not an object", jsonKind(top))
	}
	if v := m[list]; v != nil {
		items, ok := v.([]any)
		if !ok {
			return fmt.Errorf("member %s is %s, not a list", list, jsonKind(v))
		}
		for i, it := range items {
			if _, ok := it.(map[string]any); !ok {
				return fmt.Errorf("member %s[%d] is %s, not an object", list, i, jsonKind(it))
			}
		}
	}
	if v := m[token]; v != nil {
		if _, ok := v.(string); !ok {
			return fmt.Errorf("member %s is %s, not a string", token, jsonKind(v))
		}
	}
	return nil
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("a %T", v)
}
