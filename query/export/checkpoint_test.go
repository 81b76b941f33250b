package export_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/checkpoint"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/query/export"
)

// TestExportCarriesCheckpoint: an export carries the checkpoint of the
// archive's log at its moment, signed with the export's key when it is
// signed; verify reads it back.
func TestExportCarriesCheckpoint(t *testing.T) {
	dir := archivetest.Dir(t)
	archivetest.Fixture(t, dir)
	st, err := archive.Open(context.Background(), dir, archive.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	pub := key.Public().(ed25519.PublicKey)
	for _, signed := range []bool{false, true} {
		var buf bytes.Buffer
		var want checkpoint.Checkpoint
		err := st.View(func(r *archive.Reader) error {
			var err error
			if want, err = r.CheckpointOf(); err != nil {
				return err
			}
			o := export.Options{Version: "test", Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), TempDir: t.TempDir()}
			if signed {
				o.SignKey = key
			}
			_, err = export.Write(context.Background(), r, &buf, o)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if want.Size < 2 || want.Origin != archivetest.FixtureLogID {
			t.Fatalf("the fixture's log: %+v", want)
		}
		var verifyKey ed25519.PublicKey
		if signed {
			verifyKey = pub
		}
		rep, problems := export.Verify(buf.Bytes(), verifyKey)
		if len(problems) > 0 {
			t.Fatalf("signed %v: %v", signed, problems)
		}
		if !rep.HasCheckpoint || rep.Checkpoint.Origin != want.Origin || rep.Checkpoint.Size != want.Size || rep.Checkpoint.Hash != want.Hash {
			t.Errorf("signed %v: the export carries %+v (%v), the archive's log is %+v", signed, rep.Checkpoint, rep.HasCheckpoint, want)
		}
		if _, err := checkpoint.Open([]byte(rep.Manifest.Checkpoint), pub, checkpoint.KeyName(pub)); (err == nil) != signed {
			t.Errorf("signed %v: the checkpoint's signature by the export's key: %v", signed, err)
		}
	}
}
