package emulator

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// protocol is the wire protocol an operation speaks.
type protocol int

const (
	// restJSON (DRS): the operation is in the path, answers and errors are
	// JSON, the error code is in the X-Amzn-ErrorType header.
	restJSON protocol = iota
	// awsJSON11 (Snowball, SMS): POST / naming the operation in
	// X-Amz-Target, JSON bodies, the error code in the __type member.
	awsJSON11
	// awsQuery (STS): POST / with a form naming the Action, XML answers.
	awsQuery
)

// X-Amz-Target prefixes of the JSON 1.1 services, as the SDK serializers
// send them.
const (
	snowballTargetPrefix = "AWSIESnowballJobManagementService."
	smsTargetPrefix      = "AWSServerMigrationService_V2016_10_24."
)

// Content types of answers.
const (
	contentJSON   = "application/json"
	contentJSON11 = "application/x-amz-json-1.1"
	contentXML    = "text/xml"
)

// targets maps the X-Amz-Target of a JSON 1.1 request to its operation.
var targets = map[string]string{
	snowballTargetPrefix + OpListClusters:    OpListClusters,
	snowballTargetPrefix + OpListClusterJobs: OpListClusterJobs,
	smsTargetPrefix + OpGetReplicationJobs:   OpGetReplicationJobs,
}

// actions maps the Action of a query request to its operation.
var actions = map[string]string{
	OpGetCallerIdentity: OpGetCallerIdentity,
}

// call is one API call as routed: the operation, the protocol it speaks
// and its input.
type call struct {
	op    string
	proto protocol
	req   request    // input of a DRS operation
	body  []byte     // input of a JSON 1.1 operation, parsed by the operation
	form  url.Values // input of a query operation
}

// route finds the operation r calls. JSON 1.1 and query requests all POST
// to "/": they are told apart by X-Amz-Target, then by a form body naming
// an Action; anything else is routed by method and path as rest-json. A
// request naming no known operation is answered with the error alone and
// is not counted.
func route(r *http.Request) (call, *apiError) {
	if r.Method == http.MethodPost && r.URL.Path == "/" {
		if target := r.Header.Get("X-Amz-Target"); target != "" {
			op, ok := targets[target]
			if !ok {
				return call{proto: awsJSON11}, &apiError{
					status:  http.StatusBadRequest,
					code:    "UnknownOperationException",
					message: fmt.Sprintf("no operation is bound to target %s", target),
				}
			}
			return call{op: op, proto: awsJSON11}, nil
		}
		if isForm(r) {
			c := call{proto: awsQuery}
			body, aerr := readBody(r)
			if aerr != nil {
				return c, aerr
			}
			form, err := url.ParseQuery(string(body))
			if err != nil {
				return c, &apiError{status: http.StatusBadRequest, code: "MalformedInput", message: fmt.Sprintf("cannot parse form body: %v", err)}
			}
			action := form.Get("Action")
			op, ok := actions[action]
			if !ok {
				return c, &apiError{
					status:  http.StatusBadRequest,
					code:    "InvalidAction",
					message: fmt.Sprintf("Could not find operation %q for version %s", action, form.Get("Version")),
				}
			}
			c.op, c.form = op, form
			return c, nil
		}
	}
	op, ok := routes[[2]string{r.Method, r.URL.Path}]
	if !ok {
		return call{proto: restJSON}, &apiError{
			status:  http.StatusNotFound,
			code:    "UnknownOperationException",
			message: fmt.Sprintf("no operation is bound to %s %s", r.Method, r.URL.Path),
		}
	}
	return call{op: op, proto: restJSON}, nil
}

// protocolOf guesses the protocol of a request that is not routed to an
// operation, so that it can be answered in a form its client reads.
func protocolOf(r *http.Request) protocol {
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		return awsJSON11
	case r.Method == http.MethodPost && r.URL.Path == "/" && isForm(r):
		return awsQuery
	default:
		return restJSON
	}
}

// isForm reports whether the body of r is a URL-encoded form.
func isForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// read reads the input of c from r. What could be read is kept even with
// an error, so that the call can be counted against its job.
func (c *call) read(r *http.Request) *apiError {
	switch c.proto {
	case awsJSON11:
		body, aerr := readBody(r)
		if aerr != nil {
			return &apiError{status: http.StatusBadRequest, code: "SerializationException", message: aerr.message}
		}
		c.body = body
		return nil
	case awsQuery:
		if v := c.form.Get("Version"); v != stsVersion {
			return &apiError{
				status:  http.StatusBadRequest,
				code:    "InvalidParameterValue",
				message: fmt.Sprintf("Version must be %s, got %q", stsVersion, v),
			}
		}
		return nil
	default:
		req, perr := readRequest(c.op, r)
		c.req = req
		return perr
	}
}

// readBody reads a request body of at most maxRequestBody bytes.
func readBody(r *http.Request) ([]byte, *apiError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return nil, validationError("cannot read request body: %v", err)
	}
	if len(body) > maxRequestBody {
		return nil, validationError("request body exceeds %d bytes", maxRequestBody)
	}
	return body, nil
}

// decodeJSON11 parses the JSON 1.1 input of an operation into v. An empty
// body is an empty input.
func decodeJSON11(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &apiError{status: http.StatusBadRequest, code: "SerializationException", message: fmt.Sprintf("cannot parse request body: %v", err)}
	}
	return nil
}

// throttled is the answer to a call that the fault injection throttles.
func throttled(proto protocol) *apiError {
	switch proto {
	case awsJSON11:
		return &apiError{status: http.StatusBadRequest, code: "ThrottlingException", message: "Rate exceeded"}
	case awsQuery:
		return &apiError{status: http.StatusBadRequest, code: "Throttling", message: "Rate exceeded"}
	default:
		return &apiError{status: http.StatusTooManyRequests, code: "ThrottlingException", message: "Rate exceeded"}
	}
}

// internalError is the answer to a call that the fault injection fails,
// in the code the operation's service uses for its own failures.
func internalError(op string, proto protocol) *apiError {
	code := "InternalFailure"
	switch {
	case proto == restJSON:
		code = "InternalServerException"
	case op == OpGetReplicationJobs:
		code = "InternalError"
	}
	return &apiError{status: http.StatusInternalServerError, code: code, message: "An internal error occurred. Please retry your request."}
}

// contentType is the content type of a successful answer in proto.
func contentType(proto protocol) string {
	switch proto {
	case awsJSON11:
		return contentJSON11
	case awsQuery:
		return contentXML
	default:
		return contentJSON
	}
}

// writeError writes an error answer in the form proto prescribes.
func writeError(w http.ResponseWriter, reqID string, proto protocol, e *apiError) {
	switch proto {
	case awsJSON11:
		writeBody(w, reqID, e.status, contentJSON11, mustMarshal(struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}{e.code, e.message}))
	case awsQuery:
		writeBody(w, reqID, e.status, contentXML, queryError(reqID, e))
	default:
		w.Header().Set("X-Amzn-ErrorType", e.code)
		writeBody(w, reqID, e.status, contentJSON, mustMarshal(struct {
			Message string `json:"message"`
		}{e.message}))
	}
}

// queryError renders an error answer of the query protocol, as STS sends
// it.
func queryError(reqID string, e *apiError) []byte {
	kind := "Sender"
	if e.status >= http.StatusInternalServerError {
		kind = "Receiver"
	}
	var b strings.Builder
	b.WriteString(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">` + "\n  <Error>\n    <Type>")
	b.WriteString(kind)
	b.WriteString("</Type>\n    <Code>")
	xmlText(&b, e.code)
	b.WriteString("</Code>\n    <Message>")
	xmlText(&b, e.message)
	b.WriteString("</Message>\n  </Error>\n  <RequestId>")
	xmlText(&b, reqID)
	b.WriteString("</RequestId>\n</ErrorResponse>\n")
	return []byte(b.String())
}

// xmlText writes s escaped as XML character data.
func xmlText(b *strings.Builder, s string) {
	_ = xml.EscapeText(b, []byte(s)) // a strings.Builder never fails
}
