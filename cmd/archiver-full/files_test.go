package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// importableJobs writes saved 'aws drs describe-jobs' output of another
// account's history, so that an import adds records.
func importableJobs(t *testing.T) string {
	t.Helper()
	other := emulator.New(emulator.Options{Seed: 97, Account: "999988887777", Jobs: 5})
	b, err := json.Marshal(map[string]any{"items": other.Jobs()})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "jobs.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// everyCommand runs the commands that write files: sync (with metrics),
// import, reindex, export, backup and status, each of which must succeed.
// It returns the files written outside the archive directory and what
// every command printed.
func everyCommand(t *testing.T, dir, endpoint, out string) (files []string, printed string) {
	t.Helper()
	export, backup, metrics := filepath.Join(out, "export.json"), filepath.Join(out, "backup.db"), filepath.Join(out, "archiver.prom")
	for _, args := range [][]string{
		{"sync", "--endpoint-url", endpoint, "--metrics-file", metrics},
		{"import", importableJobs(t)},
		{"reindex"},
		{"export", "--out", export},
		{"backup", "--out", backup},
		{"status", "--output", "json"},
		{"status"},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"--archive", dir}, args...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", args[0], code, stderr)
		}
		printed += stdout + stderr
	}
	return []string{export, backup, metrics}, printed
}

// TestFileModes: with no umask to help, every file archiver creates is 0600
// and every directory 0700, the index's included; the metrics file alone is
// 0644, for node_exporter.
func TestFileModes(t *testing.T) {
	hermeticEnv(t)
	noUmask(t)
	emu := archivetest.Emulator(t, emulator.Options{Seed: 101})
	dir := archivetest.Dir(t)
	out := t.TempDir()
	files, _ := everyCommand(t, dir, emu.URL(), out)

	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
		seen[d.Name()] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// bleve's own files, which it creates 0666 less the umask, were there.
	for _, name := range []string{"archive.db", "sync.lock", "index.current", "index_meta.json", "root.bolt", "store"} {
		if !seen[name] {
			t.Errorf("no %s under the archive directory; the test proves less than it says", name)
		}
	}
	for _, f := range files {
		want := fs.FileMode(0o600)
		if filepath.Ext(f) == ".prom" {
			want = 0o644
		}
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v, want mode %v", f, fi, want)
		}
	}
	if leftovers, _ := filepath.Glob(filepath.Join(out, "*")); len(leftovers) != len(files) {
		t.Errorf("files written: %v, want only %v", leftovers, files)
	}
}

// TestCredentialsNeverWritten syncs with distinctive credentials, well and
// badly, including against an endpoint whose error quotes the access key,
// runs every command that writes, and then reads every byte of every file
// it left, and everything it printed, for them.
func TestCredentialsNeverWritten(t *testing.T) {
	hermeticEnv(t)
	secrets := map[string]string{
		"AWS_ACCESS_KEY_ID":     "AKIAQ7CANARY4XJ2WZPL",
		"AWS_SECRET_ACCESS_KEY": "cAnArY9sEcReT/k7Qw2Ze+Lm4Xp8Rt1Vb6Nd3Hy5Jf0G",
		"AWS_SESSION_TOKEN":     "IQoJb3JpZ2luX2VjEPrCANARYsessionTOKEN/x9Lq2Wr7Zt4Kp1Mv8Nc3Bd6Hf0Gj5==",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	emu := archivetest.Emulator(t, emulator.Options{Seed: 103})
	dir := archivetest.Dir(t)
	out := t.TempDir()
	files, printed := everyCommand(t, dir, emu.URL(), out)

	// A sync that fails on a bad answer, and one whose every call is
	// refused with a message quoting the access key, as a mistaken endpoint
	// or proxy may do.
	emu.SetFaults(emulator.Faults{Malformed: map[string]bool{emulator.OpDescribeJobs: true}})
	metrics := filepath.Join(out, "archiver.prom")
	code, stdout, stderr := runCLI(t, "--archive", dir, "sync", "--endpoint-url", emu.URL(), "--metrics-file", metrics)
	if code != 1 {
		t.Fatalf("sync against a malformed answer: exit %d: %s", code, stderr)
	}
	printed += stdout + stderr
	refuse := emulator.NewMux()
	if err := refuse.Start(); err != nil {
		t.Fatal(err)
	}
	defer refuse.Close()
	code, stdout, stderr = runCLI(t, "--archive", dir, "sync", "--endpoint-url", refuse.URL(), "--metrics-file", metrics, "--max-attempts", "1")
	if code != 1 || !strings.Contains(stderr, "[redacted]") {
		t.Fatalf("sync against an endpoint that quotes the key: exit %d: %s (want the key redacted from the message)", code, stderr)
	}
	printed += stdout + stderr
	code, stdout, stderr = runCLI(t, "--archive", dir, "status", "--output", "json")
	if code != 0 || !strings.Contains(stdout, "[redacted]") {
		t.Fatalf("status after the refused sync: exit %d: %s %s (want its redacted error)", code, stdout, stderr)
	}
	printed += stdout + stderr

	var scanned []string
	scan := func(path string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("read %s: %v", path, err)
			return
		}
		scanned = append(scanned, path)
		for name, v := range secrets {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("%s holds %s", path, name)
			}
		}
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			scan(p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		scan(f)
	}
	if len(scanned) < 8 {
		t.Errorf("scanned only %v", scanned)
	}
	for name, v := range secrets {
		if strings.Contains(printed, v) {
			t.Errorf("archiver printed %s", name)
		}
	}
}
