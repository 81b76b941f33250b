package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// PruneOptions control a prune.
type PruneOptions struct {
	// Before is the bound: DRS jobs created before it, and observations
	// first captured before it, are removed (see Reader.PlanPrune for what
	// stays).
	Before time.Time
	// Confirm removes the records; without it Prune only plans.
	Confirm bool
	// Export, when not nil, writes an export of exactly the records with
	// the keys only, read through r, before anything is removed; filters is
	// what the export's manifest should record as its filters. It returns
	// what the prune's chain event keeps of the export. nil removes the
	// records with no export.
	Export func(ctx context.Context, r *Reader, only map[Key]bool, filters map[string]any) (PrunedExport, error)
	// Exported is called once the export is written and holds the records
	// planned, before anything is removed, to make it durable (sync and
	// rename a file); an error stops the prune.
	Exported func() error
	// Now is the time of the prune; zero means time.Now.
	Now time.Time
}

// PruneResult says what a prune removed, or would remove.
type PruneResult struct {
	// Records and Counts are what the prune removes.
	Records int
	Counts  map[Kind]int
	// Removed is false for a plan only.
	Removed bool
	// Export describes the export of the removed records, if any.
	Export *PrunedExport
}

// PrunedExport is what a prune's chain event keeps of the export of the
// records it removed: the hash of its records and the chain head it was
// taken at. Records is the number of records the export holds, which must
// be the number the prune removes.
type PrunedExport struct {
	Records       int         `json:"-"`
	RecordsSHA256 string      `json:"recordsSHA256"`
	Chain         PrunedChain `json:"chain"`
	GeneratedAt   time.Time   `json:"generatedAt"`
}

// PrunedChain is the head of the hash chain an export was taken at, as an
// export's manifest states it.
type PrunedChain struct {
	Links uint64 `json:"links"`
	Head  string `json:"head"`
}

// pruneNote is what the archive keeps of a prune, as an event of its hash
// chain.
type pruneNote struct {
	Event   string       `json:"event"`
	At      time.Time    `json:"at"`
	Before  time.Time    `json:"before"`
	Records int          `json:"records"`
	Counts  map[Kind]int `json:"counts"`
	// Export names the export of the records removed: the hash of its
	// records and the chain head it was taken at; null when there was none.
	Export *PrunedExport `json:"export"`
}

// Prune removes the records older than o.Before from the archive in st, for
// a retention policy, after exporting them with o.Export. The archive must
// not change meanwhile (hold the sync lock): the records removed are
// planned again in the removing transaction and must be those exported. The
// prune itself is recorded as an event of the hash chain.
func Prune(ctx context.Context, st *Store, o PruneOptions) (PruneResult, error) {
	var res PruneResult
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	var plan PrunePlan
	err := st.View(func(r *Reader) error {
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
		filters := map[string]any{"prunedBefore": o.Before.UTC().Format(time.RFC3339Nano)}
		var m PrunedExport
		err := st.View(func(r *Reader) error {
			var err error
			m, err = o.Export(ctx, r, plan.Keys, filters)
			return err
		})
		if err != nil {
			return res, fmt.Errorf("prune: %w", err)
		}
		if m.Records != plan.Records() {
			return res, fmt.Errorf("prune: the export holds %d records, the prune would remove %d; nothing was removed", m.Records, plan.Records())
		}
		if o.Exported != nil {
			if err := o.Exported(); err != nil {
				return res, fmt.Errorf("prune: %w; nothing was removed", err)
			}
		}
		res.Export = &m
		note.Export = &m
	}
	note.Event, note.At, note.Before = "prune", o.Now.UTC(), o.Before.UTC()
	note.Records, note.Counts = plan.Records(), plan.Counts
	b, err := json.Marshal(note)
	if err != nil {
		return res, err
	}
	err = st.Update(func(w *Writer) error {
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

func sameKeys(a, b map[Key]bool) bool {
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
