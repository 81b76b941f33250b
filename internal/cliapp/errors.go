package cliapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/synclock"
)

// Exit statuses, listed in every command's help.
const (
	ExitOK          = 0
	ExitRuntime     = 1
	ExitUsage       = 2
	ExitInterrupted = 130
	ExitBrokenPipe  = 141
)

// UsageError marks a mistake in how the command was called.
type UsageError struct {
	Err error
	// Command is the command whose help the message points to; empty
	// for archiver's own.
	Command string
}

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usagef is a UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return UsageError{Err: fmt.Errorf(format, args...)}
}

// IsUsage reports whether err is a usage error.
func IsUsage(err error) bool {
	var ue UsageError
	return errors.As(err, &ue)
}

// ExitRule maps the errors of some commands to their exit status and a
// hint: ok is false for an error the rule does not know. Each executable
// passes the rules of its own commands (sync's AWS errors, check's policy
// breach) to ExitCode.
type ExitRule func(err error) (code int, hint string, ok bool)

// ExitCode maps an error to the process exit status and prints it, with a
// hint where one helps, as one line on stderr. rule, when not nil, is asked
// first.
func ExitCode(err error, stderr io.Writer, rule ExitRule) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, syscall.EPIPE) {
		// The reader went away: it has what it wanted, and says nothing
		// more need be said. 141 is what a shell reports for SIGPIPE.
		return ExitBrokenPipe
	}
	code := ExitRuntime
	hint := ""
	var (
		ue      UsageError
		busy    *archive.BusyError
		damaged *archive.DamagedError
		ruled   bool
	)
	if rule != nil {
		code, hint, ruled = rule(err)
		if !ruled {
			code, hint = ExitRuntime, ""
		}
	}
	switch {
	case ruled:
	case errors.As(err, &ue):
		code = ExitUsage
		if ue.Command != "" {
			hint = fmt.Sprintf("see 'archiver %s --help'", ue.Command)
		} else {
			hint = "see 'archiver --help'"
		}
	case errors.Is(err, archive.ErrNoArchive), errors.Is(err, archive.ErrNotArchive):
		// --archive (or ARCHIVER_ARCHIVE) names no archive: bad input.
		code = ExitUsage
		hint = "check --archive or ARCHIVER_ARCHIVE"
	case errors.As(err, &damaged):
		// Whatever the command was doing, the answer is the same: one line
		// saying what is broken and how to get a whole archive back.
		err = fmt.Errorf("%s; restore it from a backup (archiver backup) and run archiver verify", damaged.Error())
	case errors.Is(err, context.Canceled):
		code = ExitInterrupted
		msg := "interrupted"
		var in interruption
		if errors.As(err, &in) {
			msg += "; " + in.left
		}
		err = errors.New(msg)
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
	}
	msg := OneLine(err.Error())
	if hint != "" {
		msg += " (" + hint + ")"
	}
	fmt.Fprintf(stderr, "archiver: %s\n", msg)
	return code
}

// Interrupted wraps err, the error of a command stopped by an interrupt,
// with what the interrupt left behind, which ExitCode prints after
// "interrupted" (for a sync: what it committed, and that the next one
// resumes).
func Interrupted(err error, left string) error {
	return interruption{err: err, left: left}
}

type interruption struct {
	err  error
	left string
}

func (e interruption) Error() string { return e.err.Error() + " (" + e.left + ")" }
func (e interruption) Unwrap() error { return e.err }

// OneLine folds a multi-line message so that every error is one line.
func OneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ; ")), " ")
}
