package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/internal/enginetest"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/ddl"
	"github.com/archiver-dev/archiver/query/export"
	"github.com/archiver-dev/archiver/query/export/s3dest"
)

// s3Env points the CLI's S3 calls at moto.
func s3Env(t *testing.T, url string) {
	hermeticEnv(t)
	t.Setenv("AWS_ENDPOINT_URL_S3", url)
}

// manifests returns the manifests under prefix, oldest first.
func manifests(t *testing.T, c *s3.Client, bucket, prefix string) []s3dest.Manifest {
	t.Helper()
	var ms []s3dest.Manifest
	for _, k := range archivetest.ListKeys(t, c, bucket) {
		if strings.HasPrefix(k, prefix+"/manifest-") {
			b, _ := archivetest.GetObject(t, c, bucket, k)
			var m s3dest.Manifest
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("manifest %s: %v", k, err)
			}
			ms = append(ms, m)
		}
	}
	return ms
}

// checkExport checks every object of the export m describes against its
// manifest entry, its partition and its lock, and returns its lines.
func checkExport(t *testing.T, c *s3.Client, bucket string, m s3dest.Manifest, lockMode types.ObjectLockMode) []string {
	t.Helper()
	var lines []string
	for _, o := range m.Objects {
		b, out := archivetest.GetObject(t, c, bucket, o.Key)
		sum := sha256.Sum256(b)
		if int64(len(b)) != o.Bytes || hex.EncodeToString(sum[:]) != o.SHA256 {
			t.Errorf("%s: %d bytes sha256 %x; manifest says %d bytes sha256 %s", o.Key, len(b), sum, o.Bytes, o.SHA256)
		}
		if out.ObjectLockMode != lockMode || out.ObjectLockRetainUntilDate == nil || !out.ObjectLockRetainUntilDate.After(time.Now().AddDate(0, 0, 29)) {
			t.Errorf("%s: lock %q until %v, want %s for 30 days", o.Key, out.ObjectLockMode, out.ObjectLockRetainUntilDate, lockMode)
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", o.Key, err)
		}
		n := 0
		sc := bufio.NewScanner(zr)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var rec struct {
				Kind, Region string
				LastSeen     time.Time
			}
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("%s line %d: %v", o.Key, n+1, err)
			}
			if !strings.Contains(o.Key, "/kind="+rec.Kind+"/region="+rec.Region+"/dt=") {
				t.Errorf("%s holds a %s record of %s", o.Key, rec.Kind, rec.Region)
			}
			lines = append(lines, sc.Text())
			n++
		}
		if n != o.Records {
			t.Errorf("%s: %d lines, manifest says %d", o.Key, n, o.Records)
		}
	}
	if len(lines) != m.Records {
		t.Errorf("export has %d lines, manifest says %d records", len(lines), m.Records)
	}
	return lines
}

// archiveLines renders every record of the archive in dir as an export
// line, with the partition key it belongs in, and the change-log position.
func archiveLines(t *testing.T, dir string) (map[string]string, uint64) {
	t.Helper()
	st := archivetest.Open(t, dir)
	defer st.Close()
	lines := map[string]string{}
	var pos uint64
	err := st.View(func(r *archive.Reader) error {
		var err error
		if pos, err = r.Position(); err != nil {
			return err
		}
		for _, k := range kinds.Names() {
			err := r.Each(k, func(rec archive.Record) error {
				region := rec.Region
				if region == "" {
					region = s3dest.NoRegion
				}
				part := fmt.Sprintf("kind=%s/region=%s/dt=%s/", rec.Kind, region, rec.Key.Time().UTC().Format(time.DateOnly))
				lines[string(query.AppendRecord(nil, rec))] = part
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return lines, pos
}

func TestExportS3(t *testing.T) {
	url := archivetest.Moto(t)
	s3Env(t, url)
	c := archivetest.S3Client(url)
	archivetest.LockedBucket(t, c, "audit")
	emu := archivetest.Emulator(t, emulator.Options{Seed: 21})
	dir := archivetest.Dir(t)
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL()); code != 0 {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}
	dest := "s3://audit/drs/history"
	export := func() (int, string) {
		code, _, stderr := runCLI(t, "--archive", dir, "export", "--out", dest, "--since-last", "--partition", "day",
			"--object-lock-mode", "COMPLIANCE", "--retain-days", "30", "--part-size", "16KiB")
		return code, stderr
	}

	// The first export sends everything.
	code, stderr := export()
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	ms := manifests(t, c, "audit", "drs/history")
	if len(ms) != 1 {
		t.Fatalf("%d manifests after one export", len(ms))
	}
	want, pos1 := archiveLines(t, dir)
	got := checkExport(t, c, "audit", ms[0], types.ObjectLockModeCompliance)
	if len(got) != len(want) {
		t.Errorf("export has %d records, archive %d", len(got), len(want))
	}
	keyOf := map[string]string{}
	for _, o := range ms[0].Objects {
		if !strings.HasPrefix(o.Key, "drs/history/kind=") || !strings.HasSuffix(o.Key, ".jsonl.gz") || !strings.Contains(o.Key, "/part-"+ms[0].ExportID+"-") {
			t.Errorf("part key %s is not drs/history/kind=K/region=R/dt=D/part-%s-N.jsonl.gz", o.Key, ms[0].ExportID)
		}
	}
	rolled := false
	for _, o := range ms[0].Objects {
		rolled = rolled || strings.HasSuffix(o.Key, "-00001.jsonl.gz")
	}
	if !rolled {
		t.Errorf("no partition rolled over to a second part at --part-size 16KiB")
	}
	for _, l := range got {
		keyOf[l] = "x"
		if _, ok := want[l]; !ok {
			t.Errorf("export holds a record the archive does not: %.120s", l)
		}
	}
	for l := range want {
		if keyOf[l] == "" {
			t.Errorf("export lacks %.120s", l)
		}
	}
	if ms[0].Position != pos1 || ms[0].SinceLast || ms[0].Chain.Head == "" || ms[0].Chain.Links == 0 {
		t.Errorf("manifest position %d since-last %v chain %+v; archive at %d", ms[0].Position, ms[0].SinceLast, ms[0].Chain, pos1)
	}
	// The manifest object itself is locked too.
	_, mo := archivetest.GetObject(t, c, "audit", s3dest.ManifestKey("drs/history", ms[0].GeneratedAt))
	if mo.ObjectLockMode != types.ObjectLockModeCompliance {
		t.Errorf("manifest lock mode %q", mo.ObjectLockMode)
	}

	// After a sync that adds and changes records, only those go out.
	emu.Advance(24 * time.Hour)
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL()); code != 0 {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}
	wantPut := map[string]bool{}
	st := archivetest.Open(t, dir)
	st.View(func(r *archive.Reader) error {
		return r.MutationsSince(pos1, func(_ uint64, muts []archive.Mutation) error {
			for _, mu := range muts {
				if mu.Op != archive.OpPut {
					continue
				}
				if rec, ok, _ := r.Get(mu.Kind, mu.Key); ok {
					wantPut[string(query.AppendRecord(nil, rec))] = true
				}
			}
			return nil
		})
	})
	st.Close()
	if len(wantPut) == 0 {
		t.Fatal("the second sync changed nothing; the test needs it to")
	}
	if code, stderr = export(); code != 0 {
		t.Fatalf("second export: exit %d: %s", code, stderr)
	}
	ms = manifests(t, c, "audit", "drs/history")
	if len(ms) != 2 {
		t.Fatalf("%d manifests after two exports", len(ms))
	}
	got2 := checkExport(t, c, "audit", ms[1], types.ObjectLockModeCompliance)
	if len(got2) != len(wantPut) {
		t.Errorf("second export has %d records, %d were added or changed", len(got2), len(wantPut))
	}
	for _, l := range got2 {
		if !wantPut[l] {
			t.Errorf("second export holds a record not added or changed since the first: %.120s", l)
		}
	}
	if !ms[1].SinceLast || ms[1].FromPosition != pos1 {
		t.Errorf("second manifest since-last %v from %d, want from %d", ms[1].SinceLast, ms[1].FromPosition, pos1)
	}

	// With nothing new, nothing is written.
	before := archivetest.ListKeys(t, c, "audit")
	if code, stderr = export(); code != 0 || !strings.Contains(stderr, "wrote nothing") {
		t.Fatalf("third export: exit %d: %s", code, stderr)
	}
	if after := archivetest.ListKeys(t, c, "audit"); len(after) != len(before) {
		t.Errorf("an export with nothing new wrote %d objects", len(after)-len(before))
	}

	t.Run("duckdb", func(t *testing.T) { duckCount(t, c, dir, "audit", "drs/history", len(got)+len(got2)) })
}

// duckCount reads the partitioned export back with DuckDB through the
// views --ddl duckdb prints (read_json with an explicit column list: the
// AWS objects spell recoveryInstanceID two ways, which inference over
// union_by_name refuses as a duplicate name), when DuckDB is installed,
// and checks the record count.
func duckCount(t *testing.T, c *s3.Client, dir, bucket, prefix string, want int) {
	t.Helper()
	enginetest.Need(t, enginetest.DuckDB)
	root := t.TempDir()
	for _, k := range archivetest.ListKeys(t, c, bucket) {
		if !strings.HasSuffix(k, ".jsonl.gz") {
			continue
		}
		b, _ := archivetest.GetObject(t, c, bucket, k)
		p := filepath.Join(root, filepath.FromSlash(k))
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	code, setup, stderr := runCLI(t, "--archive", dir, "export", "--ddl", "duckdb", "--partition", "day", "--out-dir", filepath.Join(root, prefix))
	if code != 0 {
		t.Fatalf("--ddl duckdb: exit %d: %s", code, stderr)
	}
	var union []string
	for _, k := range kinds.Names() {
		if strings.Contains(setup, ddl.TableName(k)+" AS") {
			union = append(union, "SELECT count(*) AS n FROM "+ddl.TableName(k))
		}
	}
	got := enginetest.Query(t, enginetest.DuckDB, setup, "SELECT sum(n) FROM ("+strings.Join(union, " UNION ALL ")+")")
	if len(got[0]) != 1 || got[0][0][0] == nil || *got[0][0][0] != fmt.Sprint(want) {
		t.Errorf("duckdb counts %v records, want %d", answer(got[0]), want)
	}
}

func TestExportS3Usage(t *testing.T) {
	hermeticEnv(t)
	dir := archivetest.Dir(t)
	aFile := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(aFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"export", "--to", "s3://b/p", "--out", "x.json"},
		{"export", "--to", "s3://b/p"},
		{"export", "--out", "s3://b/p", "--object-lock-mode", "COMPLIANCE"},
		{"export", "--out", "s3://b/p", "--object-lock-mode", "LOCKED", "--retain-days", "3"},
		{"export", "--out", "s3://b/p", "--retain-days", "3"},
		{"export", "--out", "s3://b/p", "--part-size", "lots"},
		{"export", "--out", "s3://b/p", "--redact-tags"},
		{"export", "--out", "s3:///p"},
		{"export", "--ddl", "hive"},
		{"export", "--ddl", "athena", "--out", "x.json"},
		{"export", "--ddl", "athena"},
		{"export", "--out", "s3://b/p", "--partition", "week"},
		{"export", "--out", "x.json", "--out-dir", "d"},
		{"export", "--out", "s3://b/p", "--out-dir", "d"},
		{"export", "--out-dir", "d", "--object-lock-mode", "COMPLIANCE", "--retain-days", "3"},
		{"export", "--out-dir", aFile},
		{"export", "--out", "-", "--to", "1d", "--until", "2d"},
	} {
		code, _, stderr := runCLI(t, append([]string{"--archive", dir}, args...)...)
		if code != 2 || strings.Count(stderr, "archiver:") != 1 {
			t.Errorf("%v: exit %d, %q; want a usage error", args, code, stderr)
		}
	}
}

// TestExportToIsATime: --to is the end of the time range, never the
// destination: --to s3://... is refused in one line that names --out
// s3://, and --until is still taken as another name for --to.
func TestExportToIsATime(t *testing.T) {
	hermeticEnv(t)
	dir := archivetest.Dir(t)
	archivetest.Open(t, dir).Close() // an empty archive
	code, stdout, stderr := runCLI(t, "--archive", dir, "export", "--to", "s3://dr-audit/archiver")
	if code != 2 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "--to is a time") || !strings.Contains(stderr, "--out s3://bucket/prefix") {
		t.Errorf("--to s3://...: exit %d, %q; want exit 2 and one line naming --out s3://", code, stderr)
	}
	for _, flag := range []string{"--to", "--until"} {
		code, stdout, stderr := runCLI(t, "--archive", dir, "export", "--out", "-", flag, "2026-01-01")
		if code != 0 {
			t.Fatalf("export %s: exit %d: %s", flag, code, stderr)
		}
		var doc struct {
			Manifest export.Manifest `json:"manifest"`
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("export %s: %v", flag, err)
		}
		if got := doc.Manifest.Filters["to"]; got != "2026-01-01" {
			t.Errorf("export %s 2026-01-01: manifest filters %v, want to 2026-01-01", flag, doc.Manifest.Filters)
		}
	}
}

func TestExportDDL(t *testing.T) {
	hermeticEnv(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 5})
	dir := archivetest.Dir(t)
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--source", "drs,snowball,sms"); code != 0 {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}
	held := map[archive.Kind]bool{}
	st := archivetest.Open(t, dir)
	st.View(func(r *archive.Reader) error {
		for _, k := range kinds.Names() {
			r.Each(k, func(archive.Record) error { held[k] = true; return nil })
		}
		return nil
	})
	st.Close()
	if len(held) < 2 {
		t.Fatalf("the archive holds %d kinds; the test needs several", len(held))
	}
	for _, dialect := range ddl.Dialects {
		code, stdout, stderr := runCLI(t, "--archive", dir, "export", "--ddl", dialect, "--out", "s3://audit/drs/history/")
		if code != 0 {
			t.Fatalf("--ddl %s: exit %d: %s", dialect, code, stderr)
		}
		for _, k := range kinds.Names() {
			has := strings.Contains(stdout, ddl.TableName(k)+" ") && strings.Contains(stdout, "/drs/history/kind="+string(k)+"/")
			if has != held[k] {
				t.Errorf("--ddl %s: table over kind %s: %v; the archive holds it: %v", dialect, k, has, held[k])
			}
		}
		if got := strings.Count(stdout, "CREATE "); got != len(held) {
			t.Errorf("--ddl %s: %d statements, want %d", dialect, got, len(held))
		}
		switch dialect {
		case "athena":
			for _, s := range []string{"CREATE EXTERNAL TABLE", "org.openx.data.jsonserde.JsonSerDe", "'projection.dt.type' = 'date'", "'projection.dt.format' = 'yyyy-MM'",
				"PARTITIONED BY (region string, dt string)", "data string", "'case.insensitive' = 'false'", "'projection.region.values' = '" + emulator.DefaultRegion + "'"} {
				if !strings.Contains(stdout, s) {
					t.Errorf("athena DDL lacks %s", s)
				}
			}
		case "trino":
			for _, s := range []string{"format = 'OPENX_JSON'", "partitioned_by = ARRAY['region', 'dt']", "external_location", "data varchar", "partition_projection_enabled = true"} {
				if !strings.Contains(stdout, s) {
					t.Errorf("trino DDL lacks %s", s)
				}
			}
		}
	}
	// ClickHouse and DuckDB also read a directory; Athena and Trino do not.
	for _, dialect := range ddl.Dialects {
		code, _, stderr := runCLI(t, "--archive", dir, "export", "--ddl", dialect, "--out-dir", t.TempDir())
		if wantOK := dialect == ddl.ClickHouse || dialect == ddl.DuckDB; (code == 0) != wantOK {
			t.Errorf("--ddl %s --out-dir: exit %d: %s", dialect, code, stderr)
		}
	}
}

func TestExportS3KMSAndGovernance(t *testing.T) {
	url := archivetest.Moto(t)
	s3Env(t, url)
	c := archivetest.S3Client(url)
	archivetest.LockedBucket(t, c, "kms")
	dir := archivetest.Dir(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 8})
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL()); code != 0 {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}
	code, _, stderr := runCLI(t, "--archive", dir, "export", "--out", "s3://kms/p", "--kind", "drs.job",
		"--sse-kms-key-id", "alias/archiver-export", "--object-lock-mode", "governance", "--retain-days", "30")
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	ms := manifests(t, c, "kms", "p")
	if len(ms) != 1 || ms[0].Records != ms[0].Counts["drs.job"] || ms[0].Records != len(emu.Jobs()) {
		t.Fatalf("manifests %+v; want one with the %d jobs only", ms, len(emu.Jobs()))
	}
	if kinds, _ := ms[0].Filters["kind"].([]any); len(kinds) != 1 || kinds[0] != "drs.job" {
		t.Errorf("manifest filters %v, want kind drs.job", ms[0].Filters)
	}
	checkExport(t, c, "kms", ms[0], types.ObjectLockModeGovernance)
	for _, o := range ms[0].Objects {
		h, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("kms"), Key: aws.String(o.Key)})
		if err != nil {
			t.Fatalf("head %s: %v", o.Key, err)
		}
		if h.ServerSideEncryption != types.ServerSideEncryptionAwsKms || h.SSEKMSKeyId == nil || !strings.Contains(*h.SSEKMSKeyId, "archiver-export") {
			t.Errorf("%s: encryption %q key %v, want aws:kms with the given key", o.Key, h.ServerSideEncryption, h.SSEKMSKeyId)
		}
	}
}
