package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/buildinfo"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// TestBuildInExportsAndRuns checks that the JSON export's manifest, the S3
// export's manifest and every sync run record name the build that wrote
// them, as 'archiver version' prints it.
func TestBuildInExportsAndRuns(t *testing.T) {
	hermeticEnv(t)
	want := archiverBuild()
	if want.Version == "" || want.GoVersion != runtime.Version() {
		t.Fatalf("archiverBuild() = %+v: no version, or not this Go", want)
	}
	emu := archivetest.Emulator(t, emulator.Options{Seed: 5})
	dir := archivetest.Dir(t)
	if code, _, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL()); code != 0 {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}

	t.Run("sync run records", func(t *testing.T) {
		st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var runs []archive.SyncRun
		if err := st.View(func(r *archive.Reader) (err error) { runs, err = r.SyncRuns(); return err }); err != nil {
			t.Fatal(err)
		}
		if len(runs) == 0 {
			t.Fatal("no sync run recorded")
		}
		for _, s := range runs {
			if s.ArchiverBuild == nil || *s.ArchiverBuild != want {
				t.Errorf("run %s: archiverBuild %+v, want %+v", s.Key(), s.ArchiverBuild, want)
			}
		}
	})

	t.Run("JSON export", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "export.json")
		if code, _, stderr := runCLI(t, "--archive", dir, "export", "--out", out); code != 0 {
			t.Fatalf("export: exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Manifest struct {
				ArchiverVersion string          `json:"archiverVersion"`
				ArchiverBuild   *buildinfo.Info `json:"archiverBuild"`
			} `json:"manifest"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		if m := doc.Manifest; m.ArchiverVersion != want.Version || m.ArchiverBuild == nil || *m.ArchiverBuild != want {
			t.Errorf("manifest archiverVersion %q archiverBuild %+v, want %q %+v", m.ArchiverVersion, m.ArchiverBuild, want.Version, want)
		}
		// The export with its new member still verifies.
		if code, _, stderr := runCLI(t, "verify", "--export", out); code != 0 {
			t.Errorf("verify --export: exit %d: %s", code, stderr)
		}
	})

	t.Run("S3 export", func(t *testing.T) {
		url := archivetest.Moto(t)
		s3Env(t, url)
		c := archivetest.S3Client(url)
		archivetest.LockedBucket(t, c, "prov")
		if code, _, stderr := runCLI(t, "--archive", dir, "export", "--out", "s3://prov/p"); code != 0 {
			t.Fatalf("export: exit %d: %s", code, stderr)
		}
		ms := manifests(t, c, "prov", "p")
		if len(ms) != 1 {
			t.Fatalf("%d manifests, want 1", len(ms))
		}
		if m := ms[0]; m.ArchiverVersion != want.Version || m.ArchiverBuild == nil || *m.ArchiverBuild != want {
			t.Errorf("manifest archiverVersion %q archiverBuild %+v, want %q %+v", m.ArchiverVersion, m.ArchiverBuild, want.Version, want)
		}
	})
}
