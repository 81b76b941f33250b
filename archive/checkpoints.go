package archive

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"

	bolt "go.etcd.io/bbolt"

	"github.com/archiver-dev/archiver/archive/checkpoint"
	"github.com/archiver-dev/archiver/migrations"
)

// metaCheckpoint keeps the latest checkpoint the archive wrote: the signed
// note, or the bare body when no key was configured.
const metaCheckpoint = "checkpoint"

// CheckpointOf returns the checkpoint of the log as r sees it: its origin
// (LogID), size and root hash.
func (r *Reader) CheckpointOf() (checkpoint.Checkpoint, error) {
	id, err := r.LogID()
	if err != nil {
		return checkpoint.Checkpoint{}, err
	}
	th, err := r.TreeHead()
	if err != nil {
		return checkpoint.Checkpoint{}, err
	}
	return checkpoint.Checkpoint{Origin: id, Size: th.Size, Hash: th.Hash}, nil
}

// LatestCheckpoint returns the text of the latest checkpoint the archive
// wrote (a signed note, or a bare body), and whether there is one.
func (r *Reader) LatestCheckpoint() ([]byte, bool, error) {
	meta, err := r.bucket(migrations.MetaBucket)
	if err != nil {
		return nil, false, err
	}
	v := meta.Get([]byte(metaCheckpoint))
	return append([]byte(nil), v...), v != nil, nil
}

// WriteCheckpoint makes the checkpoint of the log as it stands, signed with
// key (under checkpoint.KeyName of its public key) when key is not nil,
// keeps it as the archive's latest, and returns it with its text. Sync,
// import, prune and migrate call it once their writes are committed; what
// proves the history is a copy kept outside the file (a witness).
func (s *Store) WriteCheckpoint(key ed25519.PrivateKey) (checkpoint.Checkpoint, []byte, error) {
	var c checkpoint.Checkpoint
	var text []byte
	err := s.update(func(tx *bolt.Tx) error {
		w := &Writer{Reader: Reader{tx: tx}}
		var err error
		if c, err = w.CheckpointOf(); err != nil {
			return err
		}
		text = c.Marshal()
		if key != nil {
			pub := key.Public().(ed25519.PublicKey)
			if text, err = checkpoint.Sign(c, checkpoint.KeyName(pub), key); err != nil {
				return err
			}
		}
		meta, err := w.bucket(migrations.MetaBucket)
		if err != nil {
			return err
		}
		return meta.Put([]byte(metaCheckpoint), text)
	})
	if err != nil {
		return c, nil, fmt.Errorf("write checkpoint: %w", err)
	}
	return c, text, nil
}

// CheckpointOptions say how a writer checkpoints the archive when its
// writes are committed.
type CheckpointOptions struct {
	// SignKey, when set, signs each checkpoint.
	SignKey ed25519.PrivateKey
	// WitnessDir, when set, is a directory outside the archive (another
	// disk, a mount the archive's writer cannot rewrite) that receives a
	// copy of each checkpoint, one file each, never replaced.
	WitnessDir string
	// Witnesses receive a copy of each checkpoint too (an S3 prefix, say).
	Witnesses []Witness
}

// Witness keeps copies of checkpoints where the archive's writer cannot
// take them back.
type Witness interface {
	// Publish keeps c, whose text is text (a signed note, or the bare
	// body), and never replaces a checkpoint it keeps already.
	Publish(ctx context.Context, c checkpoint.Checkpoint, text []byte) error
	// String names the witness in messages.
	String() string
}

// PublishCheckpoint opens the archive in dir and publishes its checkpoint
// (see Store.PublishCheckpoint).
func PublishCheckpoint(ctx context.Context, dir string, open Options, o CheckpointOptions) ([]byte, error) {
	st, err := Open(ctx, dir, open)
	if err != nil {
		return nil, err
	}
	text, err := st.PublishCheckpoint(ctx, o)
	if cerr := st.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return text, err
}

// PublishCheckpoint writes the checkpoint of the archive as its writes
// stand (see WriteCheckpoint) and copies it to o.WitnessDir when set. It
// returns the checkpoint's text.
func (s *Store) PublishCheckpoint(ctx context.Context, o CheckpointOptions) ([]byte, error) {
	c, text, err := s.WriteCheckpoint(o.SignKey)
	if err != nil {
		return nil, err
	}
	if o.WitnessDir != "" {
		if err := os.MkdirAll(o.WitnessDir, 0o755); err != nil {
			return text, fmt.Errorf("checkpoint witness: %w", err)
		}
		var signed []byte
		if o.SignKey != nil {
			signed = text
		}
		if _, err := checkpoint.WriteFile(o.WitnessDir, c, signed); err != nil {
			return text, fmt.Errorf("checkpoint witness: %w", err)
		}
	}
	for _, w := range o.Witnesses {
		if err := w.Publish(ctx, c, text); err != nil {
			return text, fmt.Errorf("checkpoint witness %s: %w", w, err)
		}
	}
	return text, nil
}

// RunCheckpoint prints the latest checkpoint of the archive in dir on
// stdout, as it was written (a signed note, or a bare body). An archive
// that has written none yet gets the checkpoint of its log as it stands,
// unsigned, and a line on stderr saying so.
func RunCheckpoint(ctx context.Context, dir string, o Options, stdout, stderr io.Writer) error {
	o.ReadOnly = true
	st, err := Open(ctx, dir, o)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer st.Close()
	var text []byte
	err = st.View(func(r *Reader) error {
		latest, ok, err := r.LatestCheckpoint()
		if err != nil || ok {
			text = latest
			return err
		}
		c, err := r.CheckpointOf()
		if err != nil {
			return err
		}
		text = c.Marshal()
		fmt.Fprintln(stderr, "archiver checkpoint: no checkpoint written yet (the next sync, import, prune or migrate writes one); this is the log as it stands, unsigned")
		return nil
	})
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	_, err = stdout.Write(text)
	return err
}
