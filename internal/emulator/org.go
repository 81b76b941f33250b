package emulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// organizationsTargetPrefix is the X-Amz-Target prefix of AWS Organizations
// (JSON 1.1), as the SDK serializer sends it.
const organizationsTargetPrefix = "AWSOrganizationsV20161128."

// Operations of AWS Organizations and STS that a Mux with an Organization
// answers itself.
const (
	OpListAccounts          = "ListAccounts"
	OpListAccountsForParent = "ListAccountsForParent"
	OpAssumeRole            = "AssumeRole"
)

// orgPageSize is the most accounts one ListAccounts page holds, as AWS
// Organizations caps MaxResults.
const orgPageSize = 20

// OrgAccount is one member account of an emulated organization.
type OrgAccount struct {
	// ID is the 12-digit account ID.
	ID string
	// Name and Email are served as given; empty ones are made up from ID.
	Name, Email string
	// State is ACTIVE (the default), SUSPENDED or PENDING_CLOSURE.
	State string
	// Parent is the organizational unit the account is in ("ou-..."), or
	// "" for the root.
	Parent string
}

// Organization is the AWS organization a Mux serves: ListAccounts and
// ListAccountsForParent to the management account's credentials, and STS
// AssumeRole into each member account's role.
type Organization struct {
	// ID is the organization ID ("o-..."), used in account ARNs; default
	// o-exampleorgid.
	ID string
	// ManagementAccount is the account ID of the management account;
	// default 111111111111.
	ManagementAccount string
	// ManagementKey is the access key ID of the management (or delegated
	// administrator) account's credentials. Only requests signed with it
	// may list accounts or assume roles.
	ManagementKey string
	// Accounts are the member accounts, in the order ListAccounts lists
	// them.
	Accounts []OrgAccount
	// RoleMissing names accounts where the role does not exist (or does
	// not trust the management account): AssumeRole is refused with 403
	// AccessDenied.
	RoleMissing map[string]bool
	// ExternalID, when set, must be passed to AssumeRole.
	ExternalID string
	// Latency is added to every Organizations and STS AssumeRole answer.
	Latency time.Duration
}

// AssumeRoleCall is one AssumeRole request a Mux answered or refused.
type AssumeRoleCall struct {
	RoleArn, RoleSessionName, ExternalID string
	// Account is the account of the role, and Granted whether the
	// credentials were issued.
	Account string
	Granted bool
}

// SetOrganization makes m serve org. Requests signed with credentials that
// AssumeRole issued for an account are routed to the Server added for that
// account and the request's region with AddAccount.
func (m *Mux) SetOrganization(org Organization) {
	if org.ID == "" {
		org.ID = "o-exampleorgid"
	}
	if org.ManagementAccount == "" {
		org.ManagementAccount = "111111111111"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.org = &org
}

// AddAccount routes requests signed for region with credentials AssumeRole
// issued for account to s. It may be called while the Mux serves.
func (m *Mux) AddAccount(region, account string, s *Server) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byAccount == nil {
		m.byAccount = map[credentialScope]*Server{}
	}
	m.byAccount[credentialScope{region: region, accessKeyID: account}] = s
}

// AssumeRoleCalls returns every AssumeRole request the Mux has seen, in
// order.
func (m *Mux) AssumeRoleCalls() []AssumeRoleCall {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.assumeCalls)
}

// OrgCalls returns how many Organizations calls (ListAccounts and
// ListAccountsForParent pages) the Mux has answered.
func (m *Mux) OrgCalls() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.orgCalls
}

// AssumedKey is the access key ID of the credentials AssumeRole issues for
// a role in account: "ASIA" and 16 characters derived from the account.
func AssumedKey(account string) string {
	sum := sha256.Sum256([]byte("assumed@" + account))
	return "ASIA" + base32.StdEncoding.EncodeToString(sum[:])[:16]
}

// accountOfKey returns the account AssumeRole issued key for, if it did.
// m.mu must be held.
func (m *Mux) accountOfKey(key string) (string, bool) {
	a, ok := m.assumed[key]
	return a, ok
}

// serveOrganization answers r when it is a call the organization serves
// (Organizations, STS AssumeRole) and reports whether it did. Other
// requests are left alone, with their body intact.
func (m *Mux) serveOrganization(w http.ResponseWriter, r *http.Request, key string) bool {
	m.mu.RLock()
	org := m.org
	m.mu.RUnlock()
	if org == nil || r.Method != http.MethodPost || r.URL.Path != "/" {
		return false
	}
	reqID := requestID("org/" + strconv.FormatUint(m.requests.Add(1), 10))
	if target := r.Header.Get("X-Amz-Target"); strings.HasPrefix(target, organizationsTargetPrefix) {
		time.Sleep(org.Latency)
		body, aerr := readBody(r)
		if aerr == nil {
			body, aerr = m.listAccounts(org, strings.TrimPrefix(target, organizationsTargetPrefix), body, key)
		}
		if aerr != nil {
			writeError(w, reqID, awsJSON11, aerr)
			return true
		}
		writeBody(w, reqID, http.StatusOK, contentJSON11, body)
		return true
	}
	if !isForm(r) {
		return false
	}
	body, aerr := readBody(r)
	if aerr != nil {
		writeError(w, reqID, awsQuery, aerr)
		return true
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("Action") != OpAssumeRole {
		// Not ours: the Server behind reads the body again.
		r.Body = io.NopCloser(bytes.NewReader(body))
		return false
	}
	time.Sleep(org.Latency)
	out, aerr := m.assumeRole(org, form, key, reqID)
	if aerr != nil {
		writeError(w, reqID, awsQuery, aerr)
		return true
	}
	writeBody(w, reqID, http.StatusOK, contentXML, out)
	return true
}

// listAccounts answers ListAccounts and ListAccountsForParent.
func (m *Mux) listAccounts(org *Organization, op string, body []byte, key string) ([]byte, *apiError) {
	if op != OpListAccounts && op != OpListAccountsForParent {
		return nil, &apiError{status: http.StatusBadRequest, code: "UnknownOperationException",
			message: fmt.Sprintf("no operation is bound to target %s%s", organizationsTargetPrefix, op)}
	}
	if key != org.ManagementKey {
		return nil, &apiError{status: http.StatusBadRequest, code: "AccessDeniedException",
			message: "You don't have permissions to access this resource: the credentials are not those of the management account or a delegated administrator."}
	}
	var in struct {
		ParentId   string
		MaxResults *int
		NextToken  string
	}
	if aerr := decodeJSON11(body, &in); aerr != nil {
		return nil, aerr
	}
	size := orgPageSize
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > orgPageSize {
			return nil, &apiError{status: http.StatusBadRequest, code: "InvalidInputException",
				message: fmt.Sprintf("MaxResults must be between 1 and %d", orgPageSize)}
		}
		size = *in.MaxResults
	}
	accounts := org.Accounts
	if op == OpListAccountsForParent {
		if in.ParentId == "" {
			return nil, &apiError{status: http.StatusBadRequest, code: "InvalidInputException", message: "ParentId is required"}
		}
		accounts = nil
		found := false
		for _, a := range org.Accounts {
			if a.Parent == in.ParentId || (a.Parent == "" && strings.HasPrefix(in.ParentId, "r-")) {
				accounts = append(accounts, a)
			}
			found = found || a.Parent == in.ParentId
		}
		if !found && !strings.HasPrefix(in.ParentId, "r-") {
			return nil, &apiError{status: http.StatusBadRequest, code: "ParentNotFoundException",
				message: fmt.Sprintf("We can't find a root or OU with the ParentId %s.", in.ParentId)}
		}
	}
	start := 0
	if in.NextToken != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(in.NextToken, "page-"))
		if err != nil || n < 0 || n > len(accounts) || !strings.HasPrefix(in.NextToken, "page-") {
			return nil, &apiError{status: http.StatusBadRequest, code: "InvalidInputException", message: "The NextToken is not valid."}
		}
		start = n
	}
	end := min(start+size, len(accounts))
	type account struct {
		Arn             string
		Email           string
		Id              string
		JoinedMethod    string
		JoinedTimestamp float64
		Name            string
		State           string
		Status          string
	}
	out := struct {
		Accounts  []account
		NextToken string `json:",omitempty"`
	}{Accounts: []account{}}
	joined := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, a := range accounts[start:end] {
		state := a.State
		if state == "" {
			state = "ACTIVE"
		}
		status := state
		if state == "PENDING_CLOSURE" {
			status = "PENDING_CLOSURE"
		}
		name, email := a.Name, a.Email
		if name == "" {
			name = "member-" + a.ID
		}
		if email == "" {
			email = "aws+" + a.ID + "@example.com"
		}
		out.Accounts = append(out.Accounts, account{
			Arn:   fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", org.ManagementAccount, org.ID, a.ID),
			Email: email, Id: a.ID, JoinedMethod: "CREATED",
			JoinedTimestamp: float64(joined.Add(time.Duration(start+i)*time.Hour).Unix()) + 0.125,
			Name:            name, State: state, Status: status,
		})
	}
	if end < len(accounts) {
		out.NextToken = "page-" + strconv.Itoa(end)
	}
	m.mu.Lock()
	m.orgCalls++
	m.mu.Unlock()
	return mustMarshal(out), nil
}

// assumeRole answers STS AssumeRole: credentials for the account of the
// role, unless the role is missing there or the external ID is wrong.
func (m *Mux) assumeRole(org *Organization, form url.Values, key, reqID string) ([]byte, *apiError) {
	if v := form.Get("Version"); v != stsVersion {
		return nil, &apiError{status: http.StatusBadRequest, code: "InvalidParameterValue",
			message: fmt.Sprintf("Version must be %s, got %q", stsVersion, v)}
	}
	roleArn, session, ext := form.Get("RoleArn"), form.Get("RoleSessionName"), form.Get("ExternalId")
	call := AssumeRoleCall{RoleArn: roleArn, RoleSessionName: session, ExternalID: ext}
	record := func() {
		m.mu.Lock()
		m.assumeCalls = append(m.assumeCalls, call)
		m.mu.Unlock()
	}
	// arn:aws:iam::ACCOUNT:role/NAME
	parts := strings.SplitN(roleArn, ":", 6)
	if len(parts) != 6 || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") || session == "" {
		record()
		return nil, &apiError{status: http.StatusBadRequest, code: "ValidationError",
			message: fmt.Sprintf("1 validation error detected: Value '%s' at 'roleArn' failed to satisfy constraint", roleArn)}
	}
	account := parts[4]
	call.Account = account
	member := slices.ContainsFunc(org.Accounts, func(a OrgAccount) bool { return a.ID == account })
	denied := key != org.ManagementKey || !member || org.RoleMissing[account] || (org.ExternalID != "" && ext != org.ExternalID)
	if denied {
		record()
		return nil, &apiError{status: http.StatusForbidden, code: "AccessDenied",
			message: fmt.Sprintf("User: arn:aws:iam::%s:user/%s is not authorized to perform: sts:AssumeRole on resource: %s",
				org.ManagementAccount, callerName, roleArn)}
	}
	call.Granted = true
	akid := AssumedKey(account)
	m.mu.Lock()
	m.assumeCalls = append(m.assumeCalls, call)
	if m.assumed == nil {
		m.assumed = map[string]string{}
	}
	m.assumed[akid] = account
	m.mu.Unlock()
	secret := sha256.Sum256([]byte("secret@" + account))
	token := sha256.Sum256([]byte("token@" + account + "@" + reqID))
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	roleName := strings.TrimPrefix(parts[5], "role/")
	var b strings.Builder
	b.WriteString(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">` + "\n  <AssumeRoleResult>\n    <AssumedRoleUser>\n      <Arn>")
	xmlText(&b, "arn:aws:sts::"+account+":assumed-role/"+roleName+"/"+session)
	b.WriteString("</Arn>\n      <AssumedRoleId>")
	xmlText(&b, "AROA"+base32.StdEncoding.EncodeToString(secret[:])[:17]+":"+session)
	b.WriteString("</AssumedRoleId>\n    </AssumedRoleUser>\n    <Credentials>\n      <AccessKeyId>")
	xmlText(&b, akid)
	b.WriteString("</AccessKeyId>\n      <SecretAccessKey>")
	xmlText(&b, base32.StdEncoding.EncodeToString(secret[:])[:40])
	b.WriteString("</SecretAccessKey>\n      <SessionToken>")
	xmlText(&b, "FwoG"+base32.StdEncoding.EncodeToString(token[:]))
	b.WriteString("</SessionToken>\n      <Expiration>")
	xmlText(&b, exp)
	b.WriteString("</Expiration>\n    </Credentials>\n  </AssumeRoleResult>\n  <ResponseMetadata>\n    <RequestId>")
	xmlText(&b, reqID)
	b.WriteString("</RequestId>\n  </ResponseMetadata>\n</AssumeRoleResponse>\n")
	return []byte(b.String()), nil
}

// Place is one account and region of an emulated organization.
type Place struct {
	Account, Region string
}

// OrgSetup describes an emulated organization with a history of its own in
// every member account and region.
type OrgSetup struct {
	Organization
	// Regions are where every member account has a history.
	Regions []string
	// History is the template of every history: each Place's has its
	// Region and Account, and a Seed of its own drawn from History.Seed.
	History Options
}

// NewOrgMux returns a Mux (not yet listening) serving setup: the
// organization, and one Server for every member account in every region,
// which it also returns by Place. The management account's key routes to
// no Server: it can list accounts and assume roles, nothing else.
func NewOrgMux(setup OrgSetup) (*Mux, map[Place]*Server) {
	m := NewMux()
	m.SetOrganization(setup.Organization)
	servers := map[Place]*Server{}
	for i, a := range setup.Accounts {
		for j, r := range setup.Regions {
			o := setup.History
			o.Region, o.Account = r, a.ID
			o.Seed = setup.History.Seed + int64(i*len(setup.Regions)+j)*7919
			s := New(o)
			servers[Place{Account: a.ID, Region: r}] = s
			m.AddAccount(r, a.ID, s)
		}
	}
	return m, servers
}
