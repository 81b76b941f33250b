// Package ddl writes the CREATE TABLE statements that let Athena or Trino
// read a partitioned export (see package s3dest) where it lies in S3.
package ddl

import (
	"fmt"
	"strings"

	"github.com/archiver-dev/archiver/archive"
	"github.com/archiver-dev/archiver/archive/kinds"
)

// NoRegion is the region partition of records that name no region.
const NoRegion = "none"

// DDL dialects.
const (
	Athena = "athena"
	Trino  = "trino"
)

// TrinoSchema is the schema Trino DDL's partition sync names: the statements
// create their tables in the current schema, which should be this one.
const TrinoSchema = "default"

// Regions lists the AWS regions an Athena table's region partition is
// projected over, with NoRegion for records that name none.
var Regions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
	"ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ca-central-1", "ca-west-1",
	"eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1",
	"eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
	"sa-east-1", "us-east-1", "us-east-2", "us-gov-east-1", "us-gov-west-1", "us-west-1",
	"us-west-2", NoRegion,
}

// TableName returns the table name DDL gives the records of kind:
// archiver_ and the kind in lower case, dots as underscores
// (archiver_drs_joblogitem).
func TableName(kind archive.Kind) string {
	return "archiver_" + strings.ToLower(strings.ReplaceAll(string(kind), ".", "_"))
}

// Statements returns CREATE TABLE statements, one per kind, for a partitioned
// export at location (s3://bucket/prefix) in the given dialect. Each table
// reads one kind's directory, with a column for each member the kind's
// lines carry (kinds.Spec.Columns); region and dt are its partition columns
// (the region member of each line is the partition's); data is the AWS
// object as a JSON string, for json_extract.
func Statements(dialect, location string) (string, error) {
	location = strings.TrimRight(location, "/")
	var b strings.Builder
	if dialect == Trino {
		fmt.Fprintf(&b, "-- Trino, Hive connector: run in schema %s (or change %q in the CALLs).\n\n", TrinoSchema, TrinoSchema)
	}
	for _, spec := range kinds.All() {
		kind := spec.Kind
		dir := location + "/kind=" + string(kind) + "/"
		switch dialect {
		case Athena:
			fmt.Fprintf(&b, `CREATE EXTERNAL TABLE IF NOT EXISTS %s (
%s
)
PARTITIONED BY (region string, dt string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '%s'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.region.type' = 'enum',
  'projection.region.values' = '%s',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '2015-01-01,NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'storage.location.template' = '%sregion=${region}/dt=${dt}/'
);

`, TableName(kind), columns(spec, "string", false), dir, strings.Join(Regions, ","), dir)
		case Trino:
			fmt.Fprintf(&b, `CREATE TABLE IF NOT EXISTS %s (
%s,
  region varchar,
  dt varchar
)
WITH (
  external_location = '%s',
  format = 'OPENX_JSON',
  partitioned_by = ARRAY['region', 'dt']
);
CALL system.sync_partition_metadata('%s', '%s', 'ADD');

`, TableName(kind), columns(spec, "varchar", true), dir, TrinoSchema, TableName(kind))
		default:
			return "", fmt.Errorf("unknown DDL dialect %q (want %s or %s)", dialect, Athena, Trino)
		}
	}
	return b.String(), nil
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
