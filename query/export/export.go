package export

import (
	"bufio"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/checkpoint"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/buildinfo"
	"github.com/archiver-dev/archiver/internal/outfile"
	"github.com/archiver-dev/archiver/query"
)

// Format names the layout of an export document.
const Format = "archiver-export/2"

// Manifest describes an export: what it holds and how to check it.
type Manifest struct {
	// Format is Format.
	Format string `json:"format"`
	// ArchiverVersion is the version of the archiver that wrote the export.
	ArchiverVersion string `json:"archiverVersion"`
	// ArchiverBuild says which build wrote the export: its version, the git
	// revision and commit time it was built from, and whether the checkout
	// was modified; absent when the writer did not know.
	ArchiverBuild *buildinfo.Info `json:"archiverBuild,omitempty"`
	// GeneratedAt is when the export was written.
	GeneratedAt time.Time `json:"generatedAt"`
	// SchemaVersion is the archive's schema version.
	SchemaVersion int `json:"schemaVersion"`
	// Filters are the filters that selected the records; empty for all.
	Filters map[string]any `json:"filters"`
	// Redacted lists the data members whose values were replaced (see
	// Options.RedactTags); their records are not verbatim.
	Redacted []string `json:"redacted,omitempty"`
	// Counts gives the number of record objects of each kind.
	Counts map[archive.Kind]int `json:"counts"`
	// Records is the total number of record objects.
	Records int `json:"records"`
	// DeletedUpstream lists the objects of the export that AWS no longer
	// lists; omitted when there are none.
	DeletedUpstream []DeletedUpstream `json:"deletedUpstream,omitempty"`
	// RecordsSHA256 is the hex SHA-256 of the value of the document's
	// "records" member, byte for byte as it stands in the file, from its
	// opening '[' to its closing ']'.
	RecordsSHA256 string `json:"recordsSHA256"`
	// Chain is the head of the archive's hash chain when the export was
	// written: the number of links and the last one's hash.
	Chain ChainHead `json:"chain"`
	// RecordHashes holds the hex SHA-256 of each record object, byte for
	// byte as it stands in "records", in the same order.
	RecordHashes []string `json:"recordHashes"`
	// Checkpoint is the checkpoint of the archive's transparency log when
	// the export was written (archive/checkpoint: the log's name, size and
	// root hash), signed with the export's key when it is signed; absent
	// from exports of archives without a log.
	Checkpoint string `json:"checkpoint,omitempty"`
}

// DeletedUpstream is one object deleted upstream, as a manifest lists it.
type DeletedUpstream struct {
	Kind              archive.Kind `json:"kind"`
	ID                string       `json:"id"`
	Region            string       `json:"region"`
	Account           string       `json:"account"`
	DeletedUpstreamAt time.Time    `json:"deletedUpstreamAt"`
	LastSeen          time.Time    `json:"lastSeen"`
}

// ChainHead is the head of an archive's hash chain, as a manifest states it.
type ChainHead struct {
	Links uint64 `json:"links"`
	Head  string `json:"head"`
}

// Seal closes an export document: the SHA-256 of every byte before it and,
// when the export is signed, an ed25519 signature of that hash.
type Seal struct {
	// SHA256 is the hex SHA-256 of the document's bytes up to the comma
	// before "seal".
	SHA256 string `json:"sha256"`
	// Signature is the base64 ed25519 signature of SealMessage(SHA256).
	Signature string `json:"signature,omitempty"`
	// KeyID is the hex SHA-256 of the signing public key, to tell keys apart.
	KeyID string `json:"keyID,omitempty"`
}

// SealMessage is what an export's signature signs.
func SealMessage(sum string) []byte { return []byte(Format + " sha256:" + sum) }

// sealPrefix stands between the records and the seal; everything before it
// is what the seal's hash covers.
const sealPrefix = ",\n  \"seal\": "

// Options control an export.
type Options struct {
	// Version is the archiver version recorded in the manifest.
	Version string
	// Build, when not nil, is recorded in the manifest as archiverBuild.
	Build *buildinfo.Info
	// Now is the generation time; zero means time.Now.
	Now time.Time
	// SchemaVersion is recorded in the manifest.
	SchemaVersion int
	// TempDir holds the scratch file the records are staged in
	// (archiver-scratch-PID-RANDOM, see outfile.Scratch); "" for the system
	// default.
	TempDir string
	// Only, when not nil, limits the export to the records with these keys
	// (the answer of a query).
	Only map[archive.Key]bool
	// Filters is recorded in the manifest: the filters that chose Only, as
	// the user gave them.
	Filters map[string]any
	// RedactTags replaces the value of every "tags" member in the data
	// (each tag's value, keeping its key) with "REDACTED".
	RedactTags bool
	// SignKey, when set, signs the export's seal.
	SignKey ed25519.PrivateKey
}

// Write writes every record r can see to w as one JSON document:
//
//	{
//	  "manifest": {...},
//	  "records": [
//	{"kind":"drs.job", ..., "data":{...}},
//	{"kind":"drs.jobLogItem", "jobID":..., ...},
//	...
//	],
//	  "seal": {"sha256": "...", "signature": "...", "keyID": "..."}
//	}
//
// Each record stands on a line of its own. Jobs come in creation order, each
// followed by its log items in log order; then log items whose job is not
// exported; then the other kinds, each in time order. Every record appears
// exactly once. The manifest carries the hash of every record and of the
// records as a whole, and the head of the archive's hash chain; the seal
// carries the hash of everything before it. The records are staged in a
// scratch file so that the manifest can come first.
func Write(ctx context.Context, r *archive.Reader, w io.Writer, o Options) (Manifest, error) {
	m := Manifest{
		Format: Format, ArchiverVersion: o.Version, ArchiverBuild: o.Build, GeneratedAt: o.Now.UTC(),
		SchemaVersion: o.SchemaVersion, Filters: map[string]any{}, Counts: map[archive.Kind]int{},
		RecordHashes: []string{},
	}
	cp, err := checkpointText(r, o.SignKey)
	if err != nil {
		return m, fmt.Errorf("export: %w", err)
	}
	m.Checkpoint = cp
	// A filtered export carries a proof for each record that it is in the
	// log at the export's checkpoint: an auditor given part of the history
	// checks each record offline.
	var tree *archive.LogTree
	var size uint64
	if o.Only != nil && !o.RedactTags {
		c, err := r.CheckpointOf()
		if err != nil {
			return m, fmt.Errorf("export: %w", err)
		}
		if tree, err = r.LogTree(); err != nil {
			return m, fmt.Errorf("export: %w", err)
		}
		if tree.Size() != c.Size {
			return m, fmt.Errorf("export: the archive's log recomputes to %d entries, its checkpoint says %d: run archiver verify", tree.Size(), c.Size)
		}
		size = c.Size
	}
	if o.Filters != nil {
		m.Filters = o.Filters
	}
	if o.Now.IsZero() {
		m.GeneratedAt = time.Now().UTC()
	}
	if o.RedactTags {
		m.Redacted = []string{"tags"}
	}
	for _, k := range kinds.Names() {
		m.Counts[k] = 0
	}
	head, err := r.ChainHead()
	if err != nil {
		return m, fmt.Errorf("export: %w", err)
	}
	m.Chain = ChainHead{Links: head.N, Head: hex.EncodeToString(head.Hash[:])}
	scratch, err := outfile.Scratch(o.TempDir)
	if err != nil {
		return m, fmt.Errorf("export: %w", err)
	}
	defer os.Remove(scratch.Name())
	defer scratch.Close()

	h := sha256.New()
	rw := &recordWriter{w: bufio.NewWriterSize(io.MultiWriter(scratch, h), 1<<20), m: &m, redact: o.RedactTags, r: r, tree: tree, size: size}
	keep := func(rec archive.Record) bool { return o.Only == nil || o.Only[rec.Key] }
	if rw.deleted, err = r.DeletedLatest(); err != nil {
		return m, fmt.Errorf("export: %w", err)
	}
	if err := deletedManifest(r, &m, rw.deleted, keep); err != nil {
		return m, err
	}
	if err := writeRecords(ctx, r, rw, &m, keep); err != nil {
		return m, err
	}
	if rw.err != nil {
		return m, fmt.Errorf("export: prove records: %w", rw.err)
	}
	if err := rw.w.Flush(); err != nil {
		return m, fmt.Errorf("export: write scratch file: %w", err)
	}
	m.RecordsSHA256 = hex.EncodeToString(h.Sum(nil))

	head2, err := json.MarshalIndent(m, "  ", "  ")
	if err != nil {
		return m, fmt.Errorf("export: manifest: %w", err)
	}
	whole := sha256.New()
	bw := bufio.NewWriterSize(w, 1<<20)
	out := io.MultiWriter(bw, whole)
	fmt.Fprintf(out, "{\n  \"manifest\": %s,\n  \"records\": ", head2)
	if _, err := scratch.Seek(0, io.SeekStart); err != nil {
		return m, fmt.Errorf("export: rewind scratch file: %w", err)
	}
	if _, err := io.Copy(out, scratch); err != nil {
		return m, fmt.Errorf("export: copy records: %w", err)
	}
	seal := Seal{SHA256: hex.EncodeToString(whole.Sum(nil))}
	if o.SignKey != nil {
		seal.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(o.SignKey, SealMessage(seal.SHA256)))
		seal.KeyID = KeyID(o.SignKey.Public().(ed25519.PublicKey))
	}
	sb, err := json.Marshal(seal)
	if err != nil {
		return m, fmt.Errorf("export: seal: %w", err)
	}
	bw.WriteString(sealPrefix)
	bw.Write(sb)
	bw.WriteString("\n}\n")
	if err := bw.Flush(); err != nil {
		return m, fmt.Errorf("export: write: %w", err)
	}
	return m, nil
}

// KeyID names a public key: the hex SHA-256 of its bytes.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:])
}

type recordWriter struct {
	w       *bufio.Writer
	m       *Manifest
	redact  bool
	n       int
	line    []byte
	deleted map[archive.Key]archive.Marking // latest records of objects deleted upstream
	// tree, when set, proves each record's inclusion in the log of size
	// leaves (read through r).
	r    *archive.Reader
	tree *archive.LogTree
	size uint64
	err  error
}

// deletedManifest lists in m the objects deleted upstream whose latest
// record the export holds, in identity order.
func deletedManifest(r *archive.Reader, m *Manifest, latest map[archive.Key]archive.Marking, keep func(archive.Record) bool) error {
	for k, d := range latest {
		rec, ok, err := r.Get(d.Kind, k)
		if err != nil {
			return fmt.Errorf("export: deleted upstream: %w", err)
		}
		if !ok || !keep(rec) {
			continue
		}
		m.DeletedUpstream = append(m.DeletedUpstream, DeletedUpstream{Kind: d.Kind, ID: d.ID, Region: d.Region, Account: d.Account,
			DeletedUpstreamAt: d.DeletedUpstreamAt.UTC(), LastSeen: d.LastSeen.UTC()})
	}
	slices.SortFunc(m.DeletedUpstream, func(a, b DeletedUpstream) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID), cmp.Compare(a.Region, b.Region), cmp.Compare(a.Account, b.Account))
	})
	return nil
}

// put writes rec as one record line, hashed into the manifest.
func (rw *recordWriter) put(rec archive.Record) {
	if rw.redact {
		rec.Data = query.RedactTags(rec.Data)
	}
	if d, ok := rw.deleted[rec.Key]; ok {
		at := d.DeletedUpstreamAt
		rec.DeletedUpstreamAt = &at
	}
	if rw.tree != nil {
		rw.line = query.AppendObject(rw.line[:0], rec)
		rw.line = rw.appendProof(rw.line, rec)
		rw.line = append(rw.line, '}')
	} else {
		rw.line = query.AppendRecord(rw.line[:0], rec)
	}
	if rw.n == 0 {
		rw.w.WriteString("[\n")
	} else {
		rw.w.WriteString(",\n")
	}
	rw.w.Write(rw.line)
	sum := sha256.Sum256(rw.line)
	rw.m.RecordHashes = append(rw.m.RecordHashes, hex.EncodeToString(sum[:]))
	rw.m.Counts[rec.Kind]++
	rw.n++
}

func (rw *recordWriter) close() {
	if rw.n == 0 {
		rw.w.WriteString("[]")
		return
	}
	rw.w.WriteString("\n]")
}

func writeRecords(ctx context.Context, r *archive.Reader, rw *recordWriter, m *Manifest, keep func(archive.Record) bool) error {
	var err error
	if rw.tree != nil {
		// Proofs read the archive as each record is written: one
		// goroutine does both.
		err = readRecords(ctx, r, keep, func(rec archive.Record) error { rw.put(rec); return nil })
	} else {
		err = pipeRecords(ctx, r, keep, rw.put)
	}
	if err != nil {
		return err
	}
	rw.close()
	m.Records = rw.n
	return nil
}

// pipeBatch is how many records pipeRecords hands over at once.
const pipeBatch = 512

// pipeRecords is readRecords on a goroutine of its own, handing the
// records over in batches to put, which runs on the caller's: reading
// (and decompressing) the next records overlaps writing and hashing the
// ones before. Only the reading goroutine uses r, and it has ended when
// pipeRecords returns.
func pipeRecords(ctx context.Context, r *archive.Reader, keep func(archive.Record) bool, put func(archive.Record)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []archive.Record, 4)
	errc := make(chan error, 1)
	go func() {
		defer close(batches)
		batch := make([]archive.Record, 0, pipeBatch)
		send := func() error {
			select {
			case batches <- batch:
				batch = make([]archive.Record, 0, pipeBatch)
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		err := readRecords(ctx, r, keep, func(rec archive.Record) error {
			batch = append(batch, rec)
			if len(batch) < pipeBatch {
				return nil
			}
			return send()
		})
		if err == nil && len(batch) > 0 {
			err = send()
		}
		errc <- err
	}()
	// Once the context is done the batches still sent are skipped, not
	// written; the reader is waited for either way, since r is only
	// valid until the caller's transaction ends.
	skipped := false
	for batch := range batches {
		if ctx.Err() != nil {
			skipped = true
			continue
		}
		for _, rec := range batch {
			put(rec)
		}
	}
	err := <-errc
	if err == nil && skipped {
		err = fmt.Errorf("export: %w", ctx.Err())
	}
	return err
}

// readRecords calls fn with every record keep accepts, in export order:
// each job followed by its log, then the records of every other kind.
func readRecords(ctx context.Context, r *archive.Reader, keep func(archive.Record) bool, fn func(archive.Record) error) error {
	written := map[archive.Key]bool{}
	err := r.Each(kinds.DRSJob, func(job archive.Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !keep(job) {
			return nil
		}
		if err := fn(job); err != nil {
			return err
		}
		ref := archive.JobRef{JobID: job.ID, Region: job.Region, Account: job.Account}
		err := r.JobLog(ref, func(it archive.Record) error {
			if !keep(it) {
				return nil
			}
			written[it.Key] = true
			return fn(it)
		})
		if err != nil {
			return fmt.Errorf("export log of job %s: %w", job.ID, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	for _, k := range kinds.Names() {
		if kinds.OwnsLog(k) {
			continue // written above
		}
		err := r.Each(k, func(rec archive.Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !written[rec.Key] && keep(rec) {
				return fn(rec)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	return nil
}

// ForPrune returns the export step of a prune (archive.PruneOptions.Export):
// it writes the records the prune removes to w as Write does with o, whose
// Only and Filters the prune sets, and keeps the manifest in *m when m is
// not nil.
func ForPrune(w io.Writer, o Options, m *Manifest) func(ctx context.Context, r *archive.Reader, only map[archive.Key]bool, filters map[string]any) (archive.PrunedExport, error) {
	return func(ctx context.Context, r *archive.Reader, only map[archive.Key]bool, filters map[string]any) (archive.PrunedExport, error) {
		o.Only, o.Filters = only, filters
		got, err := Write(ctx, r, w, o)
		if err != nil {
			return archive.PrunedExport{}, err
		}
		if m != nil {
			*m = got
		}
		return archive.PrunedExport{
			Records: got.Records, RecordsSHA256: got.RecordsSHA256,
			Chain:       archive.PrunedChain{Links: got.Chain.Links, Head: got.Chain.Head},
			GeneratedAt: got.GeneratedAt,
		}, nil
	}
}

// checkpointText returns the checkpoint of the log r sees, signed with key
// when it is set.
func checkpointText(r *archive.Reader, key ed25519.PrivateKey) (string, error) {
	c, err := r.CheckpointOf()
	if err != nil {
		return "", err
	}
	if key == nil {
		return string(c.Marshal()), nil
	}
	signed, err := checkpoint.Sign(c, checkpoint.KeyName(key.Public().(ed25519.PublicKey)), key)
	return string(signed), err
}

// Proof is the inclusion proof a record line of a filtered export carries:
// the record's key (hex), the leaf of its latest write and that write's op,
// its stored header (base64; the stored value is the header, then the
// line's data byte for byte) and the RFC 6962 inclusion path (base64
// hashes) up to the root of the manifest's checkpoint.
type Proof struct {
	Key    string   `json:"key"`
	Leaf   uint64   `json:"leaf"`
	Op     byte     `json:"op"`
	Header string   `json:"header"`
	Path   []string `json:"path"`
}

// appendProof appends the record's "proof" member, or notes the error.
func (rw *recordWriter) appendProof(b []byte, rec archive.Record) []byte {
	stored, err := rw.r.Stored(rec.Kind, rec.Key)
	if err != nil {
		rw.err = cmp.Or(rw.err, err)
		return b
	}
	p, err := rw.tree.RecordProof(rec, stored, rw.size)
	if errors.Is(err, archive.ErrNoLeaf) {
		return b // written before the log began: no proof of its own
	}
	if err != nil {
		rw.err = cmp.Or(rw.err, err)
		return b
	}
	out := Proof{Key: hex.EncodeToString(rec.Key[:]), Leaf: p.Index, Op: p.Op, Header: base64.StdEncoding.EncodeToString(p.Header)}
	for _, h := range p.Path {
		out.Path = append(out.Path, base64.StdEncoding.EncodeToString(h))
	}
	j, _ := json.Marshal(out)
	b = append(b, `,"proof":`...)
	return append(b, j...)
}
