package check

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/checkpoint"
)

// witness is one checkpoint kept outside the archive, and where it came
// from (for messages).
type witness struct {
	from string
	c    checkpoint.Checkpoint
}

// ErrNotExtended is wrapped by the error of an archive that is not an
// append-only extension of a checkpoint given to --against.
var ErrNotExtended = errors.New("the archive does not extend a checkpoint")

// readWitnesses reads the checkpoints named by sources: checkpoint files
// (a signed note or a bare body) and directories of them (see
// checkpoint.ReadFiles). With pub, every checkpoint must carry a valid
// signature by that key.
func readWitnesses(sources []string, fetched []checkpoint.File, pub ed25519.PublicKey) ([]witness, error) {
	var out []witness
	add := func(from string, data []byte) error {
		if text, ok := exportCheckpoint(data); ok {
			// An earlier export: the checkpoint its manifest carries.
			data = text
		}
		var c checkpoint.Checkpoint
		var err error
		if pub != nil {
			c, err = checkpoint.Open(data, pub, checkpoint.KeyName(pub))
		} else {
			c, _, err = checkpoint.ParseUnverified(data)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", from, err)
		}
		out = append(out, witness{from: from, c: c})
		return nil
	}
	for _, f := range fetched {
		if err := add(f.Path, f.Data); err != nil {
			return nil, err
		}
	}
	for _, src := range sources {
		info, err := os.Stat(src)
		if err != nil {
			return nil, err
		}
		if info.IsDir() {
			files, err := checkpoint.ReadFiles(src)
			if err != nil {
				return nil, err
			}
			if len(files) == 0 {
				return nil, fmt.Errorf("%s holds no checkpoint (*%s)", src, checkpoint.Ext)
			}
			for _, f := range files {
				if err := add(f.Path, f.Data); err != nil {
					return nil, err
				}
			}
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, err
		}
		if err := add(src, data); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(out, func(a, b witness) int {
		switch {
		case a.c.Size < b.c.Size:
			return -1
		case a.c.Size > b.c.Size:
			return 1
		}
		return 0
	})
	return out, nil
}

// checkAgainst proves, from the change log alone, that the archive is an
// append-only extension of every witness: the tree its change log
// recomputes to has, at each witness's size, the witness's root. It
// returns the error of the first (smallest) witness the archive does not
// extend, naming it, and the latest witness it extends otherwise.
func checkAgainst(ctx context.Context, r *archive.Reader, ws []witness) (witness, error) {
	id, err := r.LogID()
	if err != nil {
		return witness{}, err
	}
	sizes := make([]uint64, 0, len(ws))
	for _, w := range ws {
		if w.c.Origin != id {
			return witness{}, fmt.Errorf("%w: %s is a checkpoint of another log (%s; this archive's is %s)", ErrNotExtended, w.from, w.c.Origin, id)
		}
		if len(sizes) == 0 || sizes[len(sizes)-1] != w.c.Size {
			sizes = append(sizes, w.c.Size)
		}
	}
	roots := map[uint64][32]byte{}
	final, err := r.RecomputeLog(ctx, sizes, func(th archive.TreeHead) { roots[th.Size] = th.Hash })
	if err != nil {
		return witness{}, err
	}
	for _, w := range ws {
		if w.c.Size > final.Size {
			return witness{}, fmt.Errorf("%w: %s records %d entries, the archive has %d: it was rolled back to an older copy or cut short", ErrNotExtended, w.from, w.c.Size, final.Size)
		}
		if roots[w.c.Size] != w.c.Hash {
			return witness{}, fmt.Errorf("%w: %s (entry %d): an entry at or before it was changed, removed or inserted since", ErrNotExtended, w.from, w.c.Size)
		}
	}
	return ws[len(ws)-1], nil
}

// exportCheckpoint returns the checkpoint an export document's manifest
// carries, and whether data is such a document.
func exportCheckpoint(data []byte) ([]byte, bool) {
	if len(data) == 0 || data[0] != '{' {
		return nil, false
	}
	var doc struct {
		Manifest struct {
			Checkpoint string `json:"checkpoint"`
		} `json:"manifest"`
	}
	if json.Unmarshal(data, &doc) != nil || doc.Manifest.Checkpoint == "" {
		return nil, false
	}
	return []byte(doc.Manifest.Checkpoint), true
}
