package smsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// GetReplicationJobsInput is the request of GetReplicationJobs. Members left
// nil are left out of the request.
type GetReplicationJobsInput struct {
	// ReplicationJobId asks for one replication job only.
	ReplicationJobId *string `json:"replicationJobId,omitempty"`
	// NextToken continues a listing where the previous page ended.
	NextToken *string `json:"nextToken,omitempty"`
	// MaxResults bounds the jobs of one page; the service's default is 50.
	MaxResults *int32 `json:"maxResults,omitempty"`
}

// GetReplicationJobsOutput is one page of replication jobs, as sent.
type GetReplicationJobsOutput struct {
	// ReplicationJobList holds each element of the answer's
	// replicationJobList: the exact bytes the service sent for it, every
	// member included, whether this package knows it or not.
	ReplicationJobList []json.RawMessage
	// NextToken continues the listing; nil on the last page.
	NextToken *string
	// RawBody is the whole body of the answer, byte for byte.
	RawBody []byte
	// RequestID is the ID AWS gave the request, if it sent one.
	RequestID string
}

// GetReplicationJobs describes the replication job params names, or every
// replication job a page at a time. optFns change the client's options for
// this call only.
//
// A 2xx answer whose body is not one whole JSON object, with a list of
// objects, fails the call with "GetReplicationJobs: decode response: ..." and
// no output. Such an error is retried only if the retryer says so of its
// cause, as the SDK's are: a connection reset while reading the body is,
// a truncated or malformed body is not.
func (c *Client) GetReplicationJobs(ctx context.Context, params *GetReplicationJobsInput, optFns ...func(*Options)) (*GetReplicationJobsOutput, error) {
	const op = "GetReplicationJobs"
	if params == nil {
		params = &GetReplicationJobsInput{}
	}
	payload, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("%s: encode request: %w", op, err)
	}
	var out *GetReplicationJobsOutput
	reqID, err := c.invoke(ctx, op, payload, optFns, func(body []byte) error {
		page, err := decodeGetReplicationJobs(body)
		out = page
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	out.RequestID = reqID
	return out, nil
}

// decodeGetReplicationJobs reads a GetReplicationJobs answer. Members are
// matched by their exact names, as the SDK matches them; the last of
// duplicate members wins, as in the SDK.
func decodeGetReplicationJobs(body []byte) (*GetReplicationJobsOutput, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, errors.New("empty body")
	}
	if trimmed[0] != '{' {
		// Unmarshal below would check the syntax, but say nothing useful
		// about an HTML page or a bare value.
		return nil, fmt.Errorf("body is not a JSON object: %q", snippet(trimmed))
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, err
	}
	out := &GetReplicationJobsOutput{RawBody: body}
	if raw, ok := top["replicationJobList"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &out.ReplicationJobList); err != nil {
			return nil, fmt.Errorf("replicationJobList: %w", err)
		}
		for i, job := range out.ReplicationJobList {
			if len(job) == 0 || job[0] != '{' {
				return nil, fmt.Errorf("replicationJobList[%d] is not a JSON object", i)
			}
		}
	}
	if raw, ok := top["nextToken"]; ok && !isNull(raw) {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("nextToken: %w", err)
		}
		out.NextToken = &s
	}
	return out, nil
}

func isNull(raw json.RawMessage) bool {
	return string(raw) == "null"
}
