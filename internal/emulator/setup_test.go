package emulator_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/drs"

	"github.com/archiver-dev/archiver/internal/emulator"
)

// start builds and starts a server for one test and closes it afterwards.
func start(t *testing.T, opts emulator.Options) *emulator.Server {
	t.Helper()
	srv := emulator.New(opts)
	if err := srv.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// client returns a real DRS SDK client aimed at base that does not retry.
func client(base string) *drs.Client {
	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
	}
	return drs.NewFromConfig(cfg, func(o *drs.Options) {
		o.BaseEndpoint = aws.String(base)
		o.RetryMaxAttempts = 1
	})
}

// ctx returns a context that ends with the test or after 30 seconds.
func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// wireJob is the part of a served job the tests look at.
type wireJob struct {
	JobID                string `json:"jobID"`
	Arn                  string `json:"arn"`
	CreationDateTime     string `json:"creationDateTime"`
	EndDateTime          string `json:"endDateTime"`
	InitiatedBy          string `json:"initiatedBy"`
	Status               string `json:"status"`
	Type                 string `json:"type"`
	ParticipatingServers []struct {
		LaunchStatus       string `json:"launchStatus"`
		RecoveryInstanceID string `json:"recoveryInstanceID"`
		SourceServerID     string `json:"sourceServerID"`
	} `json:"participatingServers"`
}

// wireLog is the part of a served log item the tests look at.
type wireLog struct {
	Event     string `json:"event"`
	EventData struct {
		SourceServerID     string `json:"sourceServerID"`
		TargetInstanceID   string `json:"targetInstanceID"`
		ConversionServerID string `json:"conversionServerID"`
		RawError           string `json:"rawError"`
	} `json:"eventData"`
	LogDateTime string `json:"logDateTime"`
}

// wireServer is the part of a served source server the tests look at.
type wireServer struct {
	SourceServerID      string `json:"sourceServerID"`
	Arn                 string `json:"arn"`
	DataReplicationInfo struct {
		DataReplicationState string `json:"dataReplicationState"`
		LagDuration          string `json:"lagDuration"`
		DataReplicationError *struct {
			Error    string `json:"error"`
			RawError string `json:"rawError"`
		} `json:"dataReplicationError"`
	} `json:"dataReplicationInfo"`
	LifeCycle struct {
		LastSeenByServiceDateTime string `json:"lastSeenByServiceDateTime"`
	} `json:"lifeCycle"`
	SourceProperties struct {
		NetworkInterfaces []struct {
			MacAddress string `json:"macAddress"`
		} `json:"networkInterfaces"`
	} `json:"sourceProperties"`
	StagingArea struct {
		StagingAccountID string `json:"stagingAccountID"`
		Status           string `json:"status"`
	} `json:"stagingArea"`
}

// decode unmarshals every raw item into a T.
func decode[T any](t *testing.T, raws []json.RawMessage) []T {
	t.Helper()
	out := make([]T, len(raws))
	for i, r := range raws {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			t.Fatalf("item %d is not valid JSON: %v\n%s", i, err, r)
		}
	}
	return out
}

// parseTime reads a served timestamp.
func parseTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("timestamp %q: %v", s, err)
	}
	return v
}
