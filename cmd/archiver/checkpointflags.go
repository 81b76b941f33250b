package main

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/archiver-dev/archiver/archive"
)

// checkpointFlags are the flags of every command that writes the archive:
// the key its checkpoints are signed with and the witness directory that
// keeps a copy of each. signKey is false for a command that has its own
// --sign-key already (prune signs its export and its checkpoint alike).
func checkpointFlags(signKey bool) []cli.Flag {
	flags := []cli.Flag{
		&cli.StringFlag{Name: "checkpoint-dir", EnvVars: []string{"ARCHIVER_CHECKPOINT_DIR"}, Usage: "copy each checkpoint of the archive's transparency log into `DIR`, a place the archive's writer cannot rewrite; 'archiver verify --against DIR' proves the archive extends them"},
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
	return archive.CheckpointOptions{SignKey: key, WitnessDir: c.String("checkpoint-dir")}, nil
}
