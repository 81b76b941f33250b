package export

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// RunVerify checks the export file at path on its own, offline (see
// Verify), with the public key pub when it is not nil: it prints each
// problem found on stderr, one a line, and returns an error saying how many
// there were; with none it prints what the export holds on stdout.
//
// With requireSignature, an export whose signature was not checked (it is
// unsigned, or no key was given) fails.
func RunVerify(path string, pub ed25519.PublicKey, requireSignature bool, stdout, stderr io.Writer) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	rep, problems := Verify(doc, pub)
	if requireSignature && len(problems) == 0 && !rep.Verified {
		if rep.Signed {
			problems = append(problems, fmt.Errorf("%w: signature NOT checked, and --require-signature was given: give --public-key", ErrInvalid))
		} else {
			problems = append(problems, fmt.Errorf("%w: the export is not signed, and --require-signature was given", ErrInvalid))
		}
	}
	for _, p := range problems {
		fmt.Fprintf(stderr, "archiver verify: %s\n", oneLine(p.Error()))
	}
	if len(problems) > 0 {
		return fmt.Errorf("verify: %s: %d problems", path, len(problems))
	}
	m := rep.Manifest
	sig := "not signed"
	switch {
	case rep.Verified:
		sig = "signature verified (key " + rep.KeyID[:16] + ")"
	case rep.Signed:
		sig = "signed by key " + rep.KeyID[:16] + ", signature NOT checked (give --public-key)"
	}
	red := ""
	if len(m.Redacted) > 0 {
		red = "; redacted: " + strings.Join(m.Redacted, ", ")
	}
	writer := m.ArchiverVersion
	if m.ArchiverBuild != nil {
		writer = m.ArchiverBuild.String()
	}
	cp := ""
	if rep.HasCheckpoint {
		cp = fmt.Sprintf("; log checkpoint %s", rep.Checkpoint)
	}
	if rep.Proven > 0 {
		cp += fmt.Sprintf("; %d records proven in the log at it", rep.Proven)
	}
	fmt.Fprintf(stdout, "archiver verify: ok: %s, %s, %d records, written %s by archiver %s from chain head %.16s at link %d%s; %s%s\n",
		path, m.Format, m.Records, m.GeneratedAt.Format(time.RFC3339), writer, m.Chain.Head, m.Chain.Links, cp, sig, red)
	return nil
}

// oneLine folds s onto one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ; ")), " ")
}
