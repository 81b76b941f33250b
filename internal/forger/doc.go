// Package forger holds the acceptance test of the archive's tamper
// evidence, and nothing else: its tests edit an archive file as an insider
// with the source code would, recomputing everything the file stores about
// itself (record values, the hash chain, its trailers and head, the
// transparency log's right edge, the derived indexes), so that verify finds
// the file consistent, and check that only a checkpoint kept outside the
// file catches the forgery. The forger lives in test files only: no
// program imports this package.
package forger
