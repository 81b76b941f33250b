package demo_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/demo"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

// syncAccount syncs an emulated history of account into the archive in dir,
// as a real sync would.
func syncAccount(t *testing.T, dir, account string) {
	t.Helper()
	emu := archivetest.Emulator(t, emulator.Options{Seed: 9, Account: account})
	var st archsync.Stats
	err := archsync.Run(context.Background(), archsync.Options{
		ArchiveDir: dir, Regions: []string{"us-east-1"}, EndpointURL: emu.URL(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		MaxBackoff:  100 * time.Millisecond,
	}, &st)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if len(emu.Jobs()) == 0 || st.Read(kinds.DRSJob) == 0 {
		t.Fatal("the emulated history has no jobs")
	}
}

func runDemo(dir string) (string, error) {
	var out bytes.Buffer
	err := demo.Run(context.Background(), demo.Options{ArchiveDir: dir, Seed: 2}, &out)
	return out.String(), err
}

// TestDemoArchiveGuard checks that the demo writes only into a new or empty
// directory, an empty archive, or an archive a previous demo wrote, and
// leaves any other archive exactly as it was.
func TestDemoArchiveGuard(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string)
		refused bool
	}{
		{"directory does not exist", func(t *testing.T, dir string) { os.RemoveAll(dir) }, false},
		{"empty directory", func(t *testing.T, dir string) {}, false},
		{"directory with other files", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600)
		}, false},
		{"empty archive", func(t *testing.T, dir string) { archivetest.Open(t, dir).Close() }, false},
		{"previous demo", func(t *testing.T, dir string) {
			if _, err := runDemo(dir); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"real archive of another account", func(t *testing.T, dir string) { syncAccount(t, dir, "111122223333") }, true},
		// The demo's own account, synced by 'archiver sync': real records
		// all the same, with no demo mark.
		{"real archive of the emulated account", func(t *testing.T, dir string) { syncAccount(t, dir, emulator.DefaultAccount) }, true},
		{"demo archive that a real sync added to", func(t *testing.T, dir string) {
			if _, err := runDemo(dir); err != nil {
				t.Fatal(err)
			}
			syncAccount(t, dir, "111122223333")
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "archive")
			os.MkdirAll(dir, 0o700)
			tt.prepare(t, dir)
			before := archivetest.ContentHash(t, dir)
			beforeFile, _ := os.ReadFile(filepath.Join(dir, archive.FileName))
			out, err := runDemo(dir)
			if tt.refused {
				if !errors.Is(err, demo.ErrNotDemoArchive) {
					t.Fatalf("demo into it: %v, want ErrNotDemoArchive\n%s", err, out)
				}
				if out != "" {
					t.Errorf("a refused demo printed %q", out)
				}
				if after, _ := os.ReadFile(filepath.Join(dir, archive.FileName)); !bytes.Equal(after, beforeFile) || archivetest.ContentHash(t, dir) != before {
					t.Error("a refused demo changed the archive file")
				}
				return
			}
			if err != nil {
				t.Fatalf("demo: %v\n%s", err, out)
			}
			st := archivetest.Open(t, dir)
			defer st.Close()
			if err := st.View(func(r *archive.Reader) error {
				m, ok, err := r.DemoMark()
				if err != nil || !ok || m.Account != emulator.DefaultAccount {
					t.Errorf("demo mark %+v %v %v, want one of account %s", m, ok, err, emulator.DefaultAccount)
				}
				n, err := r.Count(kinds.DRSJob)
				if err != nil || n == 0 {
					t.Errorf("%d jobs in the demo archive (%v)", n, err)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
