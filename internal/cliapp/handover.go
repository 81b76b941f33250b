package cliapp

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

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

// fullName is the file name of the executable that has every command.
func fullName() string {
	if runtime.GOOS == "windows" {
		return "archiver-full.exe"
	}
	return "archiver-full"
}

// fullPath finds archiver-full beside this executable, or beside the file
// a symbolic link to it names.
func fullPath() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot find archiver-full: %w", err)
	}
	dirs := []string{filepath.Dir(exe)}
	if real, err := filepath.EvalSymlinks(exe); err == nil && filepath.Dir(real) != dirs[0] {
		dirs = append(dirs, filepath.Dir(real))
	}
	for _, d := range dirs {
		p := filepath.Join(d, fullName())
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("cannot run %s: %w", p, errors.Unwrap(err))
		}
	}
	return "", fmt.Errorf("this command needs %s, which is not installed beside archiver in %s (install both: go install github.com/archiver-dev/archiver/cmd/...@VERSION)", fullName(), dirs[0])
}

// HandOver runs archiver-full on args (args[0] stays as given) and
// returns its exit status, or prints why it cannot. build is archiver's,
// which archiver-full checks is its own (TakeHandOver).
func HandOver(args []string, build buildinfo.Info, stderr io.Writer) int {
	if _, set := os.LookupEnv(HandOverEnv); set {
		fmt.Fprintf(stderr, "archiver: %s handed the command back: the file is not archiver-full; install both executables again\n", fullName())
		return ExitRuntime
	}
	path, err := fullPath()
	if err == nil {
		os.Setenv(HandOverEnv, build.String())
		err = runFull(path, args)
	}
	var st exitStatus
	if errors.As(err, &st) {
		return int(st)
	}
	fmt.Fprintf(stderr, "archiver: %s\n", OneLine(err.Error()))
	return ExitRuntime
}

// exitStatus is the exit status of archiver-full, when runFull waited for it.
type exitStatus int

func (s exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }
