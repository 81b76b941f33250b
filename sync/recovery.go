package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/drs"
	"github.com/aws/aws-sdk-go-v2/service/drs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// snapshotKey names the recovery snapshots of one source server in one
// region and account.
type snapshotKey struct {
	region, account, serverID string
}

// recoverySnapshots calls fn with each page of one source server's
// DescribeRecoverySnapshots, oldest first, from from on when from is not
// zero.
func (f *drsFetcher) recoverySnapshots(ctx context.Context, sc scope, serverID string, from time.Time, fn func(p page[*drs.DescribeRecoverySnapshotsOutput]) error) error {
	in := drs.DescribeRecoverySnapshotsInput{SourceServerID: aws.String(serverID), Order: types.RecoverySnapshotsOrderAsc, MaxResults: aws.Int32(f.pageSize)}
	if !from.IsZero() {
		in.Filters = &types.DescribeRecoverySnapshotsRequestFilters{FromDateTime: aws.String(from.UTC().Format(time.RFC3339Nano))}
	}
	return eachPage(ctx, f.stats, sdkListing("DescribeRecoverySnapshots", "DescribeRecoverySnapshots "+serverID, "items", "nextToken", sc,
		func(ctx context.Context, token *string) (*drs.DescribeRecoverySnapshotsOutput, error) {
			call := in
			call.NextToken = token
			return f.client.DescribeRecoverySnapshots(ctx, &call)
		},
		func(out *drs.DescribeRecoverySnapshotsOutput) (middleware.Metadata, int, *string) {
			return out.ResultMetadata, len(out.Items), out.NextToken
		}), fn)
}

// recoveryInstances calls fn with each page of DescribeRecoveryInstances.
func (f *drsFetcher) recoveryInstances(ctx context.Context, sc scope, fn func(p page[*drs.DescribeRecoveryInstancesOutput]) error) error {
	return eachPage(ctx, f.stats, sdkListing("DescribeRecoveryInstances", "DescribeRecoveryInstances", "items", "nextToken", sc,
		func(ctx context.Context, token *string) (*drs.DescribeRecoveryInstancesOutput, error) {
			return f.client.DescribeRecoveryInstances(ctx, &drs.DescribeRecoveryInstancesInput{MaxResults: aws.Int32(f.pageSize), NextToken: token})
		},
		func(out *drs.DescribeRecoveryInstancesOutput) (middleware.Metadata, int, *string) {
			return out.ResultMetadata, len(out.Items), out.NextToken
		}), fn)
}

// readNewestSnapshots returns the time of the newest archived recovery
// snapshot of each source server, so that a sync asks only for newer ones.
func readNewestSnapshots(ctx context.Context, dir string, o Options) (map[snapshotKey]time.Time, error) {
	out := map[snapshotKey]time.Time{}
	if _, err := os.Stat(filepath.Join(dir, archive.FileName)); errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	st, err := archive.Open(ctx, dir, archive.Options{LockTimeout: o.LockTimeout, Waiting: o.Waiting})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	err = st.View(func(r *archive.Reader) error {
		return r.Each(kinds.DRSRecoverySnapshot, func(rec archive.Record) error {
			var h struct {
				SourceServerID string `json:"sourceServerID"`
			}
			if json.Unmarshal(rec.Data, &h) != nil || h.SourceServerID == "" {
				return nil
			}
			k := snapshotKey{rec.Region, rec.Account, h.SourceServerID}
			if rec.Time.After(out[k]) {
				out[k] = rec.Time
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read the newest recovery snapshots: %w", err)
	}
	return out, nil
}

// readSnapshots keeps every recovery snapshot of one source server that is
// not archived yet. Snapshots never change once taken, so each is kept once,
// by its snapshotID, and only snapshots from the newest archived one on are
// asked for (filters.fromDateTime). The filter is inclusive: the newest
// archived snapshot comes again and changes nothing.
func (r *drsRun) readSnapshots(ctx context.Context, serverID string) error {
	from := r.newestSnapshot[snapshotKey{r.region, r.account, serverID}]
	return r.f.recoverySnapshots(ctx, r.scope(), serverID, from, func(p page[*drs.DescribeRecoverySnapshotsOutput]) error {
		spec := kinds.Of(kinds.DRSRecoverySnapshot)
		what := "DescribeRecoverySnapshots " + serverID
		recs, err := filePage(spec, what, p.n, p.items, r.filing(""))
		if err != nil {
			return err
		}
		r.stats.addReadAt(spec.Kind, r.region, r.account, int64(p.fresh))
		cm, err := keepCommit(spec, fmt.Sprintf("%s page %d", what, p.n), recs)
		if err != nil {
			return err
		}
		return r.com.send(ctx, cm)
	})
}

// listRecoveryInstances keeps each recovery instance DRS lists, with a new
// record when its state changes (see volatileInstanceFields).
//
// The record's time is the instance's pointInTimeSnapshotDateTime, the
// moment of the source server the instance was launched from, so that a
// query by time finds an instance beside the snapshot it was made of. An
// instance that names no snapshot time takes the capture time instead.
func (r *drsRun) listRecoveryInstances(ctx context.Context) error {
	return r.f.recoveryInstances(ctx, r.scope(), func(p page[*drs.DescribeRecoveryInstancesOutput]) error {
		spec := kinds.Of(kinds.DRSRecoveryInstance)
		recs, err := filePage(spec, "DescribeRecoveryInstances", p.n, p.items, r.filing(""))
		if err != nil {
			return err
		}
		r.stats.addReadAt(spec.Kind, r.region, r.account, int64(p.fresh))
		cm, err := keepCommit(spec, fmt.Sprintf("DescribeRecoveryInstances page %d", p.n), recs)
		if err != nil {
			return err
		}
		return r.com.send(ctx, cm)
	})
}
