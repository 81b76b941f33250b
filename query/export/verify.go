package export

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/checkpoint"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// Report is what Verify found out about a sound export.
type Report struct {
	Manifest Manifest
	// Signed says the seal carries a signature; Verified that it was checked
	// against the public key given.
	Signed, Verified bool
	// KeyID names the key the export says it was signed with.
	KeyID string
	// Checkpoint is the checkpoint of the archive's log the export carries
	// (its signature checked when a key was given), and HasCheckpoint
	// whether it carries one.
	Checkpoint    checkpoint.Checkpoint
	HasCheckpoint bool
	// Proven counts the records whose inclusion proof held against the
	// checkpoint.
	Proven int
}

// ErrInvalid is wrapped by every problem Verify reports.
var ErrInvalid = errors.New("export does not verify")

// Verify checks an export document on its own, with no archive: the
// seal's hash over every byte before it, the signature when pub is given (an
// unsigned export then fails), the manifest's format, the hash of the
// records as a whole and of each record, and the counts. It returns every
// problem found; none means the document is exactly as archiver wrote it.
func Verify(doc []byte, pub ed25519.PublicKey) (Report, []error) {
	var rep Report
	var problems []error
	bad := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...)))
	}
	// The seal: the last member, then "\n}\n" and nothing else.
	at := bytes.LastIndex(doc, []byte(sealPrefix))
	if at < 0 || !bytes.HasSuffix(doc, []byte("\n}\n")) {
		bad("no seal at the end of the file: it was cut short, or is not an archiver export")
		return rep, problems
	}
	var seal Seal
	sealBytes := doc[at+len(sealPrefix) : len(doc)-len("\n}\n")]
	if err := json.Unmarshal(sealBytes, &seal); err != nil {
		bad("the seal is not JSON: %v", err)
		return rep, problems
	}
	if canon, _ := json.Marshal(seal); !bytes.Equal(canon, sealBytes) {
		bad("the seal is not as archiver writes it")
	}
	sum := sha256.Sum256(doc[:at])
	if hex.EncodeToString(sum[:]) != seal.SHA256 {
		bad("the file's bytes do not hash to its seal (%.16s..., the seal says %.16s...): it was changed after it was written", hex.EncodeToString(sum[:]), seal.SHA256)
	}
	rep.Signed, rep.KeyID = seal.Signature != "", seal.KeyID
	switch {
	case pub != nil && !rep.Signed:
		bad("the export is not signed, and a public key was given")
	case pub != nil:
		sig, err := base64.StdEncoding.DecodeString(seal.Signature)
		if err != nil || !ed25519.Verify(pub, SealMessage(seal.SHA256), sig) {
			bad("the signature does not verify with public key %.16s... (the export names key %.16s...)", KeyID(pub), seal.KeyID)
		} else {
			rep.Verified = true
		}
	}

	var d struct {
		Manifest json.RawMessage `json:"manifest"`
		Records  json.RawMessage `json:"records"`
	}
	// The document without its seal is the document with "}" for the seal.
	if err := json.Unmarshal(append(append([]byte(nil), doc[:at]...), '}'), &d); err != nil {
		bad("not JSON before the seal: %v", err)
		return rep, problems
	}
	dec := json.NewDecoder(bytes.NewReader(d.Manifest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep.Manifest); err != nil {
		bad("the manifest: %v", err)
		return rep, problems
	}
	m := rep.Manifest
	if m.Format != Format {
		bad("format %q, want %q", m.Format, Format)
	}
	if m.Checkpoint != "" {
		var err error
		if rep.Verified {
			// Signed with the export's key: checked with it too.
			rep.Checkpoint, err = checkpoint.Open([]byte(m.Checkpoint), pub, checkpoint.KeyName(pub))
		} else {
			rep.Checkpoint, _, err = checkpoint.ParseUnverified([]byte(m.Checkpoint))
		}
		if err != nil {
			bad("the manifest's checkpoint: %v", err)
		}
		rep.HasCheckpoint = err == nil
	}
	rs := sha256.Sum256(d.Records)
	if hex.EncodeToString(rs[:]) != m.RecordsSHA256 {
		bad("the records do not hash to the manifest's recordsSHA256")
	}
	var recs []json.RawMessage
	if err := json.Unmarshal(d.Records, &recs); err != nil {
		bad("records: %v", err)
		return rep, problems
	}
	if len(recs) != m.Records || len(m.RecordHashes) != m.Records {
		bad("%d records and %d record hashes, the manifest says %d", len(recs), len(m.RecordHashes), m.Records)
	}
	counts := map[archive.Kind]int{}
	for i, rec := range recs {
		h := sha256.Sum256(rec)
		if i < len(m.RecordHashes) && hex.EncodeToString(h[:]) != m.RecordHashes[i] {
			bad("record %d does not hash to the manifest's record hash %d", i, i)
		}
		var head struct {
			Kind archive.Kind    `json:"kind"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(rec, &head); err != nil || head.Data == nil {
			bad("record %d is not a record object", i)
			continue
		}
		if _, err := kinds.Parse(string(head.Kind)); err != nil {
			bad("record %d: %v", i, err)
		}
		counts[head.Kind]++
		if err := checkProof(rec, rep); errors.Is(err, errNoProof) {
			continue
		} else if err != nil {
			bad("record %d: %v", i, err)
		} else {
			rep.Proven++
		}
	}
	total := 0
	for k, n := range m.Counts {
		total += n
		if counts[k] != n {
			bad("%d %s records, the manifest counts %d", counts[k], k, n)
		}
	}
	for k, n := range counts {
		if _, ok := m.Counts[k]; !ok {
			bad("%d %s records, which the manifest does not count", n, k)
		}
	}
	if total != m.Records {
		bad("the manifest's counts add up to %d, its record total is %d", total, m.Records)
	}
	return rep, problems
}

// errNoProof says a record line carries no inclusion proof.
var errNoProof = errors.New("no proof")

// checkProof checks the inclusion proof of one record line against the
// export's checkpoint, and that the stored header it proves says what the
// line says of the record: kind, ID, job, cluster, region, account and
// times.
func checkProof(line []byte, rep Report) error {
	var rec struct {
		Kind       archive.Kind    `json:"kind"`
		ID         string          `json:"id"`
		JobID      string          `json:"jobID"`
		ClusterID  string          `json:"clusterID"`
		CapturedAt *time.Time      `json:"capturedAt"`
		Region     string          `json:"region"`
		Account    string          `json:"account"`
		FirstSeen  time.Time       `json:"firstSeen"`
		LastSeen   time.Time       `json:"lastSeen"`
		Data       json.RawMessage `json:"data"`
		Proof      *Proof          `json:"proof"`
	}
	if err := json.Unmarshal(line, &rec); err != nil {
		return err
	}
	if rec.Proof == nil {
		return errNoProof
	}
	name := rec.ID
	if name == "" {
		name = rec.JobID
	}
	if !rep.HasCheckpoint {
		return fmt.Errorf("%s carries a proof, but the manifest no checkpoint to check it against", name)
	}
	p := archive.RecordProof{Index: rec.Proof.Leaf, Op: rec.Proof.Op}
	var err error
	if p.Header, err = base64.StdEncoding.DecodeString(rec.Proof.Header); err != nil {
		return fmt.Errorf("%s: the proof's header: %v", name, err)
	}
	for _, s := range rec.Proof.Path {
		h, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return fmt.Errorf("%s: the proof's path: %v", name, err)
		}
		p.Path = append(p.Path, h)
	}
	kb, err := hex.DecodeString(rec.Proof.Key)
	if err != nil || len(kb) != archive.KeyLen {
		return fmt.Errorf("%s: the proof's key %q is not a record key", name, rec.Proof.Key)
	}
	var k archive.Key
	copy(k[:], kb)
	c := rep.Checkpoint
	h, err := archive.VerifyRecordProof(rec.Kind, k, rec.Data, p, c.Size, c.Hash[:])
	if err != nil {
		return fmt.Errorf("%s %s: %v", rec.Kind, name, err)
	}
	captured := h.HasCaptured == (rec.CapturedAt != nil) && (!h.HasCaptured || h.CapturedAt.Equal(*rec.CapturedAt))
	if h.ID != rec.ID || h.JobID != rec.JobID || h.ClusterID != rec.ClusterID || h.Region != rec.Region || h.Account != rec.Account ||
		!h.FirstSeen.Equal(rec.FirstSeen) || !h.LastSeen.Equal(rec.LastSeen) || !captured {
		return fmt.Errorf("%s %s: the record says other than what its log entry holds (ID, job, cluster, region, account or times)", rec.Kind, name)
	}
	return nil
}
