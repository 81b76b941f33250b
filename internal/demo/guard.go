package demo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/emulator"
)

// ErrNotDemoArchive is returned when the archive directory given to the demo
// holds records the demo did not write: the demo's synthetic records would
// enter that archive's hash chain and its exports, so it refuses.
var ErrNotDemoArchive = errors.New("holds an archive the demo did not write")

// claim makes sure that dir holds no archive, an empty one, or one the demo
// wrote (its mark, and records of the emulated account only), and marks it
// as the demo's before the first sync writes into it.
func claim(ctx context.Context, dir string, now time.Time) error {
	if _, err := os.Stat(filepath.Join(dir, archive.FileName)); err == nil {
		if err := checkDemoArchive(ctx, dir); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("demo: %w", err)
	}
	st, err := archive.Open(ctx, dir, archive.Options{})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer st.Close()
	err = st.Update(func(w *archive.Writer) error {
		// Checked again under the write lock: a sync may have run since.
		if err := demoOnly(&w.Reader, dir); err != nil {
			return err
		}
		if _, ok, err := w.DemoMark(); err != nil || ok {
			return err
		}
		return w.PutDemoMark(archive.DemoMark{Created: now.UTC(), Account: emulator.DefaultAccount})
	})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}

// checkDemoArchive opens the existing archive in dir read-only, so that a
// refused archive is not even migrated, and checks it.
func checkDemoArchive(ctx context.Context, dir string) error {
	st, err := archive.Open(ctx, dir, archive.Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer st.Close()
	if err := st.View(func(r *archive.Reader) error { return demoOnly(r, dir) }); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}

// demoOnly returns nil if the archive r reads is empty, or carries the demo
// mark and holds records and sync runs of the emulated account only.
func demoOnly(r *archive.Reader, dir string) error {
	_, marked, err := r.DemoMark()
	if err != nil {
		return err
	}
	records, foreign := 0, 0
	for _, k := range kinds.Names() {
		err := r.Each(k, func(rec archive.Record) error {
			records++
			if rec.Account != emulator.DefaultAccount {
				foreign++
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	runs, err := r.SyncRuns()
	if err != nil {
		return err
	}
	for _, s := range runs {
		if s.Account != "" && s.Account != emulator.DefaultAccount {
			foreign++
		}
	}
	switch {
	case records == 0 && len(runs) == 0:
		return nil
	case !marked:
		return fmt.Errorf("%s %w (%d records): the demo never adds to a real archive; leave out --archive and ARCHIVER_ARCHIVE for a new temporary directory, or name a new directory", dir, ErrNotDemoArchive, records)
	case foreign > 0:
		return fmt.Errorf("%s %w: it is a demo archive, but %d of its records or sync runs are of an account other than the emulated %s; leave out --archive and ARCHIVER_ARCHIVE for a new temporary directory, or name a new directory", dir, ErrNotDemoArchive, foreign, emulator.DefaultAccount)
	}
	return nil
}
