package emulator_test

import (
	"encoding/json"
	"errors"
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

// snapshotWire is the part of a recovery snapshot the tests read.
type snapshotWire struct {
	SnapshotID     string   `json:"snapshotID"`
	SourceServerID string   `json:"sourceServerID"`
	Timestamp      string   `json:"timestamp"`
	EBSSnapshots   []string `json:"ebsSnapshots"`
}

// instanceWire is the part of a recovery instance the tests read.
type instanceWire struct {
	RecoveryInstanceID          string `json:"recoveryInstanceID"`
	SourceServerID              string `json:"sourceServerID"`
	JobID                       string `json:"jobID"`
	IsDrill                     *bool  `json:"isDrill"`
	EC2InstanceState            string `json:"ec2InstanceState"`
	PointInTimeSnapshotDateTime string `json:"pointInTimeSnapshotDateTime"`
}

// serverIDs returns the IDs of the source servers srv serves.
func serverIDs(t *testing.T, srv *emulator.Server) []string {
	t.Helper()
	var out []string
	for _, s := range decode[wireServer](t, srv.SourceServers()) {
		out = append(out, s.SourceServerID)
	}
	return out
}

// withSnapshots returns a server that has at least four recovery snapshots.
func withSnapshots(t *testing.T, srv *emulator.Server) string {
	t.Helper()
	for _, id := range serverIDs(t, srv) {
		if len(srv.RecoverySnapshots(id)) >= 4 {
			return id
		}
	}
	t.Fatal("no source server has four recovery snapshots")
	return ""
}

func TestRecoverySnapshotsWire(t *testing.T) {
	srv := start(t, emulator.Options{Seed: 5})
	url := srv.URL()
	id := withSnapshots(t, srv)
	all := srv.RecoverySnapshots(id)
	snaps := decode[snapshotWire](t, all)
	at := func(i int) string { return snaps[i].Timestamp }
	for i, s := range snaps {
		if s.SourceServerID != id || !strings.HasPrefix(s.SnapshotID, "pit-") || len(s.EBSSnapshots) == 0 {
			t.Errorf("snapshot %d: %+v", i, s)
		}
		if i > 0 && !parse(t, at(i)).After(parse(t, at(i-1))) {
			t.Errorf("snapshot %d is not after the one before", i)
		}
	}
	tests := []struct {
		name  string
		input map[string]any
		want  []json.RawMessage
	}{
		{"all, ascending", map[string]any{"sourceServerID": id, "maxResults": 2}, all},
		{"descending", map[string]any{"sourceServerID": id, "order": "DESC", "maxResults": 3}, reversed(all)},
		{"from, inclusive", map[string]any{"sourceServerID": id, "filters": map[string]any{"fromDateTime": at(2)}}, all[2:]},
		{"to, inclusive", map[string]any{"sourceServerID": id, "filters": map[string]any{"toDateTime": at(1)}}, all[:2]},
		{"from and to", map[string]any{"sourceServerID": id, "filters": map[string]any{"fromDateTime": at(1), "toDateTime": at(2)}}, all[1:3]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fetchAll(t, url, emulator.OpDescribeRecoverySnapshots, tc.input); !equalRaw(got, tc.want) {
				t.Errorf("served %d snapshots, want %d", len(got), len(tc.want))
			}
		})
	}

	errs := []struct {
		name, body string
		status     int
		code       string
	}{
		{"no server", `{}`, http.StatusBadRequest, "ValidationException"},
		{"unknown server", `{"sourceServerID":"s-00000000000000000"}`, http.StatusNotFound, "ResourceNotFoundException"},
		{"bad order", `{"sourceServerID":"` + id + `","order":"UP"}`, http.StatusBadRequest, "ValidationException"},
		{"bad time", `{"sourceServerID":"` + id + `","filters":{"fromDateTime":"yesterday"}}`, http.StatusBadRequest, "ValidationException"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			a := send(t, http.MethodPost, url+"/"+emulator.OpDescribeRecoverySnapshots, tc.body)
			if a.status != tc.status || !strings.HasPrefix(a.header.Get("X-Amzn-Errortype"), tc.code) {
				t.Errorf("status %d, error type %q, want %d %s", a.status, a.header.Get("X-Amzn-Errortype"), tc.status, tc.code)
			}
		})
	}
}

func TestRecoveryInstancesWire(t *testing.T) {
	srv := start(t, emulator.Options{Seed: 5})
	url := srv.URL()
	all := srv.RecoveryInstances()
	if len(all) < 2 {
		t.Fatalf("%d recovery instances: too few to test", len(all))
	}
	ins := decode[instanceWire](t, all)
	jobs := map[string]bool{}
	for _, id := range srv.JobIDs() {
		jobs[id] = true
	}
	for i, in := range ins {
		if !strings.HasPrefix(in.RecoveryInstanceID, "i-") || !jobs[in.JobID] || in.IsDrill == nil || in.EC2InstanceState == "" {
			t.Errorf("instance %d: %+v", i, in)
		}
		if i > 0 && in.RecoveryInstanceID <= ins[i-1].RecoveryInstanceID {
			t.Errorf("instance %d is out of order", i)
		}
	}
	tests := []struct {
		name  string
		input map[string]any
		want  []json.RawMessage
	}{
		{"all", map[string]any{"maxResults": 1}, all},
		{"by ID", map[string]any{"filters": map[string]any{"recoveryInstanceIDs": []string{ins[1].RecoveryInstanceID}}}, all[1:2]},
		{"by server", map[string]any{"filters": map[string]any{"sourceServerIDs": []string{ins[0].SourceServerID}}}, all[:1]},
		{"no match", map[string]any{"filters": map[string]any{"sourceServerIDs": []string{"s-00000000000000000"}}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fetchAll(t, url, emulator.OpDescribeRecoveryInstances, tc.input); !equalRaw(got, tc.want) {
				t.Errorf("served %d instances, want %d", len(got), len(tc.want))
			}
		})
	}
}

// TestRecoverySDK reads both operations with the real SDK client: its
// serializers send what the emulator reads, and its deserializers read what
// it serves.
func TestRecoverySDK(t *testing.T) {
	srv := start(t, emulator.Options{Seed: 6})
	c := client(srv.URL())
	id := withSnapshots(t, srv)
	want := decode[snapshotWire](t, srv.RecoverySnapshots(id))
	from := want[1].Timestamp
	p := drs.NewDescribeRecoverySnapshotsPaginator(c, &drs.DescribeRecoverySnapshotsInput{
		SourceServerID: aws.String(id), Order: types.RecoverySnapshotsOrderAsc, MaxResults: aws.Int32(2),
		Filters: &types.DescribeRecoverySnapshotsRequestFilters{FromDateTime: aws.String(from)},
	})
	var got []string
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("DescribeRecoverySnapshots: %v", err)
		}
		for _, s := range out.Items {
			got = append(got, aws.ToString(s.SnapshotID)+" "+aws.ToString(s.Timestamp))
		}
	}
	var wantIDs []string
	for _, s := range want[1:] {
		wantIDs = append(wantIDs, s.SnapshotID+" "+s.Timestamp)
	}
	if !slices.Equal(got, wantIDs) {
		t.Errorf("SDK read %v, want %v", got, wantIDs)
	}

	ip := drs.NewDescribeRecoveryInstancesPaginator(c, &drs.DescribeRecoveryInstancesInput{MaxResults: aws.Int32(2)})
	n := 0
	for ip.HasMorePages() {
		out, err := ip.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("DescribeRecoveryInstances: %v", err)
		}
		for _, in := range out.Items {
			if in.IsDrill == nil || aws.ToString(in.JobID) == "" || in.Ec2InstanceState == "" {
				t.Errorf("instance %s lacks isDrill, jobID or its state", aws.ToString(in.RecoveryInstanceID))
			}
			n++
		}
	}
	if n != len(srv.RecoveryInstances()) {
		t.Errorf("SDK read %d instances, want %d", n, len(srv.RecoveryInstances()))
	}

	// Faults apply to the new operations by name.
	srv.SetFaults(emulator.Faults{AccessDenied: map[string]bool{emulator.OpDescribeRecoveryInstances: true}})
	_, err := c.DescribeRecoveryInstances(ctx(t), &drs.DescribeRecoveryInstancesInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Errorf("DescribeRecoveryInstances with access denied: %v", err)
	}
}

// TestRecoveryAdvance: Advance takes new snapshots, after the old ones, and
// changes the state of some recovery instances; the same seed gives the same
// history.
func TestRecoveryAdvance(t *testing.T) {
	a, b := emulator.New(emulator.Options{Seed: 8}), emulator.New(emulator.Options{Seed: 8})
	id := withSnapshots(t, a)
	before := a.RecoverySnapshots(id)
	instances := a.RecoveryInstances()
	a.Advance(13 * time.Hour)
	b.Advance(13 * time.Hour)
	after := a.RecoverySnapshots(id)
	if len(after) <= len(before) || !equalRaw(after[:len(before)], before) {
		t.Errorf("%d snapshots before Advance, %d after; the old ones must stay as they were", len(before), len(after))
	}
	if !equalRaw(after, b.RecoverySnapshots(id)) || !equalRaw(a.RecoveryInstances(), b.RecoveryInstances()) {
		t.Error("the same seed gave two histories")
	}
	old := map[string]instanceWire{}
	for _, in := range decode[instanceWire](t, instances) {
		old[in.RecoveryInstanceID] = in
	}
	changed := 0
	for _, in := range decode[instanceWire](t, a.RecoveryInstances()) {
		if o, ok := old[in.RecoveryInstanceID]; ok && o.EC2InstanceState != in.EC2InstanceState {
			changed++
		}
	}
	if changed == 0 {
		t.Error("Advance changed the state of no recovery instance")
	}
}

func TestRecoveryAWSCLI(t *testing.T) {
	srv := start(t, emulator.Options{Seed: 5})
	id := withSnapshots(t, srv)
	var snaps struct {
		Items []snapshotWire `json:"items"`
	}
	awsCLI(t, srv, &snaps, "drs", "describe-recovery-snapshots", "--source-server-id", id, "--page-size", "3")
	if want := decode[snapshotWire](t, srv.RecoverySnapshots(id)); len(snaps.Items) != len(want) || snaps.Items[0].SnapshotID != want[0].SnapshotID {
		t.Errorf("CLI listed %d snapshots, want %d", len(snaps.Items), len(want))
	}
	var ins struct {
		Items []instanceWire `json:"items"`
	}
	awsCLI(t, srv, &ins, "drs", "describe-recovery-instances")
	if len(ins.Items) != len(srv.RecoveryInstances()) {
		t.Errorf("CLI listed %d instances, want %d", len(ins.Items), len(srv.RecoveryInstances()))
	}
}

func reversed(in []json.RawMessage) []json.RawMessage {
	out := slices.Clone(in)
	slices.Reverse(out)
	return out
}

func parse(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}
