package s3dest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query/export/s3dest"
	archsync "github.com/archiver-dev/archiver/sync"
)

// s3Env points the S3 client's configuration chain at moto at url, with
// test credentials and no shared configuration.
func s3Env(t *testing.T, url string) {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ENDPOINT_URL_S3": url,
	} {
		t.Setenv(k, v)
	}
}

// synced returns an archive holding the emulator's history.
func synced(t *testing.T, seed int64) (string, *emulator.Server) {
	t.Helper()
	emu := archivetest.Emulator(t, emulator.Options{Seed: seed})
	dir := archivetest.Dir(t)
	var st archsync.Stats
	err := archsync.Run(context.Background(), archsync.Options{
		ArchiveDir: dir, Regions: []string{"us-east-1"}, EndpointURL: emu.URL(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	}, &st)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return dir, emu
}

// TestRunExportsAndMarks runs an export of everything, then one of the
// changes since, which has none: the first writes every record and a
// manifest, and the archive keeps the mark the second starts from.
func TestRunExportsAndMarks(t *testing.T) {
	url := archivetest.Moto(t)
	s3Env(t, url)
	c := archivetest.S3Client(url)
	archivetest.LockedBucket(t, c, "run")
	dir, emu := synced(t, 3)
	if len(emu.Jobs()) == 0 {
		t.Fatal("the emulator has no jobs; the test proves nothing")
	}
	o := s3dest.RunOptions{ArchiveDir: dir, Destination: "s3://run/p", Bucket: "run", Prefix: "p", LockTimeout: time.Minute,
		PartBytes: s3dest.DefaultPartBytes, SinceLast: true}
	var stderr bytes.Buffer
	if err := s3dest.Run(context.Background(), o, io.Discard, &stderr); err != nil {
		t.Fatalf("export: %v", err)
	}
	var ms []s3dest.Manifest
	for _, k := range archivetest.ListKeys(t, c, "run") {
		if strings.HasPrefix(k, "p/manifest-") {
			b, _ := archivetest.GetObject(t, c, "run", k)
			var m s3dest.Manifest
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			ms = append(ms, m)
		}
	}
	if len(ms) != 1 || ms[0].Counts["drs.job"] != len(emu.Jobs()) {
		t.Fatalf("manifests %+v; want one with the %d jobs", ms, len(emu.Jobs()))
	}
	st := archivetest.Open(t, dir)
	var mark archive.ExportMark
	var ok bool
	err := st.View(func(r *archive.Reader) error {
		var err error
		mark, ok, err = r.ExportMark("s3://run/p")
		return err
	})
	st.Close()
	if err != nil || !ok || mark.ExportID != ms[0].ExportID || mark.Records != ms[0].Records {
		t.Fatalf("export mark %+v %v %v; want that of export %s", mark, ok, err, ms[0].ExportID)
	}
	stderr.Reset()
	if err := s3dest.Run(context.Background(), o, io.Discard, &stderr); err != nil {
		t.Fatalf("second export: %v", err)
	}
	if !strings.Contains(stderr.String(), "nothing added or changed since export "+ms[0].ExportID) {
		t.Errorf("second export said %q; want that nothing changed", stderr.String())
	}
}

func TestRunRefusedOverwrite(t *testing.T) {
	url := archivetest.Moto(t)
	s3Env(t, url)
	c := archivetest.S3Client(url)
	archivetest.LockedBucket(t, c, "worm")
	dir, _ := synced(t, 5)
	// Two exports at the same instant name the same manifest.
	o := s3dest.RunOptions{ArchiveDir: dir, Destination: "s3://worm/x", Bucket: "worm", Prefix: "x", LockTimeout: time.Minute,
		PartBytes: s3dest.DefaultPartBytes, LockMode: types.ObjectLockModeCompliance, RetainDays: 1,
		Now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	if err := s3dest.Run(context.Background(), o, io.Discard, io.Discard); err != nil {
		t.Fatalf("first export: %v", err)
	}
	err := s3dest.Run(context.Background(), o, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("an export over a locked manifest succeeded")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.Contains(msg, "s3://worm/x/manifest-20260301T120000.000000000Z.json") || !strings.Contains(msg, "refused to overwrite") {
		t.Errorf("message %q does not say clearly which object S3 refused to overwrite", msg)
	}
	// The locked manifest is the first export's, unchanged.
	n := 0
	for _, k := range archivetest.ListKeys(t, c, "worm") {
		if strings.HasPrefix(k, "x/manifest-") {
			n++
		}
	}
	if ms := n; ms != 1 {
		t.Errorf("%d manifests, want the first export's only", ms)
	}
}

// TestStoreLargeObject puts an object larger than the upload manager's
// part size, which goes up in several parts, never over an existing key.
// (moto keeps no Object Lock headers of a multipart upload, so the lock of
// such objects is not checked here; S3 applies them.)
func TestStoreLargeObject(t *testing.T) {
	url := archivetest.Moto(t)
	s3Env(t, url)
	c := archivetest.S3Client(url)
	archivetest.LockedBucket(t, c, "big")
	client, err := s3dest.NewClient(context.Background(), s3dest.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	store := s3dest.NewStore(client, s3dest.StoreOptions{Bucket: "big", LockMode: types.ObjectLockModeCompliance,
		RetainUntil: time.Now().AddDate(0, 0, 31)})
	body := make([]byte, s3dest.UploadPartSize+s3dest.UploadPartSize/2)
	for i := range body {
		body[i] = byte(i * 7919 >> 3)
	}
	if err := store.Put(context.Background(), "p/large.bin", body, "application/octet-stream"); err != nil {
		t.Fatalf("put: %v", err)
	}
	got, out := archivetest.GetObject(t, c, "big", "p/large.bin")
	if !bytes.Equal(got, body) {
		t.Errorf("read back %d bytes, not the %d put", len(got), len(body))
	}
	if out.ContentLength == nil || *out.ContentLength != int64(len(body)) {
		t.Errorf("content length %v", out.ContentLength)
	}
	err = store.Put(context.Background(), "p/large.bin", body, "application/octet-stream")
	if err == nil || !strings.Contains(err.Error(), "s3://big/p/large.bin exists already") {
		t.Errorf("second put: %v; want a refusal", err)
	}
}
