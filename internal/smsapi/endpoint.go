package smsapi

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The configuration sources of an aws.Config (config.LoadOptions,
// config.EnvConfig, config.SharedConfig) answer these. The SDK's service
// clients ask them through an internal package of the SDK; these are the same
// method sets.
type (
	serviceBaseEndpointProvider interface {
		GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
	}
	ignoreConfiguredEndpointsProvider interface {
		GetIgnoreConfiguredEndpoints(ctx context.Context) (bool, bool, error)
	}
	useFIPSEndpointProvider interface {
		GetUseFIPSEndpoint(ctx context.Context) (aws.FIPSEndpointState, bool, error)
	}
	useDualStackEndpointProvider interface {
		GetUseDualStackEndpoint(ctx context.Context) (aws.DualStackEndpointState, bool, error)
	}
)

// resolveBaseEndpoint sets o.BaseEndpoint as a generated SDK client does in
// NewFromConfig: cfg.BaseEndpoint, replaced by the service-specific endpoint
// of the configuration sources unless AWS_ENDPOINT_URL is set in the
// environment and AWS_ENDPOINT_URL_SMS is not.
func resolveBaseEndpoint(cfg aws.Config, o *Options) {
	if cfg.BaseEndpoint != nil {
		o.BaseEndpoint = cfg.BaseEndpoint
	}
	_, global := os.LookupEnv("AWS_ENDPOINT_URL")
	_, service := os.LookupEnv("AWS_ENDPOINT_URL_SMS")
	if global && !service {
		return
	}
	if v, found, err := serviceBaseEndpoint(context.Background(), cfg.ConfigSources); found && err == nil {
		o.BaseEndpoint = &v
	}
}

// serviceBaseEndpoint returns the first SMS endpoint the sources configure,
// unless the first source to say whether configured endpoints are ignored
// says they are.
func serviceBaseEndpoint(ctx context.Context, sources []any) (value string, found bool, err error) {
	for _, s := range sources {
		if p, ok := s.(ignoreConfiguredEndpointsProvider); ok {
			ignore, found, err := p.GetIgnoreConfiguredEndpoints(ctx)
			if err != nil {
				break
			}
			if found {
				if ignore {
					return "", false, nil
				}
				break
			}
		}
	}
	for _, s := range sources {
		if p, ok := s.(serviceBaseEndpointProvider); ok {
			value, found, err = p.GetServiceBaseEndpoint(ctx, ServiceID)
			if err != nil || found {
				break
			}
		}
	}
	return value, found, err
}

// resolveEndpointVariants sets the FIPS and dual-stack choices from the first
// configuration source that makes each.
func resolveEndpointVariants(cfg aws.Config, o *Options) {
	ctx := context.Background()
	for _, s := range cfg.ConfigSources {
		if p, ok := s.(useFIPSEndpointProvider); ok {
			if v, found, err := p.GetUseFIPSEndpoint(ctx); err != nil || found {
				if err == nil {
					o.UseFIPSEndpoint = v
				}
				break
			}
		}
	}
	for _, s := range cfg.ConfigSources {
		if p, ok := s.(useDualStackEndpointProvider); ok {
			if v, found, err := p.GetUseDualStackEndpoint(ctx); err != nil || found {
				if err == nil {
					o.UseDualStackEndpoint = v
				}
				break
			}
		}
	}
}

// Endpoint returns the URL that calls with the client's options are sent to,
// changed by optFns as a call would change them. It sends nothing.
func (c *Client) Endpoint(optFns ...func(*Options)) (string, error) {
	o := c.callOptions(optFns)
	u, err := resolveEndpoint(o)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// errMissingRegion is returned when neither a base endpoint nor a region
// says where to send a call.
var errMissingRegion = errors.New("resolve endpoint: no region and no endpoint URL")

// resolveEndpoint returns the URL calls are sent to: the base endpoint, or
// the regional endpoint of the region's partition, as the SDK's endpoint
// rules for SMS give it.
func resolveEndpoint(o Options) (*url.URL, error) {
	fips := o.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled
	dualStack := o.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled
	if o.BaseEndpoint != nil {
		// The SDK's rules refuse these too: a custom endpoint is taken as
		// given, so it cannot also be a variant of the regional one.
		if fips {
			return nil, fmt.Errorf("resolve endpoint: FIPS and a custom endpoint URL cannot be combined")
		}
		if dualStack {
			return nil, fmt.Errorf("resolve endpoint: dual-stack and a custom endpoint URL cannot be combined")
		}
		return parseEndpoint(*o.BaseEndpoint)
	}
	if o.Region == "" {
		return nil, errMissingRegion
	}
	p := partitionOf(o.Region)
	host, suffix := "sms", p.dnsSuffix
	if fips {
		host = "sms-fips"
	}
	if dualStack {
		suffix = p.dualStackDNSSuffix
	}
	u := &url.URL{Scheme: "https", Host: host + "." + o.Region + "." + suffix}
	if err := smithyhttp.ValidateEndpointHost(u.Host); err != nil {
		return nil, fmt.Errorf("resolve endpoint for region %q: %w", o.Region, err)
	}
	return u, nil
}

// parseEndpoint checks a base endpoint. Unlike the SDK, which sends to
// whatever url.Parse makes of it, it insists on an http or https URL with a
// host, so that "localhost:4566" fails here with a clear message rather than
// in the HTTP client.
func parseEndpoint(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("resolve endpoint: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("resolve endpoint: %q is not an http or https URL with a host", s)
	}
	if err := smithyhttp.ValidateEndpointHost(u.Host); err != nil {
		return nil, fmt.Errorf("resolve endpoint %q: %w", s, err)
	}
	return u, nil
}

// partition is the part of an AWS partition's description that SMS
// endpoints are made from.
type partition struct {
	id                 string
	regionRegex        *regexp.Regexp
	global             string // the partition's pseudo-region for global endpoints
	dnsSuffix          string
	dualStackDNSSuffix string
}

// partitions are the SDK's (internal/endpoints/awsrulesfn/partitions.json in
// aws-sdk-go-v2 v1.47.7). Every one of them supports FIPS and dual-stack.
// They are compiled when first needed, not at start-up.
var partitions = sync.OnceValue(func() []partition {
	return []partition{
		{"aws", regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$`), "aws-global", "amazonaws.com", "api.aws"},
		{"aws-cn", regexp.MustCompile(`^cn\-\w+\-\d+$`), "aws-cn-global", "amazonaws.com.cn", "api.amazonwebservices.com.cn"},
		{"aws-eusc", regexp.MustCompile(`^eusc\-(de)\-\w+\-\d+$`), "", "amazonaws.eu", "api.amazonwebservices.eu"},
		{"aws-iso", regexp.MustCompile(`^us\-iso\-\w+\-\d+$`), "aws-iso-global", "c2s.ic.gov", "api.aws.ic.gov"},
		{"aws-iso-b", regexp.MustCompile(`^us\-isob\-\w+\-\d+$`), "aws-iso-b-global", "sc2s.sgov.gov", "api.aws.scloud"},
		{"aws-iso-e", regexp.MustCompile(`^eu\-isoe\-\w+\-\d+$`), "aws-iso-e-global", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk"},
		{"aws-iso-f", regexp.MustCompile(`^us\-isof\-\w+\-\d+$`), "aws-iso-f-global", "csp.hci.ic.gov", "api.aws.hci.ic.gov"},
		{"aws-us-gov", regexp.MustCompile(`^us\-gov\-\w+\-\d+$`), "aws-us-gov-global", "amazonaws.com", "api.aws"},
	}
})

// partitionOf returns the partition of region: the one whose pattern or
// global pseudo-region matches, else aws, as the SDK falls back to.
func partitionOf(region string) partition {
	for _, p := range partitions() {
		if region == p.global || p.regionRegex.MatchString(region) {
			return p
		}
	}
	return partitions()[0]
}
