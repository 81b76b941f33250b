package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// AllRegions is the --region value that stands for every region of the
// partition where DRS is offered (see DRSRegions).
const AllRegions = "all"

// RoleSessionName is the session name of every role sync assumes, so that
// CloudTrail names archiver as the reader.
const RoleSessionName = "archiver"

// drsRegions are the regions, by partition, where AWS Elastic Disaster
// Recovery is offered. The SDK's endpoint data has no list of them (DRS
// endpoints follow the partition's pattern); a test checks that the SDK
// resolves each to a DRS endpoint of its partition.
var drsRegions = map[string][]string{
	"aws": {
		"af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
		"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
		"ca-central-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
		"eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1",
		"sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
	},
	"aws-us-gov": {"us-gov-east-1", "us-gov-west-1"},
}

// PartitionOf returns the partition of region: aws-us-gov, aws-cn,
// aws-iso, aws-iso-b or aws.
func PartitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	}
	return "aws"
}

// DRSRegions returns the regions of partition where DRS is offered, in
// name order; none for a partition without DRS.
func DRSRegions(partition string) []string {
	return slices.Clone(drsRegions[partition])
}

// expandRegions replaces AllRegions in regions by every DRS region of the
// partition of home (the region of the credentials' configuration), keeping
// the order and dropping repeats.
func expandRegions(regions []string, home string) ([]string, error) {
	if !slices.Contains(regions, AllRegions) {
		return regions, nil
	}
	part := PartitionOf(home)
	all := DRSRegions(part)
	if len(all) == 0 {
		return nil, fmt.Errorf("--region all: DRS is offered in no region of partition %s (of region %s)", part, home)
	}
	var out []string
	for _, r := range regions {
		add := []string{r}
		if r == AllRegions {
			add = all
		}
		for _, a := range add {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

// homeRegion is the region the first of o's regions that is not AllRegions
// names, else the SDK chain's region of profile, else us-east-1: where
// Organizations and STS are asked, and whose partition --region all covers.
func homeRegion(ctx context.Context, o Options, profile string) string {
	for _, r := range o.Regions {
		if r != AllRegions {
			return r
		}
	}
	if cfg, err := loadAWSConfig(ctx, o, profile, ""); err == nil {
		return cfg.Region
	}
	return "us-east-1"
}

// OrgAccount is one account of the organization, as ListAccounts lists it.
type OrgAccount struct {
	ID, Name, State string
}

// listOrgAccounts lists the accounts of the organization (or of the
// organizational unit o.OrgUnit) with cfg, the credentials of the
// management account or a delegated administrator.
func listOrgAccounts(ctx context.Context, cfg aws.Config, o Options) ([]OrgAccount, error) {
	c := organizations.NewFromConfig(cfg, func(co *organizations.Options) {
		co.APIOptions = append(co.APIOptions, markProxyAnswers)
		if o.EndpointURL != "" {
			co.BaseEndpoint = aws.String(o.EndpointURL)
		}
	})
	var out []OrgAccount
	add := func(accts []orgtypes.Account) {
		for _, a := range accts {
			state := string(a.State)
			if state == "" {
				state = string(a.Status) //nolint:staticcheck // older organizations answer Status only
			}
			out = append(out, OrgAccount{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), State: state})
		}
	}
	op := "ListAccounts"
	var err error
	if o.OrgUnit != "" {
		op = "ListAccountsForParent"
		p := organizations.NewListAccountsForParentPaginator(c, &organizations.ListAccountsForParentInput{ParentId: aws.String(o.OrgUnit)})
		for p.HasMorePages() && err == nil {
			var page *organizations.ListAccountsForParentOutput
			if page, err = p.NextPage(ctx); err == nil {
				add(page.Accounts)
			}
		}
	} else {
		p := organizations.NewListAccountsPaginator(c, &organizations.ListAccountsInput{})
		for p.HasMorePages() && err == nil {
			var page *organizations.ListAccountsOutput
			if page, err = p.NextPage(ctx); err == nil {
				add(page.Accounts)
			}
		}
	}
	if err != nil {
		var ae smithy.APIError
		var pa *proxyAnswerError
		switch {
		case errors.As(err, &pa):
			return nil, fmt.Errorf("organizations %s: %w", op, pa)
		case errors.As(err, &ae) && accessDeniedCodes[ae.ErrorCode()]:
			return nil, fmt.Errorf("organizations %s: %w (--org-role needs the credentials of the management account or a delegated administrator)",
				op, &AccessDeniedError{Action: "organizations:" + op, Err: err})
		case errors.As(err, &ae):
			return nil, fmt.Errorf("organizations %s: %s: %s", op, ae.ErrorCode(), ae.ErrorMessage())
		}
		return nil, fmt.Errorf("organizations %s: %w", op, unreachable(op, err))
	}
	return out, nil
}

// selectAccounts keeps the active accounts of accts that include names (all
// when it is empty) and exclude does not name, in the order listed.
func selectAccounts(accts []OrgAccount, include, exclude []string) []OrgAccount {
	var out []OrgAccount
	for _, a := range accts {
		if a.State != "ACTIVE" || slices.Contains(exclude, a.ID) || len(include) > 0 && !slices.Contains(include, a.ID) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// RoleARN is the ARN of role name in account, in partition.
func RoleARN(partition, account, name string) string {
	return "arn:" + partition + ":iam::" + account + ":role/" + name
}

// resolveOrgTargets lists the organization's accounts with the credentials
// of o's first profile (or the default chain) and makes a target of every
// selected account in every region, each account's credentials those of
// its role o.OrgRole, assumed with STS AssumeRole when first needed and
// refreshed before they expire by the SDK's credential cache. A role that
// cannot be assumed fails its targets, not the run.
func resolveOrgTargets(ctx context.Context, o Options) ([]target, error) {
	profile := ""
	if len(o.Profiles) > 0 {
		profile = o.Profiles[0]
	}
	home := homeRegion(ctx, o, profile)
	regions, err := expandRegions(o.Regions, home)
	if err != nil {
		return nil, err
	}
	if len(regions) == 0 {
		regions = []string{home}
	}
	base, err := loadAWSConfig(ctx, o, profile, home)
	if err != nil {
		return nil, err
	}
	if err := checkCredentials(ctx, base, profile); err != nil {
		return nil, err
	}
	listed, err := listOrgAccounts(ctx, base, o)
	if err != nil {
		return nil, err
	}
	accts := selectAccounts(listed, o.OrgIncludeAccounts, o.OrgExcludeAccounts)
	if len(accts) == 0 {
		return nil, fmt.Errorf("the organization lists %d accounts, none of them active and selected by --org-include-account and --org-exclude-account", len(listed))
	}
	stsClient := sts.NewFromConfig(base, func(so *sts.Options) {
		so.APIOptions = append(so.APIOptions, markProxyAnswers)
		if o.EndpointURL != "" {
			so.BaseEndpoint = aws.String(o.EndpointURL)
		}
	})
	part := PartitionOf(home)
	var out []target
	for _, a := range accts {
		arn := RoleARN(part, a.ID, o.OrgRole)
		creds := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, arn, func(ao *stscreds.AssumeRoleOptions) {
			ao.RoleSessionName = RoleSessionName
			if o.OrgExternalID != "" {
				ao.ExternalID = aws.String(o.OrgExternalID)
			}
		}))
		for _, r := range regions {
			cfg := base.Copy()
			cfg.Region, cfg.Credentials = r, creds
			out = append(out, target{region: r, account: a.ID, cfg: cfg, role: arn})
		}
	}
	return out, nil
}

// assumeRole retrieves the credentials of t's role, so that a role that
// cannot be assumed fails with one message naming it rather than on every
// call.
func assumeRole(ctx context.Context, t target) error {
	if t.role == "" {
		return nil
	}
	if _, err := t.cfg.Credentials.Retrieve(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return &AssumeRoleError{Role: t.role, Code: ae.ErrorCode(), Message: ae.ErrorMessage(), Err: err}
		}
		return &AssumeRoleError{Role: t.role, Message: oneLineErr(unreachable("AssumeRole", err)), Err: err}
	}
	return nil
}

// AssumeRoleError is returned for the targets of an account whose role
// could not be assumed: the role is missing, does not trust the caller, or
// wants another external ID.
type AssumeRoleError struct {
	// Role is the ARN of the role.
	Role string
	// Code and Message are STS's answer (Code empty when STS was not
	// reached).
	Code, Message string
	// Err is the error of the credential provider.
	Err error
}

// Error names the role and STS's answer.
func (e *AssumeRoleError) Error() string {
	if e.Code == "" {
		return "assume role " + e.Role + ": " + e.Message
	}
	return "assume role " + e.Role + ": " + e.Code + ": " + e.Message
}

// Unwrap returns the credential provider's error.
func (e *AssumeRoleError) Unwrap() error { return e.Err }
