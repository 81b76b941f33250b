package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/internal/emulator"
)

const orgManagementKey = "AKIDORGMANAGEMENT"

// startOrgMux starts an emulated organization of n member accounts with a
// small history in every account and region, for the management key.
func startOrgMux(t *testing.T, n int, regions []string, org emulator.Organization, history emulator.Options) (*emulator.Mux, map[emulator.Place]*emulator.Server, []string) {
	t.Helper()
	var ids []string
	for i := range n {
		id := fmt.Sprintf("5000000000%02d", i+1)
		ids = append(ids, id)
		org.Accounts = append(org.Accounts, emulator.OrgAccount{ID: id})
	}
	org.ManagementKey = orgManagementKey
	mux, servers := emulator.NewOrgMux(emulator.OrgSetup{Organization: org, Regions: regions, History: history})
	if err := mux.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mux.Close)
	return mux, servers, ids
}

// TestSyncOrganizationCLI: an organization-wide sync from the command line.
// An account whose role cannot be assumed fails its targets: the others are
// archived, the summary says how many failed, stderr names each failed
// target and why in one line, and the exit status is 1. status shows the
// failure on its targets and "DRS not initialised" where it is.
func TestSyncOrganizationCLI(t *testing.T) {
	hermeticEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", orgManagementKey)
	regions := []string{"us-east-1", "eu-west-1"}
	noRole := "500000000003"
	mux, servers, ids := startOrgMux(t, 5, regions, emulator.Organization{RoleMissing: map[string]bool{noRole: true}},
		emulator.Options{Seed: 3, Jobs: 2, LogItemsPerJob: 3, Servers: 1})
	uninit := emulator.Place{Account: ids[1], Region: "us-east-1"}
	servers[uninit].SetFaults(emulator.Faults{UninitializedAccount: true})
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", mux.URL(), "--region", "us-east-1", "--region", "eu-west-1",
		"--org-role", "ArchiverReadOnly", "--org-exclude-account", ids[4], "--target-concurrency", "3", "--no-index")
	if code != 1 {
		t.Errorf("exit %d, want 1; stderr %s", code, stderr)
	}
	role := "arn:aws:iam::" + noRole + ":role/ArchiverReadOnly"
	want := `^archiver: sync: 2 of 8 targets failed: (us-east-1|eu-west-1), account ` + noRole + `: assume role ` + regexp.QuoteMeta(role) +
		`: AccessDenied: [^\n]*; (us-east-1|eu-west-1), account ` + noRole + `: assume role [^\n]*\n$`
	if !regexp.MustCompile(want).MatchString(stderr) {
		t.Errorf("stderr %q\ndoes not match %q", stderr, want)
	}
	if !strings.Contains(stdout, "in 8 regions and accounts (2 failed) (1 target with DRS not initialised)") {
		t.Errorf("stdout %q: no summary of the targets", stdout)
	}

	code, stdout, stderr = runCLI(t, "--archive", dir, "status")
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, stderr)
	}
	failed := regexp.MustCompile(`(?m)^last drs sync in (us-east-1|eu-west-1), account ` + noRole + `\n(  .*\n)*  outcome +failed: assume role\s+` + regexp.QuoteMeta(role) + `: AccessDenied`)
	if n := len(failed.FindAllString(stdout, -1)); n != 2 {
		t.Errorf("status shows %d failed targets of %s, want 2:\n%s", n, noRole, stdout)
	}
	notInit := regexp.MustCompile(`(?m)^last drs sync in us-east-1, account ` + uninit.Account + `\n(  .*\n)*  outcome +ok: DRS not initialised`)
	if !notInit.MatchString(stdout) {
		t.Errorf("status does not show DRS not initialised in %v:\n%s", uninit, stdout)
	}
	if n := len(regexp.MustCompile(`(?m)^  outcome +ok$`).FindAllString(stdout, -1)); n != 5 {
		t.Errorf("status shows %d good targets, want 5:\n%s", n, stdout)
	}
}

// TestSyncOrganizationFlags: the organization flags are checked before any
// work, with exit status 2 and one line.
func TestSyncOrganizationFlags(t *testing.T) {
	hermeticEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--org-unit", "ou-ab12-cd34ef56"}, "--org-unit needs --org-role"},
		{[]string{"--org-exclude-account", "123456789012"}, "--org-exclude-account needs --org-role"},
		{[]string{"--org-role", "role/Archiver"}, "--org-role \"role/Archiver\": not an IAM role name"},
		{[]string{"--org-role", "Archiver", "--org-unit", "o-1234"}, "--org-unit \"o-1234\": not an organizational unit"},
		{[]string{"--org-role", "Archiver", "--org-include-account", "12345"}, "--org-include-account"},
		{[]string{"--org-role", "Archiver", "--org-external-id", "x"}, "--org-external-id: not an STS external ID"},
		{[]string{"--target-concurrency", "0"}, "--target-concurrency 0: want 1 to 64"},
		{[]string{"--region", "al"}, "--region \"al\": not an AWS region"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, append([]string{"--archive", t.TempDir(), "sync", "--endpoint-url", "http://127.0.0.1:9"}, tc.args...)...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}

// TestSyncDRSNotInitialised: a region where DRS was never initialised is no
// failure: sync exits 0 and status says so.
func TestSyncDRSNotInitialised(t *testing.T) {
	hermeticEnv(t)
	emu := emulator.New(emulator.Options{Seed: 29, Jobs: 8, LogItemsPerJob: 12, SMSJobs: 12, Region: "us-west-2"})
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)
	emu.SetFaults(emulator.Faults{UninitializedAccount: true})
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--region", "us-west-2", "--source", "drs,sms", "--no-index")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "--archive", dir, "status")
	if code != 0 || !strings.Contains(stdout, "ok: DRS not initialised") {
		t.Errorf("status: exit %d, %s%s", code, stdout, stderr)
	}
}
