package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// The answers to calls that Faults refuses, in the code and status each
// service uses.

// accessDenied is the answer to a call that Faults.AccessDenied refuses.
// The message is the one IAM gives when no policy allows the action.
func accessDenied(op string, proto protocol, o Options) *apiError {
	action := iamAction(op)
	msg := fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/archiver/session is not authorized to perform: %s on resource: * because no identity-based policy allows the %s action",
		o.Account, action, action)
	switch {
	case proto == restJSON:
		return &apiError{status: http.StatusForbidden, code: "AccessDeniedException", message: msg}
	case op == OpGetReplicationJobs:
		return &apiError{status: http.StatusBadRequest, code: "UnauthorizedOperationException",
			message: "You lack permissions needed to perform this operation. Check your IAM policies, and ensure that you are using the correct access keys."}
	case proto == awsQuery:
		return &apiError{status: http.StatusForbidden, code: "AccessDenied", message: msg}
	default:
		return &apiError{status: http.StatusBadRequest, code: "AccessDeniedException", message: msg}
	}
}

// iamAction names the IAM action that allows op, such as
// "drs:DescribeJobs".
func iamAction(op string) string {
	switch op {
	case OpListClusters, OpListClusterJobs:
		return "snowball:" + op
	case OpGetReplicationJobs:
		return "sms:" + op
	case OpGetCallerIdentity:
		return "sts:" + op
	default:
		return "drs:" + op
	}
}

// uninitialized is the answer of DRS in a region where it was never
// initialized.
func uninitialized(o Options) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "UninitializedAccountException",
		message: fmt.Sprintf("Account %s is not initialized for AWS Elastic Disaster Recovery in %s", o.Account, o.Region)}
}

// expiredToken is the answer to a call whose nextToken Faults.ExpireTokens
// refuses.
func expiredToken(op string, proto protocol) *apiError {
	switch {
	case proto == restJSON:
		return validationError("nextToken has expired; start the listing again")
	case op == OpGetReplicationJobs:
		return invalidParameter("nextToken has expired; start the listing again")
	default:
		return &apiError{status: http.StatusBadRequest, code: "InvalidNextTokenException", message: "The NextToken string has expired."}
	}
}

// token returns the nextToken the call carries, or "".
func (c call) token() string {
	switch c.proto {
	case restJSON:
		if c.req.NextToken != nil {
			return *c.req.NextToken
		}
	case awsJSON11:
		// encoding/json matches member names regardless of case, so this
		// reads Snowball's NextToken and SMS's nextToken alike.
		var in struct{ NextToken *string }
		if json.Unmarshal(c.body, &in) == nil && in.NextToken != nil {
			return *in.NextToken
		}
	}
	return ""
}

// expire reports whether Faults.ExpireTokens refuses the nextToken of c,
// and if so records that it did. s.faultMu must be held.
func (s *Server) expire(c call) bool {
	k := s.faults.ExpireTokens[c.op]
	if k <= 0 {
		return false
	}
	tok := c.token()
	if tok == "" {
		return false
	}
	refused := s.expired[c.op]
	if refused == nil {
		refused = map[string]bool{}
		s.expired[c.op] = refused
	}
	if refused[tok] || len(refused) >= k {
		return false
	}
	refused[tok] = true
	return true
}

// listMembers names the list member and the token member of each JSON
// operation's answer.
var listMembers = map[string][2]string{
	OpDescribeJobs:           {"items", "nextToken"},
	OpDescribeJobLogItems:    {"items", "nextToken"},
	OpDescribeSourceServers:  {"items", "nextToken"},
	OpListStagingAccounts:    {"accounts", "nextToken"},
	OpDescribeSourceNetworks: {"items", "nextToken"},
	OpListClusters:           {"ClusterListEntries", "NextToken"},
	OpListClusterJobs:        {"JobListEntries", "NextToken"},
	OpGetReplicationJobs:     {"replicationJobList", "nextToken"},
}

// wrongTypes breaks the JSON types of the answer body of op as w says. The
// result is valid JSON; its members come in sorted order.
func wrongTypes(op string, body []byte, w WrongType) []byte {
	names, ok := listMembers[op]
	if !ok {
		return body
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return body
	}
	list, tok := names[0], names[1]
	switch w {
	case ListAsObject:
		m[list] = json.RawMessage(`{"a":1}`)
	case TokenAsNumber:
		m[tok] = json.RawMessage(`5`)
	case ItemAsString:
		var items []json.RawMessage
		_ = json.Unmarshal(m[list], &items)
		if len(items) == 0 {
			items = append(items, nil)
		}
		items[0] = json.RawMessage(`"item"`)
		m[list] = mustMarshal(items)
	case ItemNotUTF8, ItemTooDeep:
		var items []json.RawMessage
		_ = json.Unmarshal(m[list], &items)
		if len(items) == 0 || len(items[0]) < 2 || items[0][0] != '{' {
			return body
		}
		x := "\"\xff\""
		if w == ItemTooDeep {
			x = strings.Repeat("[", 9000) + strings.Repeat("]", 9000)
		}
		items[0] = json.RawMessage(`{"x":` + x + `,` + string(items[0][1:]))
		// Written by hand: json.Marshal would replace the byte 0xff.
		var b bytes.Buffer
		b.WriteByte('{')
		for i, k := range slices.Sorted(maps.Keys(m)) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(mustMarshal(k))
			b.WriteByte(':')
			if k == list {
				b.WriteByte('[')
				for j, it := range items {
					if j > 0 {
						b.WriteByte(',')
					}
					b.Write(it)
				}
				b.WriteByte(']')
			} else {
				b.Write(m[k])
			}
		}
		b.WriteByte('}')
		return b.Bytes()
	default:
		return body
	}
	return mustMarshal(m)
}
