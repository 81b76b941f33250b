package smsapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/drs"

	"github.com/archiver-dev/archiver/internal/smsapi"
)

// TestEndpointPrecedence resolves the endpoint from the environment, a shared
// config profile, load options and client options, and checks it against
// what the SDK resolves for a service of its own (DRS) configured the same
// way. Nothing is sent: where the regional AWS endpoint would be used, only
// the URL is compared.
func TestEndpointPrecedence(t *testing.T) {
	const regional = "https://sms.us-west-2.amazonaws.com"
	for _, tc := range []struct {
		name string
		// Each "%s" below is the service: SMS's settings are written with
		// "sms", and the same settings for DRS with "drs".
		envGlobal      *string // AWS_ENDPOINT_URL
		envService     string  // AWS_ENDPOINT_URL_SMS
		envIgnore      string  // AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
		profileGlobal  string  // endpoint_url
		profileService string  // services section
		profileIgnore  bool    // ignore_configured_endpoint_urls
		loadOption     string  // config.WithBaseEndpoint
		clientOption   string  // Options.BaseEndpoint (--endpoint-url)
		want           string  // "" for the regional endpoint
	}{
		{name: "nothing configured"},
		{name: "AWS_ENDPOINT_URL", envGlobal: aws.String("http://env-global.test"), want: "http://env-global.test"},
		{name: "AWS_ENDPOINT_URL_SMS", envService: "http://env-%s.test", want: "http://env-%s.test"},
		{name: "AWS_ENDPOINT_URL_SMS over AWS_ENDPOINT_URL", envGlobal: aws.String("http://env-global.test"), envService: "http://env-%s.test", want: "http://env-%s.test"},
		{name: "profile endpoint_url", profileGlobal: "http://profile-global.test", want: "http://profile-global.test"},
		{name: "profile services over profile endpoint_url", profileGlobal: "http://profile-global.test", profileService: "http://profile-%s.test", want: "http://profile-%s.test"},
		{name: "AWS_ENDPOINT_URL_SMS over profile services", envService: "http://env-%s.test", profileGlobal: "http://profile-global.test", profileService: "http://profile-%s.test", want: "http://env-%s.test"},
		{name: "AWS_ENDPOINT_URL over profile services", envGlobal: aws.String("http://env-global.test"), profileService: "http://profile-%s.test", want: "http://env-global.test"},
		{name: "empty AWS_ENDPOINT_URL hides profile services", envGlobal: aws.String(""), profileGlobal: "http://profile-global.test", profileService: "http://profile-%s.test", want: "http://profile-global.test"},
		{name: "another service's variable", envService: "", profileService: "", want: ""},
		{
			name: "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", envIgnore: "true",
			envGlobal: aws.String("http://env-global.test"), envService: "http://env-%s.test", profileGlobal: "http://profile-global.test", profileService: "http://profile-%s.test",
		},
		{
			name: "profile ignore_configured_endpoint_urls", profileIgnore: true,
			envGlobal: aws.String("http://env-global.test"), envService: "http://env-%s.test", profileGlobal: "http://profile-global.test", profileService: "http://profile-%s.test",
		},
		{
			name: "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false over the profile's", envIgnore: "false", profileIgnore: true,
			envService: "http://env-%s.test", profileService: "http://profile-%s.test", want: "http://env-%s.test",
		},
		{name: "load option over AWS_ENDPOINT_URL_SMS", loadOption: "http://load-option.test", envService: "http://env-%s.test", want: "http://load-option.test"},
		{name: "load option over AWS_ENDPOINT_URL", loadOption: "http://load-option.test", envGlobal: aws.String("http://env-global.test"), want: "http://load-option.test"},
		{name: "load option ignored", loadOption: "http://load-option.test", envIgnore: "true"},
		{
			name: "client option over everything", clientOption: "http://client-option.test", envIgnore: "true", loadOption: "http://load-option.test",
			envGlobal: aws.String("http://env-global.test"), envService: "http://env-%s.test", profileGlobal: "http://profile-global.test", profileService: "http://profile-%s.test",
			want: "http://client-option.test",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got, gotDRS string
			for _, svc := range []string{"sms", "drs"} {
				s := func(v string) string { return expand(v, svc) }
				var profile strings.Builder
				profile.WriteString("[default]\n")
				if tc.profileGlobal != "" {
					fmt.Fprintf(&profile, "endpoint_url = %s\n", tc.profileGlobal)
				}
				if tc.profileIgnore {
					profile.WriteString("ignore_configured_endpoint_urls = true\n")
				}
				if tc.profileService != "" {
					fmt.Fprintf(&profile, "services = local\n\n[services local]\n%s =\n  endpoint_url = %s\n", svc, s(tc.profileService))
				}
				hermeticEnv(t, profile.String())
				if tc.envGlobal != nil {
					t.Setenv("AWS_ENDPOINT_URL", *tc.envGlobal)
				}
				if tc.envService != "" {
					t.Setenv("AWS_ENDPOINT_URL_"+strings.ToUpper(svc), s(tc.envService))
				}
				if tc.name == "another service's variable" {
					other := map[string]string{"sms": "DRS", "drs": "SMS"}[svc]
					t.Setenv("AWS_ENDPOINT_URL_"+other, "http://other-service.test")
				}
				if tc.envIgnore != "" {
					t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", tc.envIgnore)
				}
				var opts []func(*config.LoadOptions) error
				if tc.loadOption != "" {
					opts = append(opts, config.WithBaseEndpoint(tc.loadOption))
				}
				cfg := loadConfig(t, 1, opts...)
				setClient := func(p **string) {
					if tc.clientOption != "" {
						*p = aws.String(tc.clientOption)
					}
				}
				if svc == "sms" {
					c := smsapi.NewFromConfig(cfg, func(o *smsapi.Options) { setClient(&o.BaseEndpoint) })
					u, err := c.Endpoint()
					if err != nil {
						t.Fatalf("Endpoint: %v", err)
					}
					got = u
				} else {
					c := drs.NewFromConfig(cfg, func(o *drs.Options) { setClient(&o.BaseEndpoint) })
					gotDRS = aws.ToString(c.Options().BaseEndpoint)
				}
			}

			want, wantDRS := expand(tc.want, "sms"), expand(tc.want, "drs")
			if want == "" {
				want = regional // and DRS's BaseEndpoint stays unset
			}
			if got != want {
				t.Errorf("SMS endpoint %q, want %q", got, want)
			}
			if gotDRS != wantDRS {
				t.Errorf("the SDK's DRS client resolves %q, want %q: the test's expectation no longer matches the SDK", gotDRS, wantDRS)
			}
		})
	}
}

// expand puts the service's name in place of %s.
func expand(v, svc string) string {
	return strings.ReplaceAll(v, "%s", svc)
}

func TestRegionalEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name    string
		o       smsapi.Options
		want    string
		wantErr string
	}{
		{name: "aws", o: smsapi.Options{Region: "eu-central-1"}, want: "https://sms.eu-central-1.amazonaws.com"},
		{name: "aws-cn", o: smsapi.Options{Region: "cn-north-1"}, want: "https://sms.cn-north-1.amazonaws.com.cn"},
		{name: "aws-us-gov", o: smsapi.Options{Region: "us-gov-west-1"}, want: "https://sms.us-gov-west-1.amazonaws.com"},
		{name: "aws-iso", o: smsapi.Options{Region: "us-iso-east-1"}, want: "https://sms.us-iso-east-1.c2s.ic.gov"},
		{name: "unknown region in aws", o: smsapi.Options{Region: "xx-new-1"}, want: "https://sms.xx-new-1.amazonaws.com"},
		{name: "FIPS", o: smsapi.Options{Region: "us-east-1", UseFIPSEndpoint: aws.FIPSEndpointStateEnabled}, want: "https://sms-fips.us-east-1.amazonaws.com"},
		{name: "dual-stack", o: smsapi.Options{Region: "us-east-1", UseDualStackEndpoint: aws.DualStackEndpointStateEnabled}, want: "https://sms.us-east-1.api.aws"},
		{name: "FIPS and dual-stack in aws-cn", o: smsapi.Options{Region: "cn-northwest-1", UseFIPSEndpoint: aws.FIPSEndpointStateEnabled, UseDualStackEndpoint: aws.DualStackEndpointStateEnabled}, want: "https://sms-fips.cn-northwest-1.api.amazonwebservices.com.cn"},
		{name: "base endpoint with a path", o: smsapi.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:4566/sms")}, want: "http://127.0.0.1:4566/sms"},
		{name: "FIPS with a base endpoint", o: smsapi.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:4566"), UseFIPSEndpoint: aws.FIPSEndpointStateEnabled}, wantErr: "FIPS and a custom endpoint URL"},
		{name: "dual-stack with a base endpoint", o: smsapi.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:4566"), UseDualStackEndpoint: aws.DualStackEndpointStateEnabled}, wantErr: "dual-stack and a custom endpoint URL"},
		{name: "base endpoint without a scheme", o: smsapi.Options{Region: "us-east-1", BaseEndpoint: aws.String("localhost:4566")}, wantErr: "not an http or https URL with a host"},
		{name: "no region", o: smsapi.Options{}, wantErr: "no region and no endpoint URL"},
		{name: "region that is no host name", o: smsapi.Options{Region: "us-east-1/x"}, wantErr: `region "us-east-1/x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := smsapi.New(tc.o).Endpoint()
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("Endpoint() = %q, %v; want an error with %q", got, err, tc.wantErr)
				}
			case err != nil:
				t.Errorf("Endpoint: %v", err)
			case got != tc.want:
				t.Errorf("Endpoint() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEndpointVariantsFromEnvironment(t *testing.T) {
	hermeticEnv(t, "")
	t.Setenv("AWS_USE_FIPS_ENDPOINT", "true")
	t.Setenv("AWS_USE_DUALSTACK_ENDPOINT", "true")
	got, err := smsapi.NewFromConfig(loadConfig(t, 1)).Endpoint()
	if want := "https://sms-fips.us-west-2.api.aws"; err != nil || got != want {
		t.Errorf("Endpoint() = %q, %v; want %q", got, err, want)
	}
}

// TestCallsGoToTheResolvedEndpoint sends calls with endpoints configured at
// several levels, to loopback servers only, and checks which one answers.
func TestCallsGoToTheResolvedEndpoint(t *testing.T) {
	ok := func(int, request) reply { return reply{body: okBody} }
	option, service, global := newFakeSMS(t, ok), newFakeSMS(t, ok), newFakeSMS(t, ok)
	hermeticEnv(t, "")
	t.Setenv("AWS_ENDPOINT_URL", global.URL())
	t.Setenv("AWS_ENDPOINT_URL_SMS", service.URL())
	c := smsapi.NewFromConfig(loadConfig(t, 1))

	if _, err := c.GetReplicationJobs(context.Background(), nil); err != nil {
		t.Fatalf("GetReplicationJobs: %v", err)
	}
	if _, err := c.GetReplicationJobs(context.Background(), nil, func(o *smsapi.Options) { o.BaseEndpoint = aws.String(option.URL()) }); err != nil {
		t.Fatalf("GetReplicationJobs with an endpoint option: %v", err)
	}
	for _, s := range []struct {
		name string
		f    *fakeSMS
		want int
	}{{"AWS_ENDPOINT_URL_SMS", service, 1}, {"option", option, 1}, {"AWS_ENDPOINT_URL", global, 0}} {
		if got := s.f.calls(); got != s.want {
			t.Errorf("%s endpoint had %d calls, want %d", s.name, got, s.want)
		}
	}
}
