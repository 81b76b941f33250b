package archive

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/archiver-dev/archiver/migrations"
)

// ExportMarkPrefix starts the meta-bucket key of every export mark. The full
// key is "export/DESTINATION", DESTINATION being the URL the export went to
// (s3://bucket/prefix). Like sync runs, marks describe what was done with
// the archive, not AWS: they never enter the change log, the index or an
// export.
const ExportMarkPrefix = "export/"

// ExportMark is what the last export to one destination reached, so that the
// next export with --since-last sends only what changed after it.
type ExportMark struct {
	// Destination is the URL the export went to.
	Destination string `json:"destination"`
	// Position is the change-log position (Reader.Position) the export read
	// the archive at.
	Position uint64 `json:"position"`
	// ExportID names the export (it is part of its object names).
	ExportID string `json:"exportID"`
	// At is when the export was written.
	At time.Time `json:"at"`
	// Records is the number of records it wrote.
	Records int `json:"records"`
	// Manifest is the key of its manifest object.
	Manifest string `json:"manifest"`
}

// ExportMark returns the mark of the last export to dest, and whether there
// is one.
func (r *Reader) ExportMark(dest string) (ExportMark, bool, error) {
	meta, err := r.bucket(migrations.MetaBucket)
	if err != nil {
		return ExportMark{}, false, err
	}
	v := meta.Get([]byte(ExportMarkPrefix + dest))
	if v == nil {
		return ExportMark{}, false, nil
	}
	var m ExportMark
	if err := json.Unmarshal(v, &m); err != nil {
		return ExportMark{}, false, fmt.Errorf("export mark of %s: %w", dest, err)
	}
	return m, true, nil
}

// PutExportMark records m as the last export to m.Destination.
func (w *Writer) PutExportMark(m ExportMark) error {
	meta, err := w.bucket(migrations.MetaBucket)
	if err != nil {
		return err
	}
	v, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("export mark of %s: %w", m.Destination, err)
	}
	if err := meta.Put([]byte(ExportMarkPrefix+m.Destination), v); err != nil {
		return fmt.Errorf("export mark of %s: %w", m.Destination, err)
	}
	return nil
}
