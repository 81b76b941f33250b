package query_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query"
	archsync "github.com/archiver-dev/archiver/sync"
)

func TestCheckEnum(t *testing.T) {
	tests := []struct {
		flag   string
		kind   query.EnumKind
		in     string
		want   string // the canonical value, or "" for an error
		errHas string
	}{
		{"--event", query.EnumEvent, "LAUNCH_FAILED", "LAUNCH_FAILED", ""},
		{"--event", query.EnumEvent, " launch_failed ", "LAUNCH_FAILED", ""},
		{"--event", query.EnumEvent, "LAUNCH_FAILD", "", `--event "LAUNCH_FAILD": no such event; did you mean LAUNCH_FAILED?`},
		{"--event", query.EnumEvent, "launch failed", "", "did you mean LAUNCH_FAILED?"},
		{"--status", query.EnumStatus, "COMPLETD", "", `--status "COMPLETD": no such status; did you mean COMPLETED?`},
		{"--status", query.EnumStatus, "InTransitToCustomer", "InTransitToCustomer", ""},
		{"--status", query.EnumStatus, "intransittocustomer", "InTransitToCustomer", ""},
		{"--status", query.EnumStatus, "PAUSED_ON_FAILURE", "PAUSED_ON_FAILURE", ""},
		{"--status", query.EnumStatus, "running", "RUNNING", ""},
		{"type:", query.EnumType, "ON_DEMAND", "ON_DEMAND", ""},
		{"--type", query.EnumJobType, "launch", "LAUNCH", ""},
		{"--type", query.EnumJobType, "terminate", "TERMINATE", ""},
		// --type selects DRS jobs: the types of other things are refused.
		{"--type", query.EnumJobType, "ON_DEMAND", "", `--type "ON_DEMAND": no such DRS job type`},
		{"--type", query.EnumJobType, "DRILL", "", "no such DRS job type"},
		{"--initiated-by", query.EnumInitiatedBy, "START_DRIL", "", "did you mean START_DRILL?"},
		{"--event", query.EnumEvent, "", "", "--event: empty value"},
	}
	for _, tc := range tests {
		got, err := query.CheckEnum(tc.flag, tc.kind, []string{tc.in})
		switch {
		case tc.want != "" && (err != nil || len(got) != 1 || got[0] != tc.want):
			t.Errorf("CheckEnum(%s, %q) = %v, %v; want %s", tc.flag, tc.in, got, err, tc.want)
		case tc.want == "" && (err == nil || !strings.Contains(err.Error(), tc.errHas) || strings.Contains(err.Error(), "\n")):
			t.Errorf("CheckEnum(%s, %q) = %v, %v; want a one-line error with %q", tc.flag, tc.in, got, err, tc.errHas)
		}
	}
}

// enumKeys are the members whose values the enum filters match, by kind,
// lower-cased: the members the index reads into each keyword field.
var enumKeys = map[string]query.EnumKind{
	"event":  query.EnumEvent,
	"status": query.EnumStatus, "launchstatus": query.EnumStatus, "lastlaunchresult": query.EnumStatus,
	"jobstate": query.EnumStatus, "state": query.EnumStatus, "ec2instancestate": query.EnumStatus,
	"type": query.EnumType, "jobtype": query.EnumType,
	"initiatedby":          query.EnumInitiatedBy,
	"datareplicationstate": query.EnumReplicationState,
}

// enumsIn adds the enum values of v to seen, by kind.
func enumsIn(v any, key string, seen map[query.EnumKind]map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, vv := range x {
			// x- members are the emulator's stand-ins for members a later
			// API version may add: no enum of today's API.
			if !strings.HasPrefix(k, "x-") {
				enumsIn(vv, k, seen)
			}
		}
	case []any:
		for _, vv := range x {
			enumsIn(vv, key, seen)
		}
	case string:
		if kind, ok := enumKeys[strings.ToLower(key)]; ok {
			if seen[kind] == nil {
				seen[kind] = map[string]bool{}
			}
			seen[kind][x] = true
		}
	}
}

// TestEmulatorEnumsAreKnown: every enum value the emulated DRS, Snowball
// and SMS histories carry is one the enum filters accept, so that no real
// value is refused as a typo.
func TestEmulatorEnumsAreKnown(t *testing.T) {
	seen := map[query.EnumKind]map[string]bool{}
	add := func(raw []json.RawMessage) {
		for _, r := range raw {
			var v any
			if err := json.Unmarshal(r, &v); err != nil {
				t.Fatal(err)
			}
			enumsIn(v, "", seen)
		}
	}
	for _, seed := range []int64{3, 31, 37, 43} {
		emu := emulator.New(emulator.Options{Seed: seed})
		add(emu.Jobs())
		for _, id := range emu.JobIDs() {
			add(emu.JobLog(id))
		}
		add(emu.SourceServers())
		for _, raw := range emu.SourceServers() {
			var s struct{ SourceServerID string }
			json.Unmarshal(raw, &s)
			add(emu.RecoverySnapshots(s.SourceServerID))
		}
		add(emu.RecoveryInstances())
		add(emu.Clusters())
		for _, c := range emu.ClusterIDs() {
			add(emu.ClusterJobs(c))
		}
		add(emu.ReplicationJobs())
	}
	for _, kind := range []query.EnumKind{query.EnumEvent, query.EnumStatus, query.EnumType, query.EnumInitiatedBy, query.EnumReplicationState} {
		if len(seen[kind]) == 0 {
			t.Errorf("the histories carry no %s; the test proves nothing for it", kind)
		}
		known := map[string]bool{}
		for _, v := range query.EnumValues(kind) {
			known[v] = true
		}
		for v := range seen[kind] {
			if !known[v] {
				t.Errorf("the emulator emits %s %q, which the filters do not know", kind, v)
			}
		}
	}
}

// TestStatusIgnoresCase: --status matches whatever case the service uses,
// in whatever case it is given; so do status: and event: in --text.
func TestStatusIgnoresCase(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 3})
	dir := archivetest.Dir(t)
	err := archsync.Run(context.Background(), archsync.Options{
		ArchiveDir: dir, Regions: []string{"us-east-1"}, EndpointURL: emu.URL(),
		Sources:     []archsync.Source{archsync.SourceDRS, archsync.SourceSnowball, archsync.SourceSMS},
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		Now:         emu.Now,
	}, &archsync.Stats{})
	if err != nil {
		t.Fatal(err)
	}
	// Snowball job states are CamelCase (InTransitToCustomer), SMS and DRS
	// ones upper case.
	byState := map[string][]string{}
	for _, c := range emu.ClusterIDs() {
		for _, j := range emu.ClusterJobs(c) {
			var h struct{ JobId, JobState string }
			json.Unmarshal(j, &h)
			byState[h.JobState] = append(byState[h.JobState], "snowball "+h.JobId)
		}
	}
	tried := 0
	for state, want := range byState {
		if strings.ToUpper(state) == state {
			continue
		}
		tried++
		for _, given := range []string{state, strings.ToUpper(state), strings.ToLower(state)} {
			vals, err := query.CheckEnum("--status", query.EnumStatus, []string{given})
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := ask(t, dir, query.Request{Filters: query.Filters{Statuses: vals, Kinds: snowballOnly}})
			if err != nil {
				t.Fatal(err)
			}
			sameSet(t, "--status "+given, got, want)
			got, _, err = ask(t, dir, query.Request{Filters: query.Filters{Text: "Status:" + strings.ToLower(state), Kinds: snowballOnly}})
			if err != nil {
				t.Fatal(err)
			}
			sameSet(t, "--text Status:"+strings.ToLower(state), got, want)
		}
	}
	if tried == 0 {
		t.Fatalf("no Snowball job state in mixed case among %v; the test proves nothing", byState)
	}
}

var snowballOnly = []archive.Kind{kinds.SnowballJob}
