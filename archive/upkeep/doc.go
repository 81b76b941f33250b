// Package upkeep holds the runs of the archive's upkeep commands, backup
// and migrate: each does its work through package archive and says what it
// did in a line or a table for people. It stands apart from archive so that
// what formats those lines (go-humanize) is not linked into, nor
// initialised by, every program that reads an archive: archiver, which
// answers most queries, starts in a few milliseconds.
package upkeep
