package sync

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
)

// LoadAWSConfig resolves credentials, region and retry policy through the
// SDK's default chain (environment, shared config and credentials files,
// SSO, IMDS), with the overrides in o: its first profile and first region,
// when it names any.
//
// The retryer is tuned for a cron job rather than an interactive call: many
// attempts with capped exponential backoff, and no client-side retry token
// bucket. The SDK's bucket empties during a burst of throttling, exactly when
// retrying matters, and then fails calls that a little patience would save.
func LoadAWSConfig(ctx context.Context, o Options) (aws.Config, error) {
	var profile, region string
	if len(o.Profiles) > 0 {
		profile = o.Profiles[0]
	}
	if len(o.Regions) > 0 {
		region = o.Regions[0]
	}
	return loadAWSConfig(ctx, o, profile, region)
}

// loadAWSConfig is LoadAWSConfig for one profile and region ("" for the
// default chain's).
func loadAWSConfig(ctx context.Context, o Options, profile, region string) (aws.Config, error) {
	o = o.withDefaults()
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if o.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(o.Credentials))
	}
	opts = append(opts,
		config.WithRetryer(func() aws.Retryer { return newRetryer(o.MaxAttempts, o.MaxBackoff) }),
		// A host that does not answer at all fails its connection after
		// dialTimeout rather than the SDK's 30 s, so that the retry, and
		// the line saying so, come soon.
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(2*time.Minute).
			WithDialerOptions(func(d *net.Dialer) { d.Timeout = dialTimeout })),
		// The SDK's own log lines (the instance metadata service's "falling
		// back to IMDSv1", retry chatter) would reach stderr unasked; what
		// a person needs is said by sync's errors and Retrying instead.
		config.WithLogger(logging.Nop{}),
		config.WithClientLogMode(0),
	)
	opts = append(opts, debugOptions(o.Debug)...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		if profile != "" {
			return aws.Config{}, fmt.Errorf("load AWS configuration of profile %s: %w", profile, err)
		}
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, fmt.Errorf("no AWS region: pass --region or set AWS_REGION")
	}
	if o.Retrying != nil {
		cfg.APIOptions = append(cfg.APIOptions, retryNotices(o.MaxAttempts, o.Retrying))
	}
	return cfg, nil
}

// dialTimeout bounds the setting up of one connection to an endpoint.
const dialTimeout = 5 * time.Second

func newRetryer(attempts int, maxBackoff time.Duration) aws.Retryer {
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = attempts
		so.MaxBackoff = maxBackoff
		so.Backoff = retry.NewExponentialJitterBackoff(maxBackoff)
		so.RateLimiter = ratelimit.None
	})
}
