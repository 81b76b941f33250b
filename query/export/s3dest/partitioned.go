package s3dest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
	"github.com/archiver-dev/archiver/internal/buildinfo"
	"github.com/archiver-dev/archiver/query"
	"github.com/archiver-dev/archiver/query/ddl"
	"github.com/archiver-dev/archiver/query/export"
)

// Format names the layout of a partitioned export's manifest.
const Format = "archiver-partitioned/1"

// DefaultPartBytes is the default bound on a part's uncompressed size:
// engines read objects of tens to hundreds of MB best.
const DefaultPartBytes = 128 << 20

// Partition granularities: the dt partition of a record is its day
// (YYYY-MM-DD) or its month (YYYY-MM), in UTC.
const (
	PartitionDay   = "day"
	PartitionMonth = "month"
)

// DefaultPartition is the default partition granularity.
const DefaultPartition = PartitionMonth

// ParsePartition reads a partition granularity, day or month in any case;
// "" is DefaultPartition.
func ParsePartition(s string) (string, error) {
	switch p := strings.ToLower(strings.TrimSpace(s)); p {
	case "":
		return DefaultPartition, nil
	case PartitionDay, PartitionMonth:
		return p, nil
	}
	return "", fmt.Errorf("%q: want day or month", s)
}

// PartitionValue returns the dt partition value of time t at granularity
// partition (PartitionDay or PartitionMonth).
func PartitionValue(partition string, t time.Time) string {
	if partition == PartitionDay {
		return t.UTC().Format(time.DateOnly)
	}
	return t.UTC().Format("2006-01")
}

// NoRegion is the region partition of records that name no region.
const NoRegion = ddl.NoRegion

// ObjectStore receives the objects of a partitioned export.
type ObjectStore interface {
	// Put writes body under key, which must not exist yet.
	Put(ctx context.Context, key string, body []byte, contentType string) error
}

// Options control a partitioned export.
type Options struct {
	// Version is the archiver version recorded in the manifest.
	Version string
	// Build, when not nil, is recorded in the manifest as archiverBuild.
	Build *buildinfo.Info
	// Now is the generation time; zero means time.Now.
	Now time.Time
	// ExportID names the export; it is part of every part's name, so that
	// no export overwrites another's parts.
	ExportID string
	// SchemaVersion is recorded in the manifest.
	SchemaVersion int
	// Destination is the URL recorded in the manifest (s3://bucket/prefix).
	Destination string
	// Prefix is the key prefix every object goes under ("" or ending in
	// "/" is not needed: a slash is added).
	Prefix string
	// PartBytes bounds the uncompressed size of a part; zero means
	// DefaultPartBytes. A record longer than the bound gets a part alone.
	PartBytes int
	// Partition is the granularity of the dt partition, PartitionDay or
	// PartitionMonth; "" means DefaultPartition.
	Partition string
	// Format is the parts' format, FormatJSONLines or FormatParquet; ""
	// means FormatJSONLines.
	Format string
	// Only, when not nil, limits the export to the records with these keys.
	Only map[archive.Key]bool
	// Filters is recorded in the manifest.
	Filters map[string]any
	// Since, when not nil, limits the export to the records put (added or
	// given new contents) after that change-log position, and those whose
	// object was noticed deleted upstream after SinceTime (a marking is
	// no write of a record, so the change log does not show it).
	Since     *uint64
	SinceTime time.Time
}

// Manifest describes a partitioned export: every object it wrote
// and the state of the archive it was read from.
type Manifest struct {
	// Format is Format.
	Format string `json:"format"`
	// ArchiverVersion is the version of the archiver that wrote the export.
	ArchiverVersion string `json:"archiverVersion"`
	// ArchiverBuild says which build wrote the export: its version, the git
	// revision and commit time it was built from, and whether the checkout
	// was modified; absent when the writer did not know.
	ArchiverBuild *buildinfo.Info `json:"archiverBuild,omitempty"`
	// ExportID names the export.
	ExportID string `json:"exportID"`
	// GeneratedAt is when the export was written.
	GeneratedAt time.Time `json:"generatedAt"`
	// SchemaVersion is the archive's schema version.
	SchemaVersion int `json:"schemaVersion"`
	// Destination is where the export went.
	Destination string `json:"destination"`
	// Filters are the filters that selected the records; empty for all.
	Filters map[string]any `json:"filters"`
	// SinceLast is set when the export holds only what changed after
	// the change-log position FromPosition.
	SinceLast    bool   `json:"sinceLast"`
	FromPosition uint64 `json:"fromPosition"`
	// Position is the change-log position the archive was read at.
	Position uint64 `json:"position"`
	// Chain is the head of the archive's hash chain when it was read.
	Chain export.ChainHead `json:"chain"`
	// Partition is the granularity of the dt partitions, day or month
	// (absent in exports made before months: day).
	Partition string `json:"partition,omitempty"`
	// PartFormat is the parts' format, jsonl or parquet (absent in
	// exports made before Parquet: jsonl).
	PartFormat string `json:"partFormat,omitempty"`
	// Records is the number of records written; Counts per kind.
	Records int                  `json:"records"`
	Counts  map[archive.Kind]int `json:"counts"`
	// Objects lists every part written, in key order.
	Objects []PartObject `json:"objects"`
	// Checkpoint is the checkpoint of the archive's transparency log when
	// it was read (archive/checkpoint, unsigned).
	Checkpoint string `json:"checkpoint,omitempty"`
}

// PartObject is one part of a partitioned export.
type PartObject struct {
	// Key is the object's key.
	Key string `json:"key"`
	// Bytes is the object's size (gzip'd).
	Bytes int64 `json:"bytes"`
	// SHA256 is the hex SHA-256 of the object's bytes (gzip'd).
	SHA256 string `json:"sha256"`
	// Records is the number of record lines in it.
	Records int `json:"records"`
}

// partition is one kind=/region=/dt= directory.
type partition struct {
	kind   archive.Kind
	region string
	dt     string
}

func (p partition) dir() string {
	return "kind=" + string(p.kind) + "/region=" + p.region + "/dt=" + p.dt
}

// ManifestKey returns the key of the manifest of an export generated at t.
func ManifestKey(prefix string, t time.Time) string {
	return joinKey(prefix, "manifest-"+t.UTC().Format("20060102T150405.000000000Z")+".json")
}

func joinKey(prefix, rest string) string {
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return rest
	}
	return path.Join(prefix, rest)
}

// Write writes the records r can see (limited by o.Only and
// o.Since) to store as gzip'd JSON Lines in Hive layout,
//
//	PREFIX/kind=KIND/region=REGION/dt=YYYY-MM/part-EXPORTID-NNNNN.jsonl.gz
//
// one record object per line as query.AppendRecord renders it, dt being the
// month (or with o.Partition PartitionDay the day, YYYY-MM-DD) of the
// record's time in UTC. Within a partition records come in key (time)
// order; a part ends when the next line would take it past o.PartBytes
// uncompressed. It returns the manifest of what it wrote, which it does not
// write itself : the caller writes it last. With nothing
// to export it writes nothing.
func Write(ctx context.Context, r *archive.Reader, store ObjectStore, o Options) (Manifest, error) {
	m := Manifest{
		Format: Format, ArchiverVersion: o.Version, ArchiverBuild: o.Build, ExportID: o.ExportID,
		GeneratedAt: o.Now.UTC(), SchemaVersion: o.SchemaVersion, Destination: o.Destination,
		Filters: map[string]any{}, Counts: map[archive.Kind]int{}, Objects: []PartObject{},
	}
	if o.Now.IsZero() {
		m.GeneratedAt = time.Now().UTC()
	}
	c, err := r.CheckpointOf()
	if err != nil {
		return m, fmt.Errorf("export: %w", err)
	}
	m.Checkpoint = string(c.Marshal())
	if o.Filters != nil {
		m.Filters = o.Filters
	}
	if o.PartBytes <= 0 {
		o.PartBytes = DefaultPartBytes
	}
	if o.Partition == "" {
		o.Partition = DefaultPartition
	}
	m.Partition = o.Partition
	if o.Format == "" {
		o.Format = FormatJSONLines
	}
	m.PartFormat = o.Format
	for _, k := range kinds.Names() {
		m.Counts[k] = 0
	}
	head, err := r.ChainHead()
	if err != nil {
		return m, fmt.Errorf("export: %w", err)
	}
	m.Chain = export.ChainHead{Links: head.N, Head: hex.EncodeToString(head.Hash[:])}
	if m.Position, err = r.Position(); err != nil {
		return m, fmt.Errorf("export: %w", err)
	}

	// The latest record of an object deleted upstream carries when that was
	// noticed, as in an export to a file.
	deleted, err := r.DeletedLatest()
	if err != nil {
		return m, fmt.Errorf("export: %w", err)
	}
	var changed map[archive.Key]bool
	if o.Since != nil {
		m.SinceLast, m.FromPosition = true, *o.Since
		changed = map[archive.Key]bool{}
		err := r.MutationsSince(*o.Since, func(_ uint64, muts []archive.Mutation) error {
			for _, mu := range muts {
				if mu.Op == archive.OpPut {
					changed[mu.Key] = true
				}
			}
			return nil
		})
		if err != nil {
			return m, fmt.Errorf("export: read change log: %w", err)
		}
		for k, d := range deleted {
			if d.DeletedUpstreamAt.After(o.SinceTime) {
				changed[k] = true
			}
		}
	}
	keep := func(k archive.Key) bool {
		return (o.Only == nil || o.Only[k]) && (changed == nil || changed[k])
	}

	// First the keys of each partition, then each partition's records: a
	// partition's parts are written whole before the next begins.
	parts := map[partition][]archive.Key{}
	for _, kind := range kinds.Names() {
		err := r.Each(kind, func(rec archive.Record) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !keep(rec.Key) {
				return nil
			}
			region := rec.Region
			if region == "" {
				region = NoRegion
			}
			p := partition{kind: kind, region: region, dt: PartitionValue(o.Partition, rec.Key.Time())}
			parts[p] = append(parts[p], rec.Key)
			return nil
		})
		if err != nil {
			return m, fmt.Errorf("export: %w", err)
		}
	}
	order := make([]partition, 0, len(parts))
	for p := range parts {
		order = append(order, p)
	}
	slices.SortFunc(order, func(a, b partition) int { return strings.Compare(a.dir(), b.dir()) })

	var line []byte
	for _, p := range order {
		pw := &partWriter{ctx: ctx, store: store, m: &m, limit: o.PartBytes, parquet: o.Format == FormatParquet,
			base: joinKey(o.Prefix, p.dir()+"/part-"+o.ExportID)}
		for _, k := range parts[p] {
			rec, ok, err := r.Get(p.kind, k)
			if err != nil {
				return m, fmt.Errorf("export: %w", err)
			}
			if !ok {
				continue
			}
			if d, ok := deleted[k]; ok {
				at := d.DeletedUpstreamAt
				rec.DeletedUpstreamAt = &at
			}
			if pw.parquet {
				if err := pw.addRow(rec); err != nil {
					return m, err
				}
			} else {
				line = append(query.AppendRecord(line[:0], rec), '\n')
				if err := pw.add(line); err != nil {
					return m, err
				}
			}
			m.Counts[p.kind]++
			m.Records++
		}
		if err := pw.flush(); err != nil {
			return m, err
		}
	}
	return m, nil
}

// partWriter gathers the lines of one partition into parts.
type partWriter struct {
	ctx   context.Context
	store ObjectStore
	m     *Manifest
	limit int
	base  string
	n     int
	buf   bytes.Buffer
	gz    *gzip.Writer
	raw   int
	lines int
	// parquet gathers rows instead of lines.
	parquet bool
	rows    []parquetRow
}

func (pw *partWriter) add(line []byte) error {
	if pw.lines > 0 && pw.raw+len(line) > pw.limit {
		if err := pw.flush(); err != nil {
			return err
		}
	}
	if pw.gz == nil {
		pw.buf.Reset()
		pw.gz = gzip.NewWriter(&pw.buf)
	}
	if _, err := pw.gz.Write(line); err != nil {
		return fmt.Errorf("export: compress: %w", err)
	}
	pw.raw += len(line)
	pw.lines++
	return nil
}

func (pw *partWriter) flush() error {
	if pw.parquet {
		return pw.flushParquet()
	}
	if pw.gz == nil {
		return nil
	}
	if err := pw.gz.Close(); err != nil {
		return fmt.Errorf("export: compress: %w", err)
	}
	if err := pw.put(".jsonl.gz", "application/gzip"); err != nil {
		return err
	}
	pw.gz = nil
	return nil
}

// put stores pw.buf as the next part, with the file name extension ext,
// and lists it in the manifest.
func (pw *partWriter) put(ext, contentType string) error {
	key := fmt.Sprintf("%s-%05d%s", pw.base, pw.n, ext)
	body := pw.buf.Bytes()
	if err := pw.store.Put(pw.ctx, key, body, contentType); err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	pw.m.Objects = append(pw.m.Objects, PartObject{Key: key, Bytes: int64(len(body)), SHA256: hex.EncodeToString(sum[:]), Records: pw.lines})
	pw.n++
	pw.raw, pw.lines = 0, 0
	return nil
}
