package s3dest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/archiver-dev/archiver/archive/checkpoint"
)

// Witness keeps checkpoints of an archive's transparency log under an S3
// prefix, one object each, named as in a witness directory
// (checkpoint.FileName), never replaced: with Object Lock, not even by
// whoever can write the archive. It is an archive.Witness.
type Witness struct {
	client         *s3.Client
	store          *Store
	bucket, prefix string
}

// NewWitness returns the witness at s3://bucket/prefix, writing through
// client with o's Object Lock and encryption (o.Bucket is set from bucket).
func NewWitness(client *s3.Client, bucket, prefix string, o StoreOptions) *Witness {
	o.Bucket = bucket
	return &Witness{client: client, store: NewStore(client, o), bucket: bucket, prefix: prefix}
}

// String names the witness.
func (w *Witness) String() string { return "s3://" + joinKey(w.bucket, w.prefix) }

// Publish writes the checkpoint's text under the prefix. A checkpoint kept
// there already with the same text is fine; with another text, it is an
// error: a witness never rewrites history.
func (w *Witness) Publish(ctx context.Context, c checkpoint.Checkpoint, text []byte) error {
	key := joinKey(w.prefix, checkpoint.FileName(c))
	err := w.store.Put(ctx, key, text, "text/plain; charset=utf-8")
	if err == nil {
		return nil
	}
	have, gerr := w.get(ctx, key)
	if gerr == nil && bytes.Equal(have, text) {
		return nil // kept already
	}
	if gerr == nil {
		return fmt.Errorf("s3://%s/%s holds another checkpoint of the same size and root: %w", w.bucket, key, checkpoint.ErrConflict)
	}
	return err
}

// Checkpoints reads every checkpoint kept under the prefix (objects whose
// names end in checkpoint.Ext), named by their s3:// URLs.
func (w *Witness) Checkpoints(ctx context.Context) ([]checkpoint.File, error) {
	var out []checkpoint.File
	p := s3.NewListObjectsV2Paginator(w.client, &s3.ListObjectsV2Input{Bucket: aws.String(w.bucket), Prefix: aws.String(listPrefix(w.prefix))})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, readError(w.bucket, w.prefix, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if !strings.HasSuffix(key, checkpoint.Ext) || strings.Contains(strings.TrimPrefix(key, listPrefix(w.prefix)), "/") {
				continue
			}
			data, err := w.get(ctx, key)
			if err != nil {
				return nil, err
			}
			c, signed, err := checkpoint.ParseUnverified(data)
			if err != nil {
				return nil, fmt.Errorf("s3://%s/%s: %w", w.bucket, key, err)
			}
			out = append(out, checkpoint.File{Path: "s3://" + w.bucket + "/" + key, Checkpoint: c, Signed: signed, Data: data})
		}
	}
	return out, nil
}

func (w *Witness) get(ctx context.Context, key string) ([]byte, error) {
	out, err := w.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, readError(w.bucket, key, err)
	}
	defer out.Body.Close()
	return io.ReadAll(io.LimitReader(out.Body, checkpoint.MaxSize+1))
}

// listPrefix is the prefix under which the objects of prefix are listed.
func listPrefix(prefix string) string {
	if prefix == "" {
		return ""
	}
	return prefix + "/"
}

// readError says in one line why S3 refused a read under s3://bucket/key.
func readError(bucket, key string, err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("read s3://%s/%s: %s: %s", bucket, key, ae.ErrorCode(), oneLine(ae.ErrorMessage()))
	}
	return fmt.Errorf("read s3://%s/%s: %s", bucket, key, oneLine(err.Error()))
}
