// Package filelock takes exclusive, non-blocking locks on open files, the
// same way on every operating system archiver builds for: flock(2) on unix,
// LockFileEx on Windows.
//
// A lock belongs to the open file (not to the process or the path): a second
// os.OpenFile of the same path, in this process or another, cannot take it
// while the first holds it. Closing the file, or the end of the process,
// releases it, so a killed holder never leaves a lock behind.
//
// The locked region never covers the file's first bytes, so that others can
// read what the holder writes there (Windows locks are mandatory: a locked
// byte cannot be read through another handle).
//
// filelock never waits and never retries: callers that wait poll TryLock.
package filelock
