package main

import (
	"errors"
	"syscall"

	"github.com/archiver-dev/archiver/internal/cliapp"
	"github.com/archiver-dev/archiver/query/report"
	archsync "github.com/archiver-dev/archiver/sync"
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

// exitRule gives the exit status and hint of the errors only the commands
// of this executable meet: a policy breach of 'archiver check' and the AWS
// side of a sync. The rest are cliapp.ExitCode's.
func exitRule(err error) (code int, hint string, ok bool) {
	var (
		denied   *archsync.AccessDeniedError
		uninit   *archsync.UninitializedError
		diskFull *archsync.DiskFullError
		creds    *archsync.CredentialsError
		policy   *report.PolicyError
	)
	switch {
	case errors.As(err, &policy):
		// Not a failure of archiver: the answer 'archiver check' was
		// asked for, each breach already printed.
		return exitPolicy, "", true
	case errors.As(err, &denied):
		return cliapp.ExitRuntime, `add it to the role's policy; see README "IAM permissions"`, true
	case errors.As(err, &uninit):
		return cliapp.ExitRuntime, "initialize it in the console, or leave the region out of --region", true
	case errors.As(err, &diskFull) && diskFull.Errno == syscall.EFBIG:
		return cliapp.ExitRuntime, "raise the file size limit (ulimit -f) and run sync again", true
	case errors.As(err, &diskFull):
		return cliapp.ExitRuntime, "free space and run sync again", true
	case errors.As(err, &creds):
		return cliapp.ExitRuntime, archsync.CredentialsHint, true
	}
	return 0, "", false
}
