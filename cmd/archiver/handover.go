package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/archiver-dev/archiver/internal/buildinfo"
	"github.com/archiver-dev/archiver/internal/cliapp"
)

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

// handOver runs archiver-full on args (args[0] stays as given) and
// returns its exit status, or prints why it cannot. build is this
// executable's, which archiver-full checks is its own.
func handOver(args []string, build buildinfo.Info, stderr io.Writer) int {
	if _, set := os.LookupEnv(cliapp.HandOverEnv); set {
		fmt.Fprintf(stderr, "archiver: %s handed the command back: the file is not archiver-full; install both executables again\n", fullName())
		return cliapp.ExitRuntime
	}
	path, err := fullPath()
	if err == nil {
		os.Setenv(cliapp.HandOverEnv, build.String())
		err = runFull(path, args)
	}
	var st exitStatus
	if errors.As(err, &st) {
		return int(st)
	}
	fmt.Fprintf(stderr, "archiver: %s\n", cliapp.OneLine(err.Error()))
	return cliapp.ExitRuntime
}

// exitStatus is the exit status of archiver-full, when runFull waited for it.
type exitStatus int

func (s exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }
