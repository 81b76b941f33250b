package smsapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/restjson"
	"github.com/aws/smithy-go"
)

// DecodeError is the error of a 2xx answer whose body is not what the
// operation answers: not JSON (a proxy's page, say), cut short, or JSON with
// a member of the wrong type. It is not retried.
type DecodeError struct {
	// ContentType is the Content-Type the answer said it was.
	ContentType string
	// Body is the whole body of the answer.
	Body []byte
	// Err says what is wrong with it.
	Err error
}

// Error says what is wrong with the body, after "decode response: ".
func (e *DecodeError) Error() string { return "decode response: " + e.Err.Error() }

// Unwrap returns what is wrong with the body.
func (e *DecodeError) Unwrap() error { return e.Err }

// maxErrorSnippet bounds how much of an error answer that is not JSON (a
// proxy's HTML page, say) is kept as the error's message.
const maxErrorSnippet = 256

// decodeAPIError reads the error answer of a JSON 1.1 service as the SDK's
// generated deserializers do: the code from the X-Amzn-ErrorType header, else
// the body's __type, else its code, stripped of any "namespace#" prefix and
// ":detail" suffix; the message from the body's message (or Message). The SDK
// refuses an error body that is not JSON; here its first bytes become the
// message, so that the status and code are kept either way.
func decodeAPIError(resp *http.Response, body []byte) *smithy.GenericAPIError {
	e := &smithy.GenericAPIError{Code: "UnknownError", Fault: smithy.FaultUnknown}
	switch {
	case resp.StatusCode >= 500:
		e.Fault = smithy.FaultServer
	case resp.StatusCode >= 400:
		e.Fault = smithy.FaultClient
	}

	var info struct {
		Type    string `json:"__type"`
		Message string // matches "message" and "Message" alike
		Code    any
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 {
		if err := json.Unmarshal(trimmed, &info); err != nil {
			info.Type, info.Code = "", nil
			info.Message = snippet(trimmed)
		}
	}

	code := resp.Header.Get("X-Amzn-ErrorType")
	if code == "" {
		code = info.Type
	}
	if s, ok := info.Code.(string); code == "" && ok {
		code = s
	}
	if code != "" {
		e.Code = restjson.SanitizeErrorCode(code)
	}
	e.Message = info.Message
	return e
}

// snippet returns the start of b as one line of valid UTF-8.
func snippet(b []byte) string {
	cut := len(b) > maxErrorSnippet
	if cut {
		b = b[:maxErrorSnippet]
	}
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "?")), " ")
	if cut {
		s += "..."
	}
	return s
}
