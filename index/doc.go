// Package index will hold the bleve full-text index kept beside the archive:
// log item events and raw errors, source-server replication errors and other
// human-readable messages, with IDs and enums as keywords.
//
// The index is derived data. It never reads the network; it is built, and can
// always be rebuilt, from the archive alone. Nothing in this package is used
// yet: the archive and its exports are complete without it.
package index
