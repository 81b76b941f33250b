// Package outfile owns how archiver writes a file the user names: export
// --out, backup --out, prune --export, sync --metrics-file. One rule holds
// for all of them:
//
//   - a new path, or an existing regular file, is written atomically: into a
//     temporary file beside it (.NAME.tmp-PID-RANDOM), synced, renamed into
//     place, and the directory synced. An existing regular file is replaced
//     only with Options.Force.
//   - "-" is standard output, where the caller allows it.
//   - a FIFO or a character or block device is written to in place (opened
//     write-only, never created, truncated, replaced or removed).
//   - a symbolic link is followed: its target is written as above, with the
//     temporary file in the target's directory.
//
// Temporary files beside an output, and scratch files (archiver-scratch-
// PID-RANDOM, see Scratch), carry the writer's process id. A writer killed
// before it could remove them leaves them behind; the next writer removes
// those whose process is gone (see Clean).
//
// outfile never reads what it writes and knows nothing of archives.
package outfile
