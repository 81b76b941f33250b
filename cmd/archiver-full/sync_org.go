package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/internal/awsid"
	archsync "github.com/archiver-dev/archiver/sync"
)

// orgOptions reads the flags of an organization-wide sync and
// --target-concurrency into the fields of sync's options they set.
func orgOptions(c *cli.Context) (archsync.Options, error) {
	var o archsync.Options
	tc := c.Int("target-concurrency")
	if tc < 1 || tc > 64 {
		return o, fmt.Errorf("--target-concurrency %d: want 1 to 64", tc)
	}
	o.TargetConcurrency = tc
	role := c.String("org-role")
	if role == "" {
		for _, f := range []string{"org-external-id", "org-unit", "org-include-account", "org-exclude-account"} {
			if c.IsSet(f) {
				return o, fmt.Errorf("--%s needs --org-role", f)
			}
		}
		return o, nil
	}
	var err error
	if o.OrgRole, err = awsid.ParseRoleName(role); err != nil {
		return o, fmt.Errorf("--org-role %w", err)
	}
	if c.IsSet("org-external-id") {
		if o.OrgExternalID, err = awsid.ParseExternalID(c.String("org-external-id")); err != nil {
			return o, fmt.Errorf("--org-external-id: %w", err)
		}
	}
	if c.IsSet("org-unit") {
		if o.OrgUnit, err = awsid.ParseOrgUnit(c.String("org-unit")); err != nil {
			return o, fmt.Errorf("--org-unit %w", err)
		}
	}
	for _, f := range []struct {
		name string
		dst  *[]string
	}{{"org-include-account", &o.OrgIncludeAccounts}, {"org-exclude-account", &o.OrgExcludeAccounts}} {
		for _, s := range c.StringSlice(f.name) {
			id, err := awsid.ParseAccount(s)
			if err != nil {
				return o, fmt.Errorf("--%s %w", f.name, err)
			}
			*f.dst = append(*f.dst, id)
		}
	}
	if len(c.StringSlice("profile")) > 1 {
		return o, fmt.Errorf("--org-role takes at most one --profile: that of the management account or a delegated administrator")
	}
	return o, nil
}
