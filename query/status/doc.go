// Package status answers 'archiver status': what the archive holds, the
// last sync of each source, region and account, a sync running now, and how
// far the full-text index is behind (index.Lag computes that). It reads the
// archive and the index beside it; it never writes either, and never reads
// the network.
package status
