package query

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/archiver-dev/archiver/archive"
)

// PruneOptions control a prune.
type PruneOptions struct {
	// Before is the bound: DRS jobs created before it, and observations
	// first captured before it, are removed (see archive.Reader.PlanPrune
	// for what stays).
	Before time.Time
	// Confirm removes the records; without it Prune only plans.
	Confirm bool
	// Export receives an export of exactly the records removed, written
	// before anything is removed; nil removes them with no export.
	Export io.Writer
	// Exported is called once the export is written, before anything is
	// removed, to make it durable (sync and rename a file); an error stops
	// the prune.
	Exported func(Manifest) error
	// ExportOptions are those of the export (version, signing key...);
	// Only and Filters are set by Prune.
	ExportOptions ExportOptions
	// Now is the time of the prune; zero means time.Now.
	Now time.Time
}

// PruneResult says what a prune removed, or would remove.
type PruneResult struct {
	// Records and Counts are what the prune removes.
	Records int
	Counts  map[archive.Kind]int
	// Removed is false for a plan only.
	Removed bool
	// Export is the manifest of the export of the removed records, if any.
	Export *Manifest
}

// pruneNote is what the archive keeps of a prune, as an event of its hash
// chain.
type pruneNote struct {
	Event   string               `json:"event"`
	At      time.Time            `json:"at"`
	Before  time.Time            `json:"before"`
	Records int                  `json:"records"`
	Counts  map[archive.Kind]int `json:"counts"`
	// Export names the export of the records removed: the hash of its
	// records and the chain head it was taken at; null when there was none.
	Export *pruneExport `json:"export"`
}

type pruneExport struct {
	RecordsSHA256 string    `json:"recordsSHA256"`
	Chain         ChainHead `json:"chain"`
	GeneratedAt   time.Time `json:"generatedAt"`
}

// Prune removes the records older than o.Before from the archive in st, for
// a retention policy, after exporting them to o.Export. The archive must not
// change meanwhile (hold the sync lock): the records removed are planned
// again in the removing transaction and must be those exported. The prune
// itself is recorded as an event of the hash chain.
func Prune(ctx context.Context, st *archive.Store, o PruneOptions) (PruneResult, error) {
	var res PruneResult
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	var plan archive.PrunePlan
	err := st.View(func(r *archive.Reader) error {
		var err error
		plan, err = r.PlanPrune(o.Before)
		return err
	})
	if err != nil {
		return res, fmt.Errorf("prune: %w", err)
	}
	res.Records, res.Counts = plan.Records(), plan.Counts
	if !o.Confirm || plan.Records() == 0 {
		return res, nil
	}
	var note pruneNote
	if o.Export != nil {
		eo := o.ExportOptions
		eo.Only = plan.Keys
		eo.Filters = map[string]any{"prunedBefore": o.Before.UTC().Format(time.RFC3339Nano)}
		var m Manifest
		err := st.View(func(r *archive.Reader) error {
			var err error
			m, err = Export(ctx, r, o.Export, eo)
			return err
		})
		if err != nil {
			return res, fmt.Errorf("prune: %w", err)
		}
		if m.Records != plan.Records() {
			return res, fmt.Errorf("prune: the export holds %d records, the prune would remove %d; nothing was removed", m.Records, plan.Records())
		}
		if o.Exported != nil {
			if err := o.Exported(m); err != nil {
				return res, fmt.Errorf("prune: %w; nothing was removed", err)
			}
		}
		res.Export = &m
		note.Export = &pruneExport{RecordsSHA256: m.RecordsSHA256, Chain: m.Chain, GeneratedAt: m.GeneratedAt}
	}
	note.Event, note.At, note.Before = "prune", o.Now.UTC(), o.Before.UTC()
	note.Records, note.Counts = plan.Records(), plan.Counts
	b, err := json.Marshal(note)
	if err != nil {
		return res, err
	}
	err = st.Update(func(w *archive.Writer) error {
		again, err := w.PlanPrune(o.Before)
		if err != nil {
			return err
		}
		if !sameKeys(again.Keys, plan.Keys) {
			return fmt.Errorf("the archive changed since the prune was planned (a sync or import ran?); nothing was removed")
		}
		return w.Prune(again, b)
	})
	if err != nil {
		return res, fmt.Errorf("prune: %w", err)
	}
	res.Removed = true
	return res, nil
}

func sameKeys(a, b map[archive.Key]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
