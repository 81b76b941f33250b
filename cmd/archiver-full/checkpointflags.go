package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/query/export/s3dest"
)

// checkpointFlags are the flags of every command that writes the archive:
// the key its checkpoints are signed with and the witness directory that
// keeps a copy of each. signKey is false for a command that has its own
// --sign-key already (prune signs its export and its checkpoint alike).
func checkpointFlags(signKey bool) []cli.Flag {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "checkpoint-dir", EnvVars: []string{"ARCHIVER_CHECKPOINT_DIR"}, Usage: "copy each checkpoint of the archive's transparency log into `DIR`, a place the archive's writer cannot rewrite; 'archiver verify --against DIR' proves the archive extends them"},
		&cli.StringFlag{Name: "checkpoint-to", EnvVars: []string{"ARCHIVER_CHECKPOINT_TO"}, Usage: "copy each checkpoint to `s3://BUCKET/PREFIX` too, one object each, never replaced (AWS configuration as for export; AWS_ENDPOINT_URL_S3 for another endpoint)"},
		&cli.StringFlag{Name: "checkpoint-lock-mode", Usage: "with --checkpoint-to: lock each checkpoint object (Object Lock), GOVERNANCE or COMPLIANCE (needs --checkpoint-retain-days)"},
		&cli.IntFlag{Name: "checkpoint-retain-days", Usage: "with --checkpoint-lock-mode: days each checkpoint object is locked for"},
	}
	if signKey {
		flags = append(flags, &cli.StringFlag{Name: "sign-key", EnvVars: []string{"ARCHIVER_SIGN_KEY_FILE"}, Usage: "sign each checkpoint with the ed25519 private key in `FILE` (PEM; or the PEM itself in ARCHIVER_SIGN_KEY)"})
	}
	return flags
}

// checkpointOptions reads the checkpoint flags: a key that cannot be read
// is a usage error.
func checkpointOptions(c *cli.Context) (archive.CheckpointOptions, error) {
	key, err := signKey(c.String("sign-key"), os.Getenv("ARCHIVER_SIGN_KEY"))
	if err != nil {
		return archive.CheckpointOptions{}, err
	}
	o := archive.CheckpointOptions{SignKey: key, WitnessDir: c.String("checkpoint-dir")}
	if d := o.WitnessDir; d != "" {
		// Checked before any work: a sync must not fail at its end.
		if info, err := os.Stat(d); err == nil && !info.IsDir() {
			return o, fmt.Errorf("--checkpoint-dir %s: not a directory", d)
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return o, fmt.Errorf("--checkpoint-dir %w", err)
		}
	}
	mode, err := s3dest.ParseLockMode(c.String("checkpoint-lock-mode"))
	if err != nil {
		return o, fmt.Errorf("--checkpoint-lock-mode %w", err)
	}
	days := c.Int("checkpoint-retain-days")
	switch {
	case (mode != "") != (days > 0):
		return o, fmt.Errorf("--checkpoint-lock-mode and --checkpoint-retain-days go together")
	case days < 0:
		return o, fmt.Errorf("--checkpoint-retain-days %d: want a positive number", days)
	case mode != "" && c.String("checkpoint-to") == "":
		return o, fmt.Errorf("--checkpoint-lock-mode locks the objects of --checkpoint-to s3://BUCKET/PREFIX: give that too")
	}
	if to := c.String("checkpoint-to"); to != "" {
		bucket, prefix, err := s3dest.ParseURL(to)
		if err != nil {
			return o, fmt.Errorf("--checkpoint-to %w", err)
		}
		client, err := s3dest.NewClient(c.Context, s3dest.ClientOptions{Debug: debugOutput(c)})
		if err != nil {
			return o, fmt.Errorf("--checkpoint-to %s: %w", to, err)
		}
		so := s3dest.StoreOptions{LockMode: mode}
		if days > 0 {
			so.RetainUntil = time.Now().AddDate(0, 0, days)
		}
		o.Witnesses = append(o.Witnesses, s3dest.NewWitness(client, bucket, prefix, so))
	}
	return o, nil
}
