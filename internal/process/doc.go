// Package process tells whether a process, named by its id, still exists,
// the same way on every operating system archiver builds for. Lock files and
// leftover temporary files carry the id of the process that wrote them; a
// process that is gone will never remove them.
//
// process only asks: it never signals, waits for or ends a process.
package process
