package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	"github.com/archiver-dev/archiver/query/export/s3dest"
)

// dirFiles returns the SHA-256 of every file under root, by slash path.
func dirFiles(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		sum := sha256.Sum256(b)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExportDirSinceLast: an export to a directory, in either format, lays
// the records out by month; --since-last adds parts beside the old ones,
// never rewriting one, and every manifest lists its parts with their
// SHA-256.
func TestExportDirSinceLast(t *testing.T) {
	hermeticEnv(t)
	for _, format := range []string{s3dest.FormatJSONLines, s3dest.FormatParquet} {
		t.Run(format, func(t *testing.T) {
			emu := archivetest.Emulator(t, emulator.Options{Seed: 33})
			dir := archivetest.Dir(t)
			out := filepath.Join(t.TempDir(), "export")
			step := func() map[string]string {
				t.Helper()
				if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL()); code != 0 {
					t.Fatalf("sync: exit %d: %s", code, stderr)
				}
				if code, _, stderr := runCLI(t, "--archive", dir, "export", "--out-dir", out, "--since-last", "--format", format); code != 0 {
					t.Fatalf("export: exit %d: %s", code, stderr)
				}
				return dirFiles(t, out)
			}
			first := step()
			emu.Advance(24 * time.Hour)
			// A job exported already goes away upstream: the next export
			// sends its record again, marked.
			ids := emu.JobIDs()
			gone := ids[len(ids)-1]
			if err := emu.DeleteJob(gone); err != nil {
				t.Fatal(err)
			}
			second := step()
			for p, sum := range first {
				if second[p] != sum {
					t.Errorf("%s changed or went away after the second export", p)
				}
			}
			if len(second) <= len(first) {
				t.Fatalf("the second export added no files (%d, then %d)", len(first), len(second))
			}
			listed := map[string]bool{}
			manifests := 0
			for p := range second {
				if !strings.HasPrefix(p, "manifest-") {
					continue
				}
				manifests++
				b, err := os.ReadFile(filepath.Join(out, p))
				if err != nil {
					t.Fatal(err)
				}
				var m s3dest.Manifest
				if err := json.Unmarshal(b, &m); err != nil {
					t.Fatal(err)
				}
				if m.Partition != s3dest.PartitionMonth || m.PartFormat != format {
					t.Errorf("%s: partition %q format %q", p, m.Partition, m.PartFormat)
				}
				for _, o := range m.Objects {
					listed[o.Key] = true
					if second[o.Key] != o.SHA256 {
						t.Errorf("%s lists %s with sha256 %s; the file has %s", p, o.Key, o.SHA256, second[o.Key])
					}
					if !strings.Contains(o.Key, "/dt="+o.Key[strings.Index(o.Key, "/dt=")+4:][:7]+"/") {
						t.Errorf("%s is not in a month partition", o.Key)
					}
				}
			}
			if format == s3dest.FormatJSONLines {
				marked := false
				for p := range second {
					if _, ok := first[p]; ok || !strings.HasSuffix(p, ".jsonl.gz") {
						continue
					}
					b, _ := os.ReadFile(filepath.Join(out, p))
					for _, l := range archivetest.GunzipLines(t, b) {
						marked = marked || strings.Contains(l, `"id":"`+gone+`"`) && strings.Contains(l, `"deletedUpstreamAt":`)
					}
				}
				if !marked {
					t.Errorf("the second export lacks job %s marked deleted upstream", gone)
				}
			}
			if manifests != 2 {
				t.Errorf("%d manifests after two exports", manifests)
			}
			for p := range second {
				if !strings.HasPrefix(p, "manifest-") && !listed[p] {
					t.Errorf("%s is listed by no manifest", p)
				}
			}

			// verify --export DIR checks every part against its manifest.
			code, stdout, stderr := runCLI(t, "verify", "--export", out)
			if code != 0 || !strings.Contains(stdout, "ok:") || !strings.Contains(stdout, "2 exports") {
				t.Fatalf("verify --export DIR: exit %d: %s%s", code, stdout, stderr)
			}
			var part string
			for p := range listed {
				part = p
				break
			}
			b, _ := os.ReadFile(filepath.Join(out, part))
			b[len(b)/2] ^= 1
			os.WriteFile(filepath.Join(out, part), b, 0o644)
			extra := strings.Replace(part, "/part-", "/part-x", 1)
			os.WriteFile(filepath.Join(out, extra), b, 0o644)
			code, _, stderr = runCLI(t, "verify", "--export", out)
			if code != 1 || !strings.Contains(stderr, part+":") || !strings.Contains(stderr, extra+" is listed by no manifest") {
				t.Errorf("verify --export DIR of a changed part and an added one: exit %d: %s", code, stderr)
			}
		})
	}
}
