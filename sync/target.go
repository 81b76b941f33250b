package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// target is one account and region that a sync reads: the AWS configuration
// of one profile in one region, and the account its credentials belong to.
type target struct {
	profile string // "" for the default credential chain
	region  string
	account string
	cfg     aws.Config
	// role is the ARN of the role assumed in account (--org-role), "" when
	// the profile's own credentials are used.
	role string
	// failed, when set, is why the profile's credentials or account could
	// not be had: the target fails with it, without a call.
	failed error
}

// String names the target in messages: "us-east-1, account 123456789012
// (profile audit)".
func (t target) String() string {
	s := t.region
	if t.account != "" {
		s += ", account " + t.account
	}
	if t.profile != "" {
		s += " (profile " + t.profile + ")"
	}
	return s
}

// resolveTargets loads the AWS configuration of every profile and region in
// o (the default chain when none is named) and asks STS which account each
// profile's credentials belong to. Every record sync writes carries that
// region and account.
func resolveTargets(ctx context.Context, o Options) ([]target, error) {
	if o.OrgRole != "" {
		return resolveOrgTargets(ctx, o)
	}
	profiles := o.Profiles
	if len(profiles) == 0 {
		profiles = []string{""}
	}
	regions := o.Regions
	if slices.Contains(regions, AllRegions) {
		var err error
		if regions, err = expandRegions(regions, homeRegion(ctx, o, profiles[0])); err != nil {
			return nil, err
		}
	}
	if len(regions) == 0 {
		regions = []string{""}
	}
	var out []target
	seen := map[[2]string]bool{}
	for _, p := range profiles {
		account := ""
		var failed error // the profile's credentials or account could not be had
		for _, r := range regions {
			cfg, err := loadAWSConfig(ctx, o, p, r)
			if err != nil {
				return nil, err
			}
			t := target{profile: p, region: cfg.Region, cfg: cfg}
			if seen[[2]string{p, t.region}] {
				continue
			}
			seen[[2]string{p, t.region}] = true
			if account == "" && failed == nil {
				failed = checkCredentials(ctx, cfg, p)
				if failed == nil {
					account, failed = callerAccount(ctx, cfg, o.EndpointURL)
				}
				// One profile is the whole run; of several, a profile
				// whose credentials fail (a revoked role, an expired SSO
				// session) fails its own targets only.
				if failed != nil && (len(profiles) == 1 || ctx.Err() != nil) {
					return nil, fmt.Errorf("%s: %w", t, failed)
				}
			}
			t.account, t.failed = account, failed
			out = append(out, t)
		}
	}
	return out, nil
}

// callerAccount returns the account of cfg's credentials (STS
// GetCallerIdentity, which needs no IAM permission).
func callerAccount(ctx context.Context, cfg aws.Config, endpoint string) (string, error) {
	c := sts.NewFromConfig(cfg, func(o *sts.Options) {
		o.APIOptions = append(o.APIOptions, markProxyAnswers)
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	out, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		var pa *proxyAnswerError
		if errors.As(err, &pa) {
			return "", fmt.Errorf("STS GetCallerIdentity: %w", pa)
		}
		if u := unreachable("STS GetCallerIdentity", err); u != err {
			return "", u
		}
		return "", fmt.Errorf("get caller identity: %w", err)
	}
	if aws.ToString(out.Account) == "" {
		return "", fmt.Errorf("get caller identity: no account in the answer")
	}
	return aws.ToString(out.Account), nil
}
