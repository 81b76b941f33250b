package export

import (
	"encoding/json"
	"fmt"
	"io"
)

// SummaryVersion is the version of Summary's JSON form; it changes only
// when a member changes meaning or goes.
const SummaryVersion = 1

// Summary is what an export wrote: the form of 'archiver export --output
// json', printed on stdout in place of the line on stderr.
type Summary struct {
	Version int `json:"version"`
	// Destination is the file, directory or s3:// prefix written.
	Destination string `json:"destination"`
	// Records is how many records went out; RecordsSHA256 their digest
	// (a file export's).
	Records       int    `json:"records"`
	RecordsSHA256 string `json:"recordsSHA256,omitempty"`
	// ChainHead and ChainLinks are the archive's hash chain at the export.
	ChainHead  string `json:"chainHead"`
	ChainLinks uint64 `json:"chainLinks"`
	// SignedBy is the ID of the key that signed it, if one did.
	SignedBy string `json:"signedBy,omitempty"`
	// Parts and Manifest are a partitioned export's: its objects and the
	// manifest's key; SinceExport the export it continues (--since-last).
	Parts       int    `json:"parts,omitempty"`
	Manifest    string `json:"manifest,omitempty"`
	SinceExport string `json:"sinceExport,omitempty"`
	// WroteNothing is set when --since-last found nothing to send.
	WroteNothing bool `json:"wroteNothing,omitempty"`
}

// WriteSummary prints s as one JSON document.
func WriteSummary(w io.Writer, s Summary) error {
	s.Version = SummaryVersion
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("export summary: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
