package emulator_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/archiver-dev/archiver/internal/emulator"
)

const orgKey = "AKIDORGMANAGEMENT"

// orgAccounts returns n member accounts, the first half in ou-ab12-aaaaaaaa.
func orgAccounts(n int) []emulator.OrgAccount {
	out := make([]emulator.OrgAccount, n)
	for i := range out {
		out[i] = emulator.OrgAccount{ID: fmt.Sprintf("3000000000%02d", i+1)}
		if i < n/2 {
			out[i].Parent = "ou-ab12-aaaaaaaa"
		}
	}
	return out
}

func startOrg(t *testing.T, setup emulator.OrgSetup) (*emulator.Mux, map[emulator.Place]*emulator.Server) {
	t.Helper()
	m, servers := emulator.NewOrgMux(setup)
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m, servers
}

func orgConfig(m *emulator.Mux, key string) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(m.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(key, "secret", "")}
}

// TestOrganizationsListAccounts: ListAccounts and ListAccountsForParent, as
// the SDK's paginators read them, list the accounts the organization has,
// 20 a page, to the management account's credentials only.
func TestOrganizationsListAccounts(t *testing.T) {
	accts := orgAccounts(25)
	accts[3].State = "SUSPENDED"
	m, _ := startOrg(t, emulator.OrgSetup{Organization: emulator.Organization{ManagementKey: orgKey, Accounts: accts}})
	ctx := context.Background()
	c := organizations.NewFromConfig(orgConfig(m, orgKey))

	var got []string
	pages := 0
	p := organizations.NewListAccountsPaginator(c, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, a := range page.Accounts {
			got = append(got, aws.ToString(a.Id)+"/"+string(a.State))
		}
	}
	var want []string
	for _, a := range accts {
		state := a.State
		if state == "" {
			state = "ACTIVE"
		}
		want = append(want, a.ID+"/"+state)
	}
	if len(want) == 0 || !slices.Equal(got, want) || pages != 2 {
		t.Errorf("ListAccounts: %d pages of %v, want 2 of %v", pages, got, want)
	}

	got = nil
	pp := organizations.NewListAccountsForParentPaginator(c, &organizations.ListAccountsForParentInput{ParentId: aws.String("ou-ab12-aaaaaaaa")})
	for pp.HasMorePages() {
		page, err := pp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Accounts {
			got = append(got, aws.ToString(a.Id))
		}
	}
	want = nil
	for _, a := range accts {
		if a.Parent == "ou-ab12-aaaaaaaa" {
			want = append(want, a.ID)
		}
	}
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("ListAccountsForParent: %v, want %v", got, want)
	}

	_, err := c.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String("ou-zz99-zzzzzzzz")})
	var pnf interface{ ErrorCode() string }
	if !errors.As(err, &pnf) || pnf.ErrorCode() != "ParentNotFoundException" {
		t.Errorf("unknown OU: %v, want ParentNotFoundException", err)
	}
	_, err = organizations.NewFromConfig(orgConfig(m, "AKIDSOMEONEELSE")).ListAccounts(ctx, &organizations.ListAccountsInput{})
	var ade interface{ ErrorCode() string }
	if !errors.As(err, &ade) || ade.ErrorCode() != "AccessDeniedException" {
		t.Errorf("ListAccounts by a member: %v, want AccessDeniedException", err)
	}
}

// TestAssumeRoleRoutesToAccount: credentials from AssumeRole (through the
// SDK's own provider) reach the Server of the role's account in the
// request's region; a role marked missing, or the wrong external ID, is
// refused with AccessDenied.
func TestAssumeRoleRoutesToAccount(t *testing.T) {
	accts := orgAccounts(3)
	m, servers := startOrg(t, emulator.OrgSetup{
		Organization: emulator.Organization{ManagementKey: orgKey, Accounts: accts, ExternalID: "ext-1",
			RoleMissing: map[string]bool{accts[2].ID: true}},
		Regions: []string{"us-east-1", "eu-west-1"},
		History: emulator.Options{Seed: 5, Jobs: 3, LogItemsPerJob: 2},
	})
	ctx := context.Background()
	stsClient := sts.NewFromConfig(orgConfig(m, orgKey))
	creds := func(account, ext string) aws.CredentialsProvider {
		return aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, "arn:aws:iam::"+account+":role/Reader",
			func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName, o.ExternalID = "archiver", aws.String(ext) }))
	}
	for _, a := range accts[:2] {
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			cfg := aws.Config{Region: region, BaseEndpoint: aws.String(m.URL()), Credentials: creds(a.ID, "ext-1")}
			out, err := drs.NewFromConfig(cfg).DescribeJobs(ctx, &drs.DescribeJobsInput{})
			if err != nil {
				t.Fatalf("%s %s: %v", a.ID, region, err)
			}
			want := servers[emulator.Place{Account: a.ID, Region: region}].JobIDs()
			var got []string
			for _, j := range out.Items {
				got = append(got, aws.ToString(j.JobID))
			}
			slices.Sort(got)
			slices.Sort(want)
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("%s %s: jobs %v, want %v", a.ID, region, got, want)
			}
			id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil || aws.ToString(id.Account) != a.ID {
				t.Errorf("%s %s: caller identity %v, %v", a.ID, region, id, err)
			}
		}
	}
	for _, tc := range []struct{ account, ext string }{{accts[2].ID, "ext-1"}, {accts[0].ID, "wrong"}, {"999999999999", "ext-1"}} {
		_, err := creds(tc.account, tc.ext).Retrieve(ctx)
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
			t.Errorf("assume role in %s with external ID %s: %v, want AccessDenied", tc.account, tc.ext, err)
		}
	}
	calls := m.AssumeRoleCalls()
	granted := 0
	for _, c := range calls {
		if c.RoleSessionName != "archiver" {
			t.Errorf("call %+v: session name not passed through", c)
		}
		if c.Granted {
			granted++
		}
	}
	// One per account and region: each config above has a cache of its own.
	if granted != 4 || len(calls) != 7 {
		t.Errorf("%d AssumeRole calls, %d granted; want 7 and 4: %+v", len(calls), granted, calls)
	}
}
