package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	gosync "sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// settingsGets are the calls that read a source server's settings, one per
// kind whose objects are a server's (GetLaunchConfiguration,
// GetReplicationConfiguration). Each answer is the object itself.
var settingsGets = []struct {
	kind archive.Kind
	get  func(ctx context.Context, c *drs.Client, serverID string) (middleware.Metadata, error)
}{
	{kinds.DRSLaunchConfiguration, func(ctx context.Context, c *drs.Client, id string) (middleware.Metadata, error) {
		out, err := c.GetLaunchConfiguration(ctx, &drs.GetLaunchConfigurationInput{SourceServerID: aws.String(id)})
		if err != nil {
			return middleware.Metadata{}, err
		}
		return out.ResultMetadata, nil
	}},
	{kinds.DRSReplicationConfiguration, func(ctx context.Context, c *drs.Client, id string) (middleware.Metadata, error) {
		out, err := c.GetReplicationConfiguration(ctx, &drs.GetReplicationConfigurationInput{SourceServerID: aws.String(id)})
		if err != nil {
			return middleware.Metadata{}, err
		}
		return out.ResultMetadata, nil
	}},
}

// settingsSeen gathers, for each settings kind, the servers whose settings
// the run read, across the workers that read them: once every server of a
// complete listing was read, the settings of servers not among them were
// deleted upstream.
type settingsSeen struct {
	mu   gosync.Mutex
	seen map[archive.Kind]*lister
}

func (s *settingsSeen) add(recs []archive.Record) []ident {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[archive.Kind]*lister{}
	}
	if len(recs) == 0 {
		return nil
	}
	l := s.seen[recs[0].Kind]
	if l == nil {
		l = &lister{}
		s.seen[recs[0].Kind] = l
	}
	return l.add(recs)
}

// readSettings keeps each settings object of one source server, a new
// record when it changed. A server deleted since it was listed has none:
// its settings are left for the sweep after the listing.
func (r *drsRun) readSettings(ctx context.Context, serverID string, seen *settingsSeen) error {
	for _, g := range settingsGets {
		spec := kinds.Of(g.kind)
		what := spec.Operation + " " + serverID
		md, err := g.get(ctx, r.f.client, serverID)
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "ResourceNotFoundException" {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", what, callError(spec.Operation, "", "", r.scope(), err))
		}
		r.stats.Calls.Add(1)
		buf, ok := md.Get(rawBodyKey{}).(*bytes.Buffer)
		if !ok {
			return fmt.Errorf("%s: no raw response body was captured", what)
		}
		body := bytes.TrimSpace(buf.Bytes())
		if len(body) == 0 || body[0] != '{' || !json.Valid(body) {
			return fmt.Errorf("%s: the answer is not a JSON object", what)
		}
		recs, err := filePage(spec, what, 1, []json.RawMessage{bytes.Clone(body)}, r.filing(""))
		if err != nil {
			return err
		}
		r.stats.addReadAt(spec.Kind, r.region, r.account, 1)
		cm, err := keepCommit(spec, what, recs)
		if err != nil {
			return err
		}
		if err := r.com.send(ctx, withMarks(cm, seen.add(recs), nil)); err != nil {
			return err
		}
	}
	return nil
}

// sweepSettings marks the settings of every server the run did not read
// settings of as deleted upstream: called once the source-server listing
// was complete and every listed server's settings were read.
func (r *drsRun) sweepSettings(ctx context.Context, seen *settingsSeen) error {
	seen.mu.Lock()
	defer seen.mu.Unlock()
	for _, g := range settingsGets {
		spec := kinds.Of(g.kind)
		l := seen.seen[g.kind]
		if l == nil {
			l = &lister{}
		}
		sw := sweepOf(spec, l, r.region, r.account, r.seen, "")
		if sw == nil {
			continue
		}
		if err := r.com.send(ctx, withMarks(commit{what: spec.Operation}, nil, sw)); err != nil {
			return err
		}
	}
	return nil
}

// sourceNetworks calls fn with each page of DescribeSourceNetworks.
func (f *drsFetcher) sourceNetworks(ctx context.Context, sc scope, fn func(p page[*drs.DescribeSourceNetworksOutput]) error) error {
	return eachPage(ctx, f.stats, sdkListing("DescribeSourceNetworks", "DescribeSourceNetworks", "items", "nextToken", sc,
		func(ctx context.Context, token *string) (*drs.DescribeSourceNetworksOutput, error) {
			return f.client.DescribeSourceNetworks(ctx, &drs.DescribeSourceNetworksInput{MaxResults: aws.Int32(f.pageSize), NextToken: token})
		},
		func(out *drs.DescribeSourceNetworksOutput) (middleware.Metadata, int, *string) {
			return out.ResultMetadata, len(out.Items), out.NextToken
		}), fn)
}

// listSourceNetworks keeps each source network DRS lists, with a new record
// when it changes; a complete listing marks those it no longer holds as
// deleted upstream.
func (r *drsRun) listSourceNetworks(ctx context.Context) error {
	var seen lister
	return r.f.sourceNetworks(ctx, r.scope(), func(p page[*drs.DescribeSourceNetworksOutput]) error {
		spec := kinds.Of(kinds.DRSSourceNetwork)
		recs, err := filePage(spec, "DescribeSourceNetworks", p.n, p.items, r.filing(""))
		if err != nil {
			return err
		}
		r.stats.addReadAt(spec.Kind, r.region, r.account, int64(p.fresh))
		listed := seen.add(recs)
		var sw *sweep
		if p.last {
			sw = sweepOf(spec, &seen, r.region, r.account, r.seen, "")
		}
		cm, err := keepCommit(spec, fmt.Sprintf("DescribeSourceNetworks page %d", p.n), recs)
		if err != nil {
			return err
		}
		return r.com.send(ctx, withMarks(cm, listed, sw))
	})
}
