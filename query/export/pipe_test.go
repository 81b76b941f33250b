package export

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/internal/archivetest"
	"github.com/archiver-dev/archiver/internal/emulator"
	archsync "github.com/archiver-dev/archiver/sync"
)

// TestPipeRecords: records handed over from a reading goroutine in batches
// come in the order, and are the records, that reading in line gives; and
// a cancelled export stops both goroutines with the context's error.
func TestPipeRecords(t *testing.T) {
	emu := archivetest.Emulator(t, emulator.Options{Seed: 73, Jobs: 30, LogItemsPerJob: 60})
	dir := archivetest.Dir(t)
	err := archsync.Run(t.Context(), archsync.Options{
		ArchiveDir: dir, Regions: []string{emu.Region()}, EndpointURL: emu.URL(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		NoIndex:     true,
	}, &archsync.Stats{})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	st := archivetest.Open(t, dir)
	all := func(archive.Record) bool { return true }
	err = st.View(func(r *archive.Reader) error {
		var inLine, piped []string
		err := readRecords(t.Context(), r, all, func(rec archive.Record) error {
			inLine = append(inLine, string(rec.Kind)+string(rec.Key[:])+string(rec.Data))
			return nil
		})
		if err != nil {
			return err
		}
		if len(inLine) < 3*pipeBatch {
			t.Fatalf("%d records, fewer than three batches: the test proves little", len(inLine))
		}
		err = pipeRecords(t.Context(), r, all, func(rec archive.Record) {
			piped = append(piped, string(rec.Kind)+string(rec.Key[:])+string(rec.Data))
		})
		if err != nil {
			return err
		}
		if !slices.Equal(piped, inLine) {
			t.Errorf("piped %d records, read in line %d, or in another order", len(piped), len(inLine))
		}

		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		n := 0
		err = pipeRecords(ctx, r, all, func(archive.Record) {
			n++
			cancel()
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled export: %v, want the context's error", err)
		}
		if n > pipeBatch {
			t.Errorf("cancelled export wrote %d records after the first batch", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
