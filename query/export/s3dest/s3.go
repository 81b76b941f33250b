package s3dest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/archiver-dev/archiver/sync"
)

// ParseURL splits s3://bucket/prefix into its bucket and its prefix, with
// no slash either side. The error starts with u.
func ParseURL(u string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%s: want s3://bucket/prefix", u)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%s: no bucket", u)
	}
	return bucket, strings.Trim(prefix, "/"), nil
}

// IsURL reports whether s names an S3 location (s3://...).
func IsURL(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), "s3://") }

// ClientOptions say how to reach S3.
type ClientOptions struct {
	// EndpointURL, when set, sends S3 calls there, with path-style
	// addressing; AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL do the same.
	EndpointURL string
	// Region is the bucket's region; "" for the AWS configuration's.
	Region string
	// Profile is the AWS shared-config profile; "" for the default chain.
	Profile string
	// Debug, when set, receives every S3 call (see sync.Options.Debug).
	Debug io.Writer
}

// NewClient makes the S3 client of an export: the configuration chain sync
// uses, with path-style addressing when an endpoint URL is given (by
// o.EndpointURL, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL).
func NewClient(ctx context.Context, o ClientOptions) (*s3.Client, error) {
	so := sync.Options{EndpointURL: o.EndpointURL, Debug: o.Debug}
	if o.Region != "" {
		so.Regions = []string{o.Region}
	}
	if o.Profile != "" {
		so.Profiles = []string{o.Profile}
	}
	cfg, err := sync.LoadAWSConfig(ctx, so)
	if err != nil {
		return nil, err
	}
	endpoint := o.EndpointURL
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL_S3")
	}
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	return s3.NewFromConfig(cfg, func(so *s3.Options) {
		if endpoint != "" {
			so.BaseEndpoint = aws.String(endpoint)
			so.UsePathStyle = true
		}
	}), nil
}

// UploadPartSize is the size of the pieces a large object goes up in: an
// object above it goes up as a multipart upload.
const UploadPartSize = 16 << 20

// ParseLockMode reads an Object Lock mode, GOVERNANCE or COMPLIANCE in any
// case; "" is no lock.
func ParseLockMode(s string) (types.ObjectLockMode, error) {
	switch mode := strings.ToUpper(s); mode {
	case "":
		return "", nil
	case string(types.ObjectLockModeGovernance), string(types.ObjectLockModeCompliance):
		return types.ObjectLockMode(mode), nil
	}
	return "", fmt.Errorf("%q: want GOVERNANCE or COMPLIANCE", s)
}

// StoreOptions say how a Store writes its objects.
type StoreOptions struct {
	// Bucket is the bucket every object goes to.
	Bucket string
	// LockMode, when set, locks every object (Object Lock) until
	// RetainUntil.
	LockMode    types.ObjectLockMode
	RetainUntil time.Time
	// KMSKeyID, when set, encrypts every object with that KMS key
	// (SSE-KMS).
	KMSKeyID string
}

// Store writes export objects to one bucket, never over an existing key. It
// is the ObjectStore of an export to S3.
type Store struct {
	up *manager.Uploader
	o  StoreOptions
}

// NewStore returns a Store writing through client.
func NewStore(client *s3.Client, o StoreOptions) *Store {
	up := manager.NewUploader(client, func(u *manager.Uploader) { u.PartSize = UploadPartSize })
	return &Store{up: up, o: o}
}

// Put writes body under key with If-None-Match: *, so that S3 refuses to
// replace an object already there.
func (s *Store) Put(ctx context.Context, key string, body []byte, contentType string) error {
	in := &s3.PutObjectInput{
		Bucket: aws.String(s.o.Bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentType: aws.String(contentType), IfNoneMatch: aws.String("*"),
		// Object Lock wants a checksum of every upload; SHA-256 also
		// matches the manifest's.
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	}
	if s.o.LockMode != "" {
		in.ObjectLockMode = s.o.LockMode
		in.ObjectLockRetainUntilDate = aws.Time(s.o.RetainUntil)
	}
	if s.o.KMSKeyID != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(s.o.KMSKeyID)
	}
	if _, err := s.up.Upload(ctx, in); err != nil {
		return writeError(s.o.Bucket, key, err)
	}
	return nil
}

// writeError says in one line why S3 refused to write s3://bucket/key.
func writeError(bucket, key string, err error) error {
	url := "s3://" + bucket + "/" + key
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "PreconditionFailed", "ConditionalRequestConflict":
			return fmt.Errorf("export: %s exists already: S3 refused to overwrite it (an export never replaces an object, locked or not)", url)
		case "AccessDenied":
			if strings.Contains(strings.ToLower(ae.ErrorMessage()), "lock") {
				return fmt.Errorf("export: %s is locked (Object Lock): S3 refused to overwrite it: %s", url, ae.ErrorMessage())
			}
		}
		return fmt.Errorf("export: write %s: %s: %s", url, ae.ErrorCode(), oneLine(ae.ErrorMessage()))
	}
	return fmt.Errorf("export: write %s: %s", url, oneLine(err.Error()))
}

// oneLine folds s onto one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ; ")), " ")
}
