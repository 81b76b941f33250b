package smsapi

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go/logging"
)

// ServiceID is the SDK ID of Server Migration Service. It names the
// service-specific endpoint settings: AWS_ENDPOINT_URL_SMS, and the "sms"
// key of a shared-config services section.
const ServiceID = "SMS"

// signingName is the service name in the SigV4 credential scope.
const signingName = "sms"

// targetPrefix is the JSON 1.1 target of every SMS operation, before the
// operation's name.
const targetPrefix = "AWSServerMigrationService_V2016_10_24."

// Options configure a Client. NewFromConfig fills them from an aws.Config;
// the option functions of a call change a copy of them for that call only.
type Options struct {
	// BaseEndpoint, when set, is the URL calls are sent to, ahead of every
	// configured endpoint. The CLI's --endpoint-url belongs here.
	BaseEndpoint *string

	// Region is the SigV4 signing region, and picks the regional endpoint
	// when there is no base endpoint.
	Region string

	// Credentials sign every attempt. aws.AnonymousCredentials sends
	// requests unsigned.
	Credentials aws.CredentialsProvider

	// HTTPClient sends the requests; default awshttp.NewBuildableClient().
	HTTPClient aws.HTTPClient

	// Retryer decides which failed attempts are made again, how many and
	// after what delay; default retry.NewStandard().
	Retryer aws.Retryer

	// RetryMaxAttempts, when not zero, replaces the Retryer's MaxAttempts,
	// as AWS_MAX_ATTEMPTS does for SDK clients.
	RetryMaxAttempts int

	// AppID is added to the User-Agent as app/AppID.
	AppID string
	// Logger and ClientLogMode log each attempt's request and response
	// (headers only) and a line per attempt, as the SDK's clients do.
	Logger        logging.Logger
	ClientLogMode aws.ClientLogMode

	// UseFIPSEndpoint selects the FIPS variant of the regional endpoint. It
	// cannot be combined with a base endpoint.
	UseFIPSEndpoint aws.FIPSEndpointState

	// UseDualStackEndpoint selects the dual-stack variant of the regional
	// endpoint. It cannot be combined with a base endpoint.
	UseDualStackEndpoint aws.DualStackEndpointState
}

// Client calls the SMS API. It is safe for concurrent use.
type Client struct {
	options Options
	signer  *v4.Signer
	// skew is the clock offset learnt from the service's Date headers, in
	// nanoseconds, added to the signing time of later calls.
	skew clockSkew
}

// New returns a client with options o, changed by optFns.
func New(o Options, optFns ...func(*Options)) *Client {
	for _, fn := range optFns {
		fn(&o)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = awshttp.NewBuildableClient()
	}
	if o.Retryer == nil {
		o.Retryer = retry.NewStandard()
	}
	return &Client{options: o, signer: v4.NewSigner()}
}

// NewFromConfig returns a client built the way the SDK builds its service
// clients from cfg: its region, credentials, HTTP client, retryer and app ID,
// and the base endpoint the SDK would resolve for SMS. optFns run last, so an
// explicit Options.BaseEndpoint wins over every configured endpoint.
//
// The base endpoint is, as for an SDK client (first found wins):
//  1. Options.BaseEndpoint set by optFns;
//  2. unless AWS_ENDPOINT_URL is set and AWS_ENDPOINT_URL_SMS is not: the
//     service-specific endpoint of cfg's configuration sources, in their
//     order: config.WithBaseEndpoint, then AWS_ENDPOINT_URL_SMS, then the
//     "sms" endpoint_url of the profile's services section;
//  3. cfg.BaseEndpoint (config.WithBaseEndpoint, AWS_ENDPOINT_URL, the
//     profile's endpoint_url);
//  4. none: the regional endpoint, https://sms.REGION.amazonaws.com in the
//     aws partition.
//
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (or the profile's
// ignore_configured_endpoint_urls) disables 2, and config.LoadDefaultConfig
// then leaves 3 unset; it never disables 1.
func NewFromConfig(cfg aws.Config, optFns ...func(*Options)) *Client {
	o := Options{
		Region:           cfg.Region,
		Credentials:      cfg.Credentials,
		HTTPClient:       cfg.HTTPClient,
		RetryMaxAttempts: cfg.RetryMaxAttempts,
		AppID:            cfg.AppID,
		Logger:           cfg.Logger,
		ClientLogMode:    cfg.ClientLogMode,
	}
	switch {
	case cfg.Retryer != nil:
		o.Retryer = cfg.Retryer()
	case cfg.RetryMode == aws.RetryModeAdaptive:
		o.Retryer = retry.NewAdaptiveMode()
	}
	resolveEndpointVariants(cfg, &o)
	resolveBaseEndpoint(cfg, &o)
	return New(o, optFns...)
}

// Options returns a copy of the client's options.
func (c *Client) Options() Options {
	return c.options
}

// callOptions returns the client's options changed by the option functions
// of one call.
func (c *Client) callOptions(optFns []func(*Options)) Options {
	o := c.options
	for _, fn := range optFns {
		fn(&o)
	}
	return o
}
