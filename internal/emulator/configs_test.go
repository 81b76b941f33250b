package emulator_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"
	"github.com/aws/smithy-go"

	"github.com/archiver-dev/archiver/internal/emulator"
)

// launchWire is a served launch configuration, as the tests read it.
type launchWire struct {
	CopyPrivateIP                *bool  `json:"copyPrivateIp"`
	CopyTags                     *bool  `json:"copyTags"`
	EC2LaunchTemplateID          string `json:"ec2LaunchTemplateID"`
	LaunchDisposition            string `json:"launchDisposition"`
	LaunchIntoInstanceProperties *struct {
		LaunchIntoEC2InstanceID string `json:"launchIntoEC2InstanceID"`
	} `json:"launchIntoInstanceProperties"`
	Licensing *struct {
		OsByol *bool `json:"osByol"`
	} `json:"licensing"`
	Name                                string `json:"name"`
	PostLaunchEnabled                   *bool  `json:"postLaunchEnabled"`
	SourceServerID                      string `json:"sourceServerID"`
	TargetInstanceTypeRightSizingMethod string `json:"targetInstanceTypeRightSizingMethod"`
}

// replicationWire is a served replication configuration, as the tests read
// it.
type replicationWire struct {
	AssociateDefaultSecurityGroup *bool  `json:"associateDefaultSecurityGroup"`
	BandwidthThrottling           *int64 `json:"bandwidthThrottling"`
	DataPlaneRouting              string `json:"dataPlaneRouting"`
	DefaultLargeStagingDiskType   string `json:"defaultLargeStagingDiskType"`
	EbsEncryption                 string `json:"ebsEncryption"`
	Name                          string `json:"name"`
	PitPolicy                     []struct {
		Enabled           bool   `json:"enabled"`
		Interval          int32  `json:"interval"`
		RetentionDuration int32  `json:"retentionDuration"`
		RuleID            int64  `json:"ruleID"`
		Units             string `json:"units"`
	} `json:"pitPolicy"`
	ReplicatedDisks []struct {
		DeviceName      string `json:"deviceName"`
		IsBootDisk      bool   `json:"isBootDisk"`
		StagingDiskType string `json:"stagingDiskType"`
	} `json:"replicatedDisks"`
	ReplicationServerInstanceType       string            `json:"replicationServerInstanceType"`
	ReplicationServersSecurityGroupsIDs []string          `json:"replicationServersSecurityGroupsIDs"`
	SourceServerID                      string            `json:"sourceServerID"`
	StagingAreaSubnetID                 string            `json:"stagingAreaSubnetId"`
	StagingAreaTags                     map[string]string `json:"stagingAreaTags"`
	UseDedicatedReplicationServer       *bool             `json:"useDedicatedReplicationServer"`
}

// networkWire is a served source network, as the tests read it.
type networkWire struct {
	Arn          string `json:"arn"`
	CfnStackName string `json:"cfnStackName"`
	LastRecovery *struct {
		APICallDateTime    string `json:"apiCallDateTime"`
		LastRecoveryResult string `json:"lastRecoveryResult"`
	} `json:"lastRecovery"`
	LaunchedVpcID            string            `json:"launchedVpcID"`
	ReplicationStatus        string            `json:"replicationStatus"`
	ReplicationStatusDetails string            `json:"replicationStatusDetails"`
	SourceAccountID          string            `json:"sourceAccountID"`
	SourceNetworkID          string            `json:"sourceNetworkID"`
	SourceRegion             string            `json:"sourceRegion"`
	SourceVpcID              string            `json:"sourceVpcID"`
	Tags                     map[string]string `json:"tags"`
}

// getConfig makes one raw Get...Configuration call for serverID.
func getConfig(t *testing.T, url, op, serverID string) answer {
	t.Helper()
	return send(t, http.MethodPost, url+"/"+op, `{"sourceServerID":"`+serverID+`"}`)
}

// TestConfigurationsWire: every source server has a launch and a
// replication configuration, served byte for byte as the accessors say, in
// the SDK's enum values.
func TestConfigurationsWire(t *testing.T) {
	srv := start(t, emulator.Options{})
	url := srv.URL()
	ids := serverIDs(t, srv)
	launches, repls := srv.LaunchConfigurations(), srv.ReplicationConfigurations()
	if len(ids) == 0 || len(launches) != len(ids) || len(repls) != len(ids) {
		t.Fatalf("%d servers, %d launch and %d replication configurations", len(ids), len(launches), len(repls))
	}
	for i, id := range ids {
		for _, tc := range []struct {
			op   string
			want json.RawMessage
		}{
			{emulator.OpGetLaunchConfiguration, launches[i]},
			{emulator.OpGetReplicationConfiguration, repls[i]},
		} {
			a := getConfig(t, url, tc.op, id)
			if a.status != http.StatusOK || !bytes.Equal(a.body, tc.want) {
				t.Errorf("%s %s: %d %s\nwant %s", tc.op, id, a.status, a.body, tc.want)
			}
			if again := getConfig(t, url, tc.op, id); !bytes.Equal(again.body, a.body) {
				t.Errorf("%s %s: two calls served different bytes", tc.op, id)
			}
		}
	}
	dispositions, sizings := map[string]bool{}, map[string]bool{}
	for i, l := range decode[launchWire](t, launches) {
		if l.SourceServerID != ids[i] || l.Name == "" || !strings.HasPrefix(l.EC2LaunchTemplateID, "lt-") ||
			l.CopyPrivateIP == nil || l.CopyTags == nil || l.PostLaunchEnabled == nil || l.Licensing == nil || l.Licensing.OsByol == nil ||
			l.LaunchIntoInstanceProperties == nil {
			t.Errorf("launch configuration %d: %+v", i, l)
		}
		dispositions[l.LaunchDisposition] = true
		sizings[l.TargetInstanceTypeRightSizingMethod] = true
	}
	for v := range dispositions {
		if !slices.Contains(types.LaunchDisposition("").Values(), types.LaunchDisposition(v)) {
			t.Errorf("launch disposition %q is not one of the SDK's", v)
		}
	}
	for v := range sizings {
		if !slices.Contains(types.TargetInstanceTypeRightSizingMethod("").Values(), types.TargetInstanceTypeRightSizingMethod(v)) {
			t.Errorf("right-sizing method %q is not one of the SDK's", v)
		}
	}
	servers := decode[struct {
		SourceProperties struct {
			Disks []struct {
				DeviceName string `json:"deviceName"`
			} `json:"disks"`
		} `json:"sourceProperties"`
	}](t, srv.SourceServers())
	for i, r := range decode[replicationWire](t, repls) {
		if r.SourceServerID != ids[i] || !strings.HasPrefix(r.StagingAreaSubnetID, "subnet-") || r.BandwidthThrottling == nil ||
			r.ReplicationServerInstanceType == "" || len(r.PitPolicy) == 0 || r.ReplicationServersSecurityGroupsIDs == nil ||
			r.AssociateDefaultSecurityGroup == nil || r.UseDedicatedReplicationServer == nil || r.StagingAreaTags == nil {
			t.Errorf("replication configuration %d: %+v", i, r)
		}
		var disks []string
		for j, d := range r.ReplicatedDisks {
			disks = append(disks, d.DeviceName)
			if d.IsBootDisk != (j == 0) || d.StagingDiskType == "" {
				t.Errorf("replication configuration %d disk %d: %+v", i, j, d)
			}
		}
		var want []string
		for _, d := range servers[i].SourceProperties.Disks {
			want = append(want, d.DeviceName)
		}
		if !slices.Equal(disks, want) {
			t.Errorf("replication configuration %d replicates %v, the server has %v", i, disks, want)
		}
	}

	errs := []struct {
		name, op, body string
		status         int
		code           string
	}{
		{"launch, unknown server", emulator.OpGetLaunchConfiguration, `{"sourceServerID":"s-00000000000000000"}`, http.StatusNotFound, "ResourceNotFoundException"},
		{"replication, unknown server", emulator.OpGetReplicationConfiguration, `{"sourceServerID":"s-00000000000000000"}`, http.StatusNotFound, "ResourceNotFoundException"},
		{"launch, no server", emulator.OpGetLaunchConfiguration, `{}`, http.StatusBadRequest, "ValidationException"},
		{"replication, no server", emulator.OpGetReplicationConfiguration, ``, http.StatusBadRequest, "ValidationException"},
		{"networks, bad token", emulator.OpDescribeSourceNetworks, `{"nextToken":"nope"}`, http.StatusBadRequest, "ValidationException"},
		{"networks, bad size", emulator.OpDescribeSourceNetworks, `{"maxResults":5000}`, http.StatusBadRequest, "ValidationException"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			a := send(t, http.MethodPost, url+"/"+tc.op, tc.body)
			if a.status != tc.status || a.header.Get("X-Amzn-Errortype") != tc.code {
				t.Errorf("status %d, error type %q, want %d %s", a.status, a.header.Get("X-Amzn-Errortype"), tc.status, tc.code)
			}
		})
	}
}

// TestSourceNetworksWire: DescribeSourceNetworks pages and filters the
// networks the accessors list.
func TestSourceNetworksWire(t *testing.T) {
	srv := start(t, emulator.Options{SourceNetworks: 7})
	url := srv.URL()
	all := srv.SourceNetworks()
	nets := decode[networkWire](t, all)
	if len(nets) != 7 || !slices.Equal(idsOf(t, all, "sourceNetworkID"), srv.SourceNetworkIDs()) {
		t.Fatalf("%d source networks, IDs %v", len(nets), srv.SourceNetworkIDs())
	}
	accounts, regions := map[string]bool{}, map[string]bool{}
	for i, n := range nets {
		accounts[n.SourceAccountID] = true
		regions[n.SourceRegion] = true
		if !strings.HasPrefix(n.SourceNetworkID, "sn-") || !strings.HasSuffix(n.Arn, ":source-network/"+n.SourceNetworkID) ||
			!strings.HasPrefix(n.SourceVpcID, "vpc-") || n.SourceRegion == "" || n.Tags["Name"] == "" ||
			!slices.Contains(types.ReplicationStatus("").Values(), types.ReplicationStatus(n.ReplicationStatus)) ||
			(n.ReplicationStatus == "ERROR") != (n.ReplicationStatusDetails != "") {
			t.Errorf("network %d: %+v", i, n)
		}
		if i > 0 && n.SourceNetworkID <= nets[i-1].SourceNetworkID {
			t.Errorf("network %d is out of order", i)
		}
	}
	if len(accounts) < 2 {
		t.Errorf("every network belongs to one account, %v", accounts)
	}
	// only lists the served networks that keep says to.
	only := func(keep func(networkWire) bool) []json.RawMessage {
		var out []json.RawMessage
		for i, n := range nets {
			if keep(n) {
				out = append(out, all[i])
			}
		}
		if len(out) == 0 {
			t.Fatal("no network matches")
		}
		return out
	}
	region := nets[0].SourceRegion
	tests := []struct {
		name  string
		input map[string]any
		want  []json.RawMessage
	}{
		{"all, two a page", map[string]any{"maxResults": 2}, all},
		{"all, one a page", map[string]any{"maxResults": 1}, all},
		{"all, service default", map[string]any{}, all},
		{"by ID", map[string]any{"filters": map[string]any{"sourceNetworkIDs": []string{nets[3].SourceNetworkID, nets[1].SourceNetworkID}}}, []json.RawMessage{all[1], all[3]}},
		{"by account", map[string]any{"maxResults": 2, "filters": map[string]any{"originAccountID": emulator.DefaultAccount}},
			only(func(n networkWire) bool { return n.SourceAccountID == emulator.DefaultAccount })},
		{"by region", map[string]any{"filters": map[string]any{"originRegion": region}},
			only(func(n networkWire) bool { return n.SourceRegion == region })},
		{"no match", map[string]any{"filters": map[string]any{"sourceNetworkIDs": []string{"sn-00000000000000000"}}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fetchAll(t, url, emulator.OpDescribeSourceNetworks, tc.input); !equalRaw(got, tc.want) {
				t.Errorf("served %d networks, want %d", len(got), len(tc.want))
			}
		})
	}
}

// TestConfigurationsSDK reads the three operations with the real SDK
// client: its serializers send what the emulator reads, and its
// deserializers read what it serves.
func TestConfigurationsSDK(t *testing.T) {
	srv := start(t, emulator.Options{Seed: 3, SourceNetworks: 5})
	c := client(srv.URL())
	ids := serverIDs(t, srv)
	launches := decode[launchWire](t, srv.LaunchConfigurations())
	repls := decode[replicationWire](t, srv.ReplicationConfigurations())
	if len(ids) == 0 {
		t.Fatal("no source servers")
	}
	for i, id := range ids {
		lc, err := c.GetLaunchConfiguration(ctx(t), &drs.GetLaunchConfigurationInput{SourceServerID: aws.String(id)})
		if err != nil {
			t.Fatalf("GetLaunchConfiguration %s: %v", id, err)
		}
		w := launches[i]
		got := []any{aws.ToString(lc.SourceServerID), aws.ToString(lc.Name), aws.ToString(lc.Ec2LaunchTemplateID), string(lc.LaunchDisposition),
			string(lc.TargetInstanceTypeRightSizingMethod), aws.ToBool(lc.CopyPrivateIp), aws.ToBool(lc.CopyTags), aws.ToBool(lc.PostLaunchEnabled),
			lc.Licensing != nil && aws.ToBool(lc.Licensing.OsByol), lc.LaunchIntoInstanceProperties != nil && aws.ToString(lc.LaunchIntoInstanceProperties.LaunchIntoEC2InstanceID) == w.LaunchIntoInstanceProperties.LaunchIntoEC2InstanceID}
		want := []any{id, w.Name, w.EC2LaunchTemplateID, w.LaunchDisposition,
			w.TargetInstanceTypeRightSizingMethod, *w.CopyPrivateIP, *w.CopyTags, *w.PostLaunchEnabled,
			*w.Licensing.OsByol, true}
		if !slices.Equal(got, want) {
			t.Errorf("launch configuration of %s: SDK read %v, want %v", id, got, want)
		}

		rc, err := c.GetReplicationConfiguration(ctx(t), &drs.GetReplicationConfigurationInput{SourceServerID: aws.String(id)})
		if err != nil {
			t.Fatalf("GetReplicationConfiguration %s: %v", id, err)
		}
		r := repls[i]
		var pit, wantPit []string
		for _, p := range rc.PitPolicy {
			pit = append(pit, strings.Join([]string{string(p.Units), itoa(int(aws.ToInt32(p.Interval))), itoa(int(aws.ToInt32(p.RetentionDuration))), itoa(int(p.RuleID)), map[bool]string{true: "on", false: "off"}[aws.ToBool(p.Enabled)]}, " "))
		}
		for _, p := range r.PitPolicy {
			wantPit = append(wantPit, strings.Join([]string{p.Units, itoa(int(p.Interval)), itoa(int(p.RetentionDuration)), itoa(int(p.RuleID)), map[bool]string{true: "on", false: "off"}[p.Enabled]}, " "))
		}
		gotR := []any{aws.ToString(rc.SourceServerID), aws.ToString(rc.Name), aws.ToString(rc.StagingAreaSubnetId), aws.ToString(rc.ReplicationServerInstanceType),
			string(rc.EbsEncryption), string(rc.DataPlaneRouting), string(rc.DefaultLargeStagingDiskType), rc.BandwidthThrottling,
			aws.ToBool(rc.UseDedicatedReplicationServer), aws.ToBool(rc.AssociateDefaultSecurityGroup), len(rc.ReplicatedDisks), len(rc.ReplicationServersSecurityGroupsIDs)}
		wantR := []any{id, r.Name, r.StagingAreaSubnetID, r.ReplicationServerInstanceType,
			r.EbsEncryption, r.DataPlaneRouting, r.DefaultLargeStagingDiskType, *r.BandwidthThrottling,
			*r.UseDedicatedReplicationServer, *r.AssociateDefaultSecurityGroup, len(r.ReplicatedDisks), len(r.ReplicationServersSecurityGroupsIDs)}
		if !slices.Equal(gotR, wantR) || !slices.Equal(pit, wantPit) || !maps.Equal(rc.StagingAreaTags, r.StagingAreaTags) {
			t.Errorf("replication configuration of %s: SDK read %v %v %v, want %v %v %v", id, gotR, pit, rc.StagingAreaTags, wantR, wantPit, r.StagingAreaTags)
		}
	}

	for _, limit := range []int32{1, 2, 0} {
		p := drs.NewDescribeSourceNetworksPaginator(c, &drs.DescribeSourceNetworksInput{}, func(o *drs.DescribeSourceNetworksPaginatorOptions) { o.Limit = limit })
		var got []string
		pages := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatalf("DescribeSourceNetworks page %d: %v", pages+1, err)
			}
			pages++
			for _, n := range out.Items {
				got = append(got, aws.ToString(n.SourceNetworkID))
				if n.ReplicationStatus == "" || aws.ToString(n.SourceVpcID) == "" || n.LastRecovery != nil && n.LastRecovery.ApiCallDateTime == nil {
					t.Errorf("network %s read incompletely: %+v", aws.ToString(n.SourceNetworkID), n)
				}
			}
		}
		want := srv.SourceNetworkIDs()
		wantPages := 1
		if limit > 0 {
			wantPages = (len(want) + int(limit) - 1) / int(limit)
		}
		if !slices.Equal(got, want) || pages != wantPages {
			t.Errorf("limit %d: SDK read %v in %d pages, want %v in %d", limit, got, pages, want, wantPages)
		}
	}
	acct := emulator.DefaultStagingAccount
	out, err := c.DescribeSourceNetworks(ctx(t), &drs.DescribeSourceNetworksInput{Filters: &types.DescribeSourceNetworksRequestFilters{OriginAccountID: aws.String(acct)}})
	if err != nil || len(out.Items) != 1 || aws.ToString(out.Items[0].SourceAccountID) != acct {
		t.Errorf("networks of %s: %v, %+v", acct, err, out)
	}

	for _, call := range []struct {
		op string
		fn func() error
	}{
		{emulator.OpGetLaunchConfiguration, func() error {
			_, err := c.GetLaunchConfiguration(ctx(t), &drs.GetLaunchConfigurationInput{SourceServerID: aws.String("s-00000000000000000")})
			return err
		}},
		{emulator.OpGetReplicationConfiguration, func() error {
			_, err := c.GetReplicationConfiguration(ctx(t), &drs.GetReplicationConfigurationInput{SourceServerID: aws.String("s-00000000000000000")})
			return err
		}},
	} {
		var nf *types.ResourceNotFoundException
		if err := call.fn(); !errors.As(err, &nf) {
			t.Errorf("%s of an unknown server: %v, want a ResourceNotFoundException", call.op, err)
		}
	}
}

// TestConfigurationsFaults: faults apply to the new operations by name, as
// to every other.
func TestConfigurationsFaults(t *testing.T) {
	srv := start(t, emulator.Options{})
	c := client(srv.URL())
	id := serverIDs(t, srv)[0]
	calls := map[string]func() error{
		emulator.OpGetLaunchConfiguration: func() error {
			_, err := c.GetLaunchConfiguration(ctx(t), &drs.GetLaunchConfigurationInput{SourceServerID: aws.String(id)})
			return err
		},
		emulator.OpGetReplicationConfiguration: func() error {
			_, err := c.GetReplicationConfiguration(ctx(t), &drs.GetReplicationConfigurationInput{SourceServerID: aws.String(id)})
			return err
		},
		emulator.OpDescribeSourceNetworks: func() error {
			_, err := c.DescribeSourceNetworks(ctx(t), &drs.DescribeSourceNetworksInput{})
			return err
		},
	}
	faults := []struct {
		name   string
		faults func(op string) emulator.Faults
		code   string // the error code the SDK reports, "" for any error
	}{
		{"throttled", func(string) emulator.Faults { return emulator.Faults{ThrottleRate: 1} }, "ThrottlingException"},
		{"server error", func(string) emulator.Faults { return emulator.Faults{ServerErrorRate: 1} }, "InternalServerException"},
		{"access denied", func(op string) emulator.Faults { return emulator.Faults{AccessDenied: map[string]bool{op: true}} }, "AccessDeniedException"},
		{"uninitialized", func(string) emulator.Faults { return emulator.Faults{UninitializedAccount: true} }, "UninitializedAccountException"},
		{"malformed", func(op string) emulator.Faults { return emulator.Faults{Malformed: map[string]bool{op: true}} }, ""},
		{"truncated", func(op string) emulator.Faults { return emulator.Faults{Truncate: map[string]bool{op: true}} }, ""},
	}
	for _, op := range slices.Sorted(maps.Keys(calls)) {
		for _, f := range faults {
			t.Run(op+"/"+f.name, func(t *testing.T) {
				srv.SetFaults(f.faults(op))
				defer srv.SetFaults(emulator.Faults{})
				before := srv.Calls(op)
				err := calls[op]()
				if err == nil {
					t.Fatal("the call succeeded")
				}
				var ae smithy.APIError
				if f.code != "" && (!errors.As(err, &ae) || ae.ErrorCode() != f.code) {
					t.Errorf("got %v, want %s", err, f.code)
				}
				if srv.Calls(op) != before+1 {
					t.Errorf("%d calls counted, want %d", srv.Calls(op), before+1)
				}
			})
		}
		if err := calls[op](); err != nil {
			t.Errorf("%s without faults: %v", op, err)
		}
	}

	// A list whose JSON types are broken, and tokens that expire.
	srv.SetFaults(emulator.Faults{WrongTypes: map[string]emulator.WrongType{emulator.OpDescribeSourceNetworks: emulator.ListAsObject}})
	if err := calls[emulator.OpDescribeSourceNetworks](); err == nil {
		t.Error("DescribeSourceNetworks with its list as an object succeeded")
	}
	srv.SetFaults(emulator.Faults{ExpireTokens: map[string]int{emulator.OpDescribeSourceNetworks: 1}})
	first := send(t, http.MethodPost, srv.URL()+"/DescribeSourceNetworks", `{"maxResults":1}`)
	var p page
	if err := json.Unmarshal(first.body, &p); err != nil || p.NextToken == nil {
		t.Fatalf("first page: %s", first.body)
	}
	next := `{"maxResults":1,"nextToken":"` + *p.NextToken + `"}`
	if a := send(t, http.MethodPost, srv.URL()+"/DescribeSourceNetworks", next); a.status != http.StatusBadRequest {
		t.Errorf("expired token: status %d, want 400", a.status)
	}
	if a := send(t, http.MethodPost, srv.URL()+"/DescribeSourceNetworks", next); a.status != http.StatusOK {
		t.Errorf("token presented again: status %d, want 200", a.status)
	}
	srv.SetFaults(emulator.Faults{})
}

// changes counts the objects of before and after (alike in order) whose
// bytes differ.
func changes(before, after []json.RawMessage) int {
	n := 0
	for i := range before {
		if !bytes.Equal(before[i], after[i]) {
			n++
		}
	}
	return n
}

// TestConfigurationsDrift: each Advance changes some configurations and
// source networks, leaves others as they were, and the Versions accessors
// list exactly the distinct states a reader after every Advance saw. The
// same seed drifts the same way.
func TestConfigurationsDrift(t *testing.T) {
	a, b := emulator.New(emulator.Options{Seed: 9}), emulator.New(emulator.Options{Seed: 9})
	ids := serverIDs(t, a)
	nets := a.SourceNetworkIDs()
	kinds := []struct {
		name    string
		current func(*emulator.Server) []json.RawMessage
		keys    []string
		version func(*emulator.Server, string) []json.RawMessage
		stable  []string // members that never change
	}{
		{"launch", (*emulator.Server).LaunchConfigurations, ids, (*emulator.Server).LaunchConfigurationVersions,
			[]string{"sourceServerID", "name", "ec2LaunchTemplateID"}},
		{"replication", (*emulator.Server).ReplicationConfigurations, ids, (*emulator.Server).ReplicationConfigurationVersions,
			[]string{"sourceServerID", "name", "stagingAreaSubnetId", "replicatedDisks"}},
		{"network", (*emulator.Server).SourceNetworks, nets, (*emulator.Server).SourceNetworkVersions,
			[]string{"sourceNetworkID", "arn", "sourceVpcID", "lastRecovery", "tags"}},
	}
	seen := make([]map[string][]json.RawMessage, len(kinds))
	for k, kind := range kinds {
		seen[k] = map[string][]json.RawMessage{}
		for i, raw := range kind.current(a) {
			seen[k][kind.keys[i]] = []json.RawMessage{raw}
		}
		for _, key := range kind.keys {
			if v := kind.version(a, key); len(v) != 1 {
				t.Errorf("%s %s: %d versions before any Advance, want 1", kind.name, key, len(v))
			}
		}
	}
	for step := range 4 {
		befores := make([][]json.RawMessage, len(kinds))
		for k, kind := range kinds {
			befores[k] = kind.current(a)
		}
		a.Advance(6 * time.Hour)
		b.Advance(6 * time.Hour)
		for k, kind := range kinds {
			before, after := befores[k], kind.current(a)
			if n := changes(before, after); n == 0 || n == len(before) {
				t.Errorf("step %d: Advance changed %d of %d %s objects; want some, not all", step, n, len(before), kind.name)
			}
			if !equalRaw(after, kind.current(b)) {
				t.Errorf("step %d: the same seed drifted two ways", step)
			}
			for i, raw := range after {
				key := kind.keys[i]
				if s := seen[k][key]; !bytes.Equal(s[len(s)-1], raw) {
					seen[k][key] = append(s, raw)
				}
				var was, now map[string]json.RawMessage
				if json.Unmarshal(before[i], &was) != nil || json.Unmarshal(raw, &now) != nil {
					t.Fatalf("%s %s is not a JSON object", kind.name, key)
				}
				for _, m := range kind.stable {
					if !bytes.Equal(was[m], now[m]) {
						t.Errorf("step %d: %s %s changed its %s: %s to %s", step, kind.name, key, m, was[m], now[m])
					}
				}
			}
		}
	}
	changed := 0
	for k, kind := range kinds {
		for _, key := range kind.keys {
			if got := kind.version(a, key); !equalRaw(got, seen[k][key]) {
				t.Errorf("%s %s: %d versions, a reader after every Advance saw %d", kind.name, key, len(got), len(seen[k][key]))
			}
			if len(seen[k][key]) > 1 {
				changed++
			}
		}
	}
	if changed == 0 {
		t.Error("nothing drifted")
	}
}

// TestConfigurationsLeaveOtherAnswers: the number of source networks
// changes nothing else that is served.
func TestConfigurationsLeaveOtherAnswers(t *testing.T) {
	a, b := emulator.New(emulator.Options{Seed: 4}), emulator.New(emulator.Options{Seed: 4, SourceNetworks: -1})
	a.Advance(time.Hour)
	b.Advance(time.Hour)
	if len(b.SourceNetworks()) != 0 || len(a.SourceNetworks()) != emulator.DefaultSourceNetworks {
		t.Fatalf("%d and %d source networks", len(a.SourceNetworks()), len(b.SourceNetworks()))
	}
	for _, tc := range []struct {
		name string
		get  func(*emulator.Server) []json.RawMessage
	}{
		{"jobs", (*emulator.Server).Jobs},
		{"source servers", (*emulator.Server).SourceServers},
		{"recovery instances", (*emulator.Server).RecoveryInstances},
		{"launch configurations", (*emulator.Server).LaunchConfigurations},
		{"replication configurations", (*emulator.Server).ReplicationConfigurations},
	} {
		if !equalRaw(tc.get(a), tc.get(b)) {
			t.Errorf("%s differ", tc.name)
		}
	}
}

// TestConfigurationsDelete: a deleted source server's configurations go
// with it, a deleted source network leaves the listing, and Restore brings
// both back as they were.
func TestConfigurationsDelete(t *testing.T) {
	srv := start(t, emulator.Options{})
	url := srv.URL()
	id := serverIDs(t, srv)[2]
	launch := getConfig(t, url, emulator.OpGetLaunchConfiguration, id).body
	repl := getConfig(t, url, emulator.OpGetReplicationConfiguration, id).body
	n := len(srv.LaunchConfigurations())
	if err := srv.DeleteSourceServer(id); err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{emulator.OpGetLaunchConfiguration, emulator.OpGetReplicationConfiguration} {
		if a := getConfig(t, url, op, id); a.status != http.StatusNotFound || a.header.Get("X-Amzn-Errortype") != "ResourceNotFoundException" {
			t.Errorf("%s of a deleted server: %d %s", op, a.status, a.body)
		}
	}
	if got := idsOf(t, srv.LaunchConfigurations(), "sourceServerID"); len(got) != n-1 || slices.Contains(got, id) {
		t.Errorf("after delete, launch configurations of %v", got)
	}
	if got := idsOf(t, srv.ReplicationConfigurations(), "sourceServerID"); len(got) != n-1 || slices.Contains(got, id) {
		t.Errorf("after delete, replication configurations of %v", got)
	}
	if srv.LaunchConfigurationVersions(id) != nil || srv.ReplicationConfigurationVersions(id) != nil {
		t.Error("a deleted server still has configuration versions")
	}
	if err := srv.Restore(id); err != nil {
		t.Fatal(err)
	}
	if a := getConfig(t, url, emulator.OpGetLaunchConfiguration, id); !bytes.Equal(a.body, launch) {
		t.Errorf("restored launch configuration %s, want %s", a.body, launch)
	}
	if a := getConfig(t, url, emulator.OpGetReplicationConfiguration, id); !bytes.Equal(a.body, repl) {
		t.Errorf("restored replication configuration %s, want %s", a.body, repl)
	}

	nets := srv.SourceNetworkIDs()
	all := srv.SourceNetworks()
	gone := nets[1]
	if err := srv.DeleteSourceNetwork(gone); err != nil {
		t.Fatal(err)
	}
	listed := idsOf(t, fetchAll(t, url, emulator.OpDescribeSourceNetworks, map[string]any{"maxResults": 1}), "sourceNetworkID")
	if slices.Contains(listed, gone) || len(listed) != len(nets)-1 || slices.Contains(srv.SourceNetworkIDs(), gone) || srv.SourceNetworkVersions(gone) != nil {
		t.Errorf("after delete, %v listed", listed)
	}
	if err := srv.DeleteSourceNetwork(gone); err == nil {
		t.Error("deleting twice succeeded")
	}
	if err := srv.Restore(gone); err != nil {
		t.Fatal(err)
	}
	if !equalRaw(srv.SourceNetworks(), all) {
		t.Error("Restore did not bring the source network back as it was")
	}
}

func TestConfigurationsAWSCLI(t *testing.T) {
	srv := start(t, emulator.Options{Seed: 5})
	ids := serverIDs(t, srv)
	launches := decode[launchWire](t, srv.LaunchConfigurations())
	repls := decode[replicationWire](t, srv.ReplicationConfigurations())
	for _, i := range []int{0, len(ids) - 1} {
		var lc launchWire
		awsCLI(t, srv, &lc, "drs", "get-launch-configuration", "--source-server-id", ids[i])
		w := launches[i]
		if lc.SourceServerID != ids[i] || lc.LaunchDisposition != w.LaunchDisposition || lc.TargetInstanceTypeRightSizingMethod != w.TargetInstanceTypeRightSizingMethod ||
			lc.EC2LaunchTemplateID != w.EC2LaunchTemplateID || *lc.CopyTags != *w.CopyTags {
			t.Errorf("CLI read launch configuration %+v, want %+v", lc, w)
		}
		var rc replicationWire
		awsCLI(t, srv, &rc, "drs", "get-replication-configuration", "--source-server-id", ids[i])
		r := repls[i]
		if rc.SourceServerID != ids[i] || *rc.BandwidthThrottling != *r.BandwidthThrottling || len(rc.PitPolicy) != len(r.PitPolicy) ||
			rc.ReplicationServerInstanceType != r.ReplicationServerInstanceType || !maps.Equal(rc.StagingAreaTags, r.StagingAreaTags) {
			t.Errorf("CLI read replication configuration %+v, want %+v", rc, r)
		}
	}
	var nets struct {
		Items []networkWire `json:"items"`
	}
	awsCLI(t, srv, &nets, "drs", "describe-source-networks", "--page-size", "2")
	want := decode[networkWire](t, srv.SourceNetworks())
	if len(want) == 0 || len(nets.Items) != len(want) {
		t.Fatalf("CLI listed %d networks, want %d", len(nets.Items), len(want))
	}
	for i, n := range nets.Items {
		if n.SourceNetworkID != want[i].SourceNetworkID || n.ReplicationStatus != want[i].ReplicationStatus || n.SourceVpcID != want[i].SourceVpcID {
			t.Errorf("network %d: CLI read %+v, want %+v", i, n, want[i])
		}
	}
	_, stderr, err := runAWS(t, srv, "drs", "get-launch-configuration", "--source-server-id", "s-00000000000000000")
	if err == nil || !strings.Contains(stderr, "(ResourceNotFoundException)") {
		t.Errorf("got %v, stderr %q; want a ResourceNotFoundException", err, stderr)
	}
}
