package smsapi

import (
	"context"
	"errors"
)

// GetReplicationJobsAPIClient is what GetReplicationJobsPaginator pages
// through; *Client is one.
type GetReplicationJobsAPIClient interface {
	GetReplicationJobs(context.Context, *GetReplicationJobsInput, ...func(*Options)) (*GetReplicationJobsOutput, error)
}

var _ GetReplicationJobsAPIClient = (*Client)(nil)

// GetReplicationJobsPaginatorOptions configure a GetReplicationJobsPaginator.
type GetReplicationJobsPaginatorOptions struct {
	// Limit is the maxResults of each page; zero leaves it to the service.
	Limit int32

	// StopOnDuplicateToken ends the listing when the service hands back a
	// nextToken it has already handed back in this listing (or the starting
	// token), rather than asking for the same pages again without end. The
	// SDK's paginators compare with the previous token only; this compares
	// with every one, so a cycle of tokens stops too.
	StopOnDuplicateToken bool
}

// GetReplicationJobsPaginator pages through GetReplicationJobs.
type GetReplicationJobsPaginator struct {
	options   GetReplicationJobsPaginatorOptions
	client    GetReplicationJobsAPIClient
	params    GetReplicationJobsInput
	nextToken *string
	firstPage bool
	seen      map[string]bool
	duplicate bool
}

// ErrNoMorePages is returned by NextPage after the last page.
var ErrNoMorePages = errors.New("GetReplicationJobs: no more pages available")

// NewGetReplicationJobsPaginator returns a paginator over the pages of
// GetReplicationJobs with params, starting at params.NextToken. The limit
// starts as params.MaxResults; optFns may change it.
func NewGetReplicationJobsPaginator(client GetReplicationJobsAPIClient, params *GetReplicationJobsInput, optFns ...func(*GetReplicationJobsPaginatorOptions)) *GetReplicationJobsPaginator {
	if params == nil {
		params = &GetReplicationJobsInput{}
	}
	var o GetReplicationJobsPaginatorOptions
	if params.MaxResults != nil {
		o.Limit = *params.MaxResults
	}
	for _, fn := range optFns {
		fn(&o)
	}
	p := &GetReplicationJobsPaginator{
		options:   o,
		client:    client,
		params:    *params,
		nextToken: params.NextToken,
		firstPage: true,
		seen:      map[string]bool{},
	}
	if p.nextToken != nil {
		p.seen[*p.nextToken] = true
	}
	return p
}

// HasMorePages reports whether NextPage has a page to get.
func (p *GetReplicationJobsPaginator) HasMorePages() bool {
	return p.firstPage || (p.nextToken != nil && *p.nextToken != "")
}

// StoppedOnDuplicateToken reports whether the listing ended because the
// service repeated a token (see StopOnDuplicateToken) rather than because it
// sent none: pages may then be missing.
func (p *GetReplicationJobsPaginator) StoppedOnDuplicateToken() bool {
	return p.duplicate
}

// NextPage gets the next page. optFns change the client's options for this
// call only. After an error the same page can be asked for again.
func (p *GetReplicationJobsPaginator) NextPage(ctx context.Context, optFns ...func(*Options)) (*GetReplicationJobsOutput, error) {
	if !p.HasMorePages() {
		return nil, ErrNoMorePages
	}
	params := p.params
	params.NextToken = p.nextToken
	params.MaxResults = nil
	if p.options.Limit > 0 {
		limit := p.options.Limit
		params.MaxResults = &limit
	}
	out, err := p.client.GetReplicationJobs(ctx, &params, optFns...)
	if err != nil {
		return nil, err
	}
	p.firstPage = false
	p.nextToken = out.NextToken
	if p.options.StopOnDuplicateToken && p.nextToken != nil {
		if p.seen[*p.nextToken] {
			p.nextToken = nil
			p.duplicate = true
		} else {
			p.seen[*p.nextToken] = true
		}
	}
	return out, nil
}
