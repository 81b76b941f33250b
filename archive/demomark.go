package archive

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/archiver-dev/archiver/migrations"
)

// DemoMarkKey is the meta-bucket key of the demo mark. Like sync runs, the
// mark describes the archive, not AWS: it never enters the change log, the
// index or an export.
const DemoMarkKey = "demo"

// DemoMark says that 'archiver demo' created the archive, whose records are
// then synthetic: the demo writes only into an archive that carries it (or
// into a new one, which it marks first).
type DemoMark struct {
	// Created is when the demo first wrote into the archive.
	Created time.Time `json:"created"`
	// Account is the emulated AWS account of the demo's records.
	Account string `json:"account"`
}

// DemoMark returns the archive's demo mark, and whether it has one.
func (r *Reader) DemoMark() (DemoMark, bool, error) {
	meta, err := r.bucket(migrations.MetaBucket)
	if err != nil {
		return DemoMark{}, false, err
	}
	v := meta.Get([]byte(DemoMarkKey))
	if v == nil {
		return DemoMark{}, false, nil
	}
	var m DemoMark
	if err := json.Unmarshal(v, &m); err != nil {
		return DemoMark{}, false, fmt.Errorf("demo mark: %w", err)
	}
	return m, true, nil
}

// PutDemoMark marks the archive as the demo's.
func (w *Writer) PutDemoMark(m DemoMark) error {
	meta, err := w.bucket(migrations.MetaBucket)
	if err != nil {
		return err
	}
	v, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("demo mark: %w", err)
	}
	if err := meta.Put([]byte(DemoMarkKey), v); err != nil {
		return fmt.Errorf("demo mark: %w", err)
	}
	return nil
}
