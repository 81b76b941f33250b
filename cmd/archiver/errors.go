package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/synclock"
	"github.com/archiver-dev/archiver/query/report"
	archsync "github.com/archiver-dev/archiver/sync"
)

// Exit statuses, listed in every command's help.
const (
	exitOK          = 0
	exitRuntime     = 1
	exitUsage       = 2
	exitInterrupted = 130
	exitBrokenPipe  = 141
)

const exitStatusHelp = `EXIT STATUS:
   0    success
   1    runtime error (AWS, archive or file trouble; the message says which)
   2    usage error (bad flag, argument or value)
   3    'archiver check': a server breaks the policy (the output says which)
   130  interrupted; everything committed before the interrupt is kept
   141  the output was a pipe whose reader stopped early (as in
        'archiver export --out - | head'); nothing is printed, and scratch
        and temporary files are removed as on an interrupt`

// usageError marks a mistake in how the command was called.
type usageError struct {
	err     error
	command string
}

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{err: fmt.Errorf(format, args...)}
}

// exitCode maps an error to the process exit status and prints it, with a
// hint where one helps, as one line on stderr.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, syscall.EPIPE) {
		// The reader went away: it has what it wanted, and says nothing
		// more need be said. 141 is what a shell reports for SIGPIPE.
		return exitBrokenPipe
	}
	code := exitRuntime
	hint := ""
	var (
		ue       usageError
		busy     *archive.BusyError
		denied   *archsync.AccessDeniedError
		uninit   *archsync.UninitializedError
		diskFull *archsync.DiskFullError
		creds    *archsync.CredentialsError
		damaged  *archive.DamagedError
		policy   *report.PolicyError
	)
	switch {
	case errors.As(err, &policy):
		// Not a failure of archiver: the answer 'archiver check' was
		// asked for, each breach already printed.
		code = exitPolicy
	case errors.As(err, &ue):
		code = exitUsage
		if ue.command != "" {
			hint = fmt.Sprintf("see 'archiver %s --help'", ue.command)
		} else {
			hint = "see 'archiver --help'"
		}
	case errors.Is(err, archive.ErrNoArchive), errors.Is(err, archive.ErrNotArchive):
		// --archive (or ARCHIVER_ARCHIVE) names no archive: bad input.
		code = exitUsage
		hint = "check --archive or ARCHIVER_ARCHIVE"
	case errors.As(err, &damaged):
		// Whatever the command was doing, the answer is the same: one line
		// saying what is broken and how to get a whole archive back.
		err = fmt.Errorf("%s; restore it from a backup (archiver backup) and run archiver verify", damaged.Error())
	case errors.Is(err, context.Canceled):
		code = exitInterrupted
		err = errors.New("interrupted; pages committed so far are kept, and the next sync resumes")
	case errors.Is(err, synclock.ErrRunning):
		hint = "wait for it to finish, or check for a stuck process"
	case errors.As(err, &busy):
		// The lock wait timed out. Say who holds the archive, as one line
		// without the wrapping: a running sync by its lock file, or else
		// some other archiver process.
		b := *busy
		if h, ok := synclock.Running(b.Dir); ok && b.Holder == "" {
			b.Holder = h.String()
		}
		err = &b
	case errors.Is(err, archive.ErrLocked):
		hint = "raise --lock-timeout, or retry when the other command ends"
	case errors.Is(err, archive.ErrTooNew):
		hint = "upgrade archiver"
	case errors.As(err, &denied):
		hint = `add it to the role's policy; see README "IAM permissions"`
	case errors.As(err, &uninit):
		hint = "initialize it in the console, or leave the region out of --region"
	case errors.As(err, &diskFull) && diskFull.Errno == syscall.EFBIG:
		hint = "raise the file size limit (ulimit -f) and run sync again"
	case errors.As(err, &diskFull):
		hint = "free space and run sync again"
	case errors.As(err, &creds):
		hint = archsync.CredentialsHint
	}
	msg := oneLine(err.Error())
	if hint != "" {
		msg += " (" + hint + ")"
	}
	fmt.Fprintf(stderr, "archiver: %s\n", msg)
	return code
}

// oneLine folds a multi-line message so that every error is one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ; ")), " ")
}
