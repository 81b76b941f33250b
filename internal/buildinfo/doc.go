// Package buildinfo says which build of archiver is running: the module
// version (for 'go install ...@vX'), or a version set at link time, and the
// version-control revision, commit time and dirty flag that 'go build'
// stamps into a binary built from a git checkout.
//
// It is the one place that reads runtime/debug.ReadBuildInfo. The CLI prints
// it ('archiver version'), and exports and sync-run records carry it, so
// that a file can be traced to the source it was built from. It never reads
// the network or the archive.
package buildinfo
