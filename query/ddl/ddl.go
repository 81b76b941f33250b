// Package ddl writes the statements that let an engine read a partitioned
// export (see package s3dest) where it lies: Athena and Trino tables over
// S3, ClickHouse and DuckDB views over S3 or a directory.
//
// The statements are built from the layout the export actually has (its
// regions, its earliest partition, its partition granularity), read from
// the archive by Survey: never from a fixed list of regions, which would
// hide every region added after it was written.
package ddl

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// NoRegion is the region partition of records that name no region.
const NoRegion = "none"

// DDL dialects.
const (
	Athena     = "athena"
	Trino      = "trino"
	ClickHouse = "clickhouse"
	DuckDB     = "duckdb"
)

// Dialects lists the dialects Statements writes.
var Dialects = []string{Athena, Trino, ClickHouse, DuckDB}

// Partition granularities of the dt partition (as s3dest writes them).
const (
	Day   = "day"
	Month = "month"
)

// Part formats (as s3dest writes them).
const (
	JSONLines = "jsonl"
	Parquet   = "parquet"
)

// Column is a typed column of the Parquet parts.
type Column struct {
	// Name is the column's name in the Parquet file.
	Name string
	// Timestamp says the column is a UTC timestamp; otherwise it is text.
	Timestamp bool
}

// ParquetColumns are the columns of every Parquet part, in order, besides
// region (a partition column here): the record members with a type, the
// data's event and status, and data, the AWS object as JSON text.
var ParquetColumns = []Column{
	{Name: "kind"}, {Name: "account"}, {Name: "id"}, {Name: "jobID"}, {Name: "clusterID"},
	{Name: "time", Timestamp: true}, {Name: "capturedAt", Timestamp: true},
	{Name: "event"}, {Name: "status"},
	{Name: "firstSeen", Timestamp: true}, {Name: "lastSeen", Timestamp: true}, {Name: "deletedUpstreamAt", Timestamp: true},
	{Name: "imported"}, {Name: "data"},
}

// TrinoSchema is the schema the Trino statements are meant to run in.
const TrinoSchema = "default"

// TableName returns the table name DDL gives the records of kind:
// archiver_ and the kind in lower case, dots as underscores
// (archiver_drs_joblogitem).
func TableName(kind archive.Kind) string {
	return "archiver_" + strings.ToLower(strings.ReplaceAll(string(kind), ".", "_"))
}

// Layout is what the statements must know of an export.
type Layout struct {
	// Kinds are the kinds the export holds, one table each; nil means
	// every kind of the registry.
	Kinds []archive.Kind
	// Regions are the region partitions the export holds (NoRegion for
	// records that name none). Athena's projection lists exactly these.
	Regions []string
	// Earliest is the time of the export's earliest record: the dt
	// projection starts at its partition.
	Earliest time.Time
	// Partition is the dt granularity, Day or Month ("" is Month).
	Partition string
}

// Options say which statements to write.
type Options struct {
	// Dialect is one of Dialects.
	Dialect string
	// Location is the export's root: s3://bucket/prefix, or for ClickHouse
	// and DuckDB a directory.
	Location string
	// Format is the parts' format, JSONLines or Parquet ("" is JSONLines).
	Format string
	// Endpoint, for ClickHouse over S3, is the S3 endpoint to read from
	// (path-style, as http://host:port); "" means AWS
	// (https://BUCKET.s3.amazonaws.com).
	Endpoint string
	Layout
}

// Survey reads from the archive the layout an export of everything in it
// has: its kinds, its regions and its earliest record.
func Survey(r *archive.Reader) (Layout, error) {
	var l Layout
	regions := map[string]bool{}
	for _, kind := range kinds.Names() {
		n := 0
		err := r.Each(kind, func(rec archive.Record) error {
			n++
			region := rec.Region
			if region == "" {
				region = NoRegion
			}
			regions[region] = true
			if t := rec.Key.Time(); l.Earliest.IsZero() || t.Before(l.Earliest) {
				l.Earliest = t
			}
			return nil
		})
		if err != nil {
			return l, fmt.Errorf("ddl: read %s: %w", kind, err)
		}
		if n > 0 {
			l.Kinds = append(l.Kinds, kind)
		}
	}
	for r := range regions {
		l.Regions = append(l.Regions, r)
	}
	slices.Sort(l.Regions)
	return l, nil
}

// Statements returns the statements, one table or view per kind, over a
// partitioned export in the given dialect. Each reads one kind's
// directory, with a column for each member the kind's lines carry
// (kinds.Spec.Columns), keeping the members' case; region and dt are the
// partition columns; data is the AWS object as JSON text.
func Statements(o Options) (string, error) {
	if !slices.Contains(Dialects, o.Dialect) {
		return "", fmt.Errorf("unknown DDL dialect %q (want %s)", o.Dialect, strings.Join(Dialects, ", "))
	}
	if o.Partition == "" {
		o.Partition = Month
	}
	if o.Partition != Day && o.Partition != Month {
		return "", fmt.Errorf("unknown partition %q (want day or month)", o.Partition)
	}
	if o.Format == "" {
		o.Format = JSONLines
	}
	if o.Format != JSONLines && o.Format != Parquet {
		return "", fmt.Errorf("unknown format %q (want jsonl or parquet)", o.Format)
	}
	s3 := strings.HasPrefix(o.Location, "s3://")
	if !s3 && (o.Dialect == Athena || o.Dialect == Trino) {
		return "", fmt.Errorf("%s reads an export in S3: give its location as s3://bucket/prefix", o.Dialect)
	}
	if (o.Dialect == Athena || o.Dialect == Trino) && len(o.Regions) == 0 {
		return "", fmt.Errorf("%s: the export holds no records, so no region to project (export something first)", o.Dialect)
	}
	location := strings.TrimRight(o.Location, "/")
	ks := o.Kinds
	if ks == nil {
		ks = kinds.Names()
	}
	var b strings.Builder
	switch o.Dialect {
	case Trino:
		fmt.Fprintf(&b, "-- Trino, Hive connector: run in schema %s.\n\n", TrinoSchema)
	case ClickHouse:
		b.WriteString("-- ClickHouse (clickhouse-local, chDB or a server): views over the export.\n\n")
	case DuckDB:
		b.WriteString("-- DuckDB: views over the export.\n\n")
	}
	for _, kind := range ks {
		spec := kinds.Of(kind)
		if spec == nil {
			return "", fmt.Errorf("unknown kind %q", kind)
		}
		dir := location + "/kind=" + string(kind) + "/"
		switch {
		case o.Format == Parquet:
			parquetTable(&b, o.Dialect, spec, dir, o)
		case o.Dialect == Athena:
			athena(&b, spec, dir, o.Layout)
		case o.Dialect == Trino:
			trino(&b, spec, dir, o.Layout)
		case o.Dialect == ClickHouse:
			clickhouse(&b, spec, dir, o)
		case o.Dialect == DuckDB:
			duckdb(&b, spec, dir)
		}
	}
	return b.String(), nil
}

// projection returns the Java date format, interval unit and first
// partition of the dt projection.
func projection(l Layout) (format, unit, first string) {
	if l.Partition == Day {
		return "yyyy-MM-dd", "DAYS", l.Earliest.UTC().Format(time.DateOnly)
	}
	return "yyyy-MM", "MONTHS", l.Earliest.UTC().Format("2006-01")
}

// mappings returns the JSON key of each lower-cased column whose name is
// not all lower case: with case.insensitive false, the OpenX SerDe matches
// columns to keys by these.
func mappings(spec *kinds.Spec) (cols, keys []string) {
	for _, c := range spec.Columns() {
		if l := strings.ToLower(c); l != c {
			cols, keys = append(cols, l), append(keys, c)
		}
	}
	return cols, keys
}

func athena(b *strings.Builder, spec *kinds.Spec, dir string, l Layout) {
	format, unit, first := projection(l)
	serde := []string{"  'case.insensitive' = 'false'"}
	cols, keys := mappings(spec)
	for i := range cols {
		serde = append(serde, fmt.Sprintf("  'mapping.%s' = '%s'", cols[i], keys[i]))
	}
	storage := "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\nWITH SERDEPROPERTIES (\n" + strings.Join(serde, ",\n") + "\n)\n" +
		"STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'\n" +
		"OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'"
	athenaTable(b, TableName(spec.Kind), columns(spec, "string", false), storage, l.Regions, format, first, unit, dir)
}

// athenaTable writes an Athena table over the parts under dir, stored as
// storage says: its columns, region projected as an enum of regions and dt
// as dates of format from first to now by unit.
func athenaTable(b *strings.Builder, name, cols, storage string, regions []string, format, first, unit, dir string) {
	fmt.Fprintf(b, `CREATE EXTERNAL TABLE IF NOT EXISTS %s (
%s
)
PARTITIONED BY (region string, dt string)
%s
LOCATION '%s'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.region.type' = 'enum',
  'projection.region.values' = '%s',
  'projection.dt.type' = 'date',
  'projection.dt.format' = '%s',
  'projection.dt.range' = '%s,NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = '%s',
  'storage.location.template' = '%sregion=${region}/dt=${dt}/'
);

`, name, cols, storage, dir, strings.Join(regions, ","), format, first, unit, dir)
}

func trino(b *strings.Builder, spec *kinds.Spec, dir string, l Layout) {
	format, unit, first := projection(l)
	cols, keys := mappings(spec)
	props := []string{"'case.insensitive'"}
	vals := []string{"'false'"}
	for i := range cols {
		props = append(props, "'mapping."+cols[i]+"'")
		vals = append(vals, "'"+keys[i]+"'")
	}
	trinoTable(b, TableName(spec.Kind), columns(spec, "varchar", true), l.Regions, format, first, unit, dir, "OPENX_JSON",
		",\n  extra_properties = MAP(ARRAY["+strings.Join(props, ", ")+"], ARRAY["+strings.Join(vals, ", ")+"])")
}

// trinoTable writes a Trino table over the parts under dir in fileFormat:
// its columns, region projected as an enum of regions and dt as dates of
// format from first to now by unit; more ends the table's properties.
func trinoTable(b *strings.Builder, name, cols string, regions []string, format, first, unit, dir, fileFormat, more string) {
	quoted := make([]string, len(regions))
	for i, r := range regions {
		quoted[i] = "'" + r + "'"
	}
	fmt.Fprintf(b, `CREATE TABLE IF NOT EXISTS %s (
%s,
  region varchar WITH (partition_projection_type = 'enum', partition_projection_values = ARRAY[%s]),
  dt varchar WITH (partition_projection_type = 'date', partition_projection_format = '%s', partition_projection_range = ARRAY['%s', 'NOW'], partition_projection_interval = 1, partition_projection_interval_unit = '%s')
)
WITH (
  external_location = '%s',
  format = '%s',
  partitioned_by = ARRAY['region', 'dt'],
  partition_projection_enabled = true,
  partition_projection_location_template = '%sregion=${region}/dt=${dt}/'%s
);

`, name, cols, strings.Join(quoted, ", "), format, first, unit, dir, fileFormat, dir, more)
}

func clickhouse(b *strings.Builder, spec *kinds.Spec, dir string, o Options) {
	cols := spec.Columns()
	structure := make([]string, len(cols))
	for i, c := range cols {
		// Every line has data; a member a line lacks is NULL.
		t := "Nullable(String)"
		if c == "data" {
			t = "String"
		}
		structure[i] = c + " " + t
	}
	source := clickhouseSource(dir+"region=*/dt=*/*.jsonl.gz", "JSONEachRow", strings.Join(structure, ", "), o.Endpoint)
	fmt.Fprintf(b, `CREATE VIEW IF NOT EXISTS %s AS
SELECT *, region, dt
FROM %s
SETTINGS use_hive_partitioning = 1, input_format_json_read_objects_as_strings = 1;

`, TableName(spec.Kind), source)
}

func duckdb(b *strings.Builder, spec *kinds.Spec, dir string) {
	cols := spec.Columns()
	members := make([]string, len(cols))
	for i, c := range cols {
		t := "VARCHAR"
		if c == "data" || c == "imported" {
			t = "JSON"
		}
		members[i] = fmt.Sprintf("%s: '%s'", c, t)
	}
	fmt.Fprintf(b, `CREATE VIEW IF NOT EXISTS %s AS
SELECT *
FROM read_json('%sregion=*/dt=*/*.jsonl.gz',
  format = 'newline_delimited', hive_partitioning = true, hive_types_autocast = false,
  columns = {%s});

`, TableName(spec.Kind), dir, strings.Join(members, ", "))
}

// parquetTable writes the table or view of a kind over its Parquet parts.
func parquetTable(b *strings.Builder, dialect string, spec *kinds.Spec, dir string, o Options) {
	name := TableName(spec.Kind)
	glob := dir + "region=*/dt=*/*.parquet"
	switch dialect {
	case Athena, Trino:
		format, unit, first := projection(o.Layout)
		cols := make([]string, len(ParquetColumns))
		for i, c := range ParquetColumns {
			if dialect == Athena {
				t := "string"
				if c.Timestamp {
					t = "timestamp"
				}
				cols[i] = fmt.Sprintf("  `%s` %s", strings.ToLower(c.Name), t)
			} else {
				t := "varchar"
				if c.Timestamp {
					t = "timestamp(6)"
				}
				cols[i] = fmt.Sprintf("  \"%s\" %s", strings.ToLower(c.Name), t)
			}
		}
		if dialect == Athena {
			athenaTable(b, name, strings.Join(cols, ",\n"), "STORED AS PARQUET", o.Regions, format, first, unit, dir)
			return
		}
		trinoTable(b, name, strings.Join(cols, ",\n"), o.Regions, format, first, unit, dir, "PARQUET", "")
	case ClickHouse:
		fmt.Fprintf(b, `CREATE VIEW IF NOT EXISTS %s AS
SELECT *
FROM %s
SETTINGS use_hive_partitioning = 1;

`, name, clickhouseSource(glob, "Parquet", "", o.Endpoint))
	case DuckDB:
		fmt.Fprintf(b, `CREATE VIEW IF NOT EXISTS %s AS
SELECT *
FROM read_parquet('%s', hive_partitioning = true, hive_types_autocast = false);

`, name, glob)
	}
}

// clickhouseSource returns the table function that reads the files glob
// matches (s3:// or a directory) in format, with the given structure (""
// to read the files' own).
func clickhouseSource(glob, format, structure, endpoint string) string {
	args := "'" + format + "'"
	if structure != "" {
		args += ", '" + structure + "'"
	}
	if !strings.HasPrefix(glob, "s3://") {
		return fmt.Sprintf("file('%s', %s)", glob, args)
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(glob, "s3://"), "/")
	url := "https://" + bucket + ".s3.amazonaws.com/" + key
	if endpoint != "" {
		url = strings.TrimRight(endpoint, "/") + "/" + bucket + "/" + key
	}
	return fmt.Sprintf("s3('%s', %s)", url, args)
}

// columns lists the columns of a kind's table, the members its exported
// lines carry (kinds.Spec.Columns), each of type typ, one a line; lower
// cases the names where the engine does.
func columns(spec *kinds.Spec, typ string, lower bool) string {
	cols := spec.Columns()
	lines := make([]string, len(cols))
	for i, c := range cols {
		t := typ
		if c == "imported" {
			// The file an imported record came from, and its SHA-256.
			t = "struct<file:string,sha256:string>"
			if lower {
				t = "row(file varchar, sha256 varchar)"
			}
		}
		if lower {
			c = strings.ToLower(c)
		}
		lines[i] = "  " + c + " " + t
	}
	return strings.Join(lines, ",\n")
}

// SurveyArchive opens the archive in dir read-only and surveys it (see
// Survey).
func SurveyArchive(ctx context.Context, dir string, lockTimeout time.Duration) (Layout, error) {
	st, err := archive.Open(ctx, dir, archive.Options{ReadOnly: true, LockTimeout: lockTimeout})
	if err != nil {
		return Layout{}, fmt.Errorf("ddl: %w", err)
	}
	defer st.Close()
	var l Layout
	err = st.View(func(r *archive.Reader) error {
		var err error
		l, err = Survey(r)
		return err
	})
	return l, err
}
