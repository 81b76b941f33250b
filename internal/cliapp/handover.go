package cliapp

import (
	"fmt"
	"os"

	"github.com/archiver-dev/archiver/internal/buildinfo"
)

// HandOverEnv is set in the environment of archiver-full when archiver
// hands it a command line, to archiver's build (buildinfo.Info.String).
// archiver refuses to hand over with it set, so that a misplaced copy of
// itself named archiver-full fails at once instead of handing the command
// line on forever.
const HandOverEnv = "ARCHIVER_HANDED_OVER"

// TakeHandOver is the first thing archiver-full does. When archiver handed
// it the command line, it checks that both executables come from the same
// build, whose answers a test keeps the same, and removes the variable, so
// that nothing archiver-full starts inherits it.
func TakeHandOver(build buildinfo.Info) error {
	from, ok := os.LookupEnv(HandOverEnv)
	if !ok {
		return nil
	}
	os.Unsetenv(HandOverEnv)
	if to := build.String(); from != to {
		return fmt.Errorf("archiver (%s) and archiver-full (%s) come from different builds; install both from the same one", from, to)
	}
	return nil
}
