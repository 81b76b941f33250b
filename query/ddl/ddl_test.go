package ddl_test

import (
	"strings"
	"testing"
	"time"

	"github.com/archiver-dev/archiver/query/ddl"
)

func TestDDLDialects(t *testing.T) {
	layout := ddl.Layout{Regions: []string{"ap-southeast-6", "cn-north-1", ddl.NoRegion}, Earliest: time.Date(2024, 3, 9, 1, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		name string
		o    ddl.Options
		ok   bool
		want []string
	}{
		{"unknown dialect", ddl.Options{Dialect: "hive", Location: "s3://b/p", Layout: layout}, false, nil},
		{"athena in a directory", ddl.Options{Dialect: ddl.Athena, Location: "/srv/export", Layout: layout}, false, nil},
		{"athena with no region", ddl.Options{Dialect: ddl.Athena, Location: "s3://b/p"}, false, nil},
		{"unknown partition", ddl.Options{Dialect: ddl.DuckDB, Location: "/srv/export", Layout: ddl.Layout{Partition: "week"}}, false, nil},
		{"athena by month", ddl.Options{Dialect: ddl.Athena, Location: "s3://b/p/", Layout: layout}, true, []string{
			"'storage.location.template' = 's3://b/p/kind=drs.jobLogItem/region=${region}/dt=${dt}/'",
			"'projection.region.values' = 'ap-southeast-6,cn-north-1,none'",
			"'projection.dt.range' = '2024-03,NOW'", "'projection.dt.format' = 'yyyy-MM'", "'projection.dt.interval.unit' = 'MONTHS'",
			"'case.insensitive' = 'false'", "'mapping.jobid' = 'jobID'", "'mapping.deletedupstreamat' = 'deletedUpstreamAt'",
		}},
		{"athena by day", ddl.Options{Dialect: ddl.Athena, Location: "s3://b/p", Layout: ddl.Layout{Regions: layout.Regions, Earliest: layout.Earliest, Partition: ddl.Day}}, true, []string{
			"'projection.dt.range' = '2024-03-09,NOW'", "'projection.dt.format' = 'yyyy-MM-dd'", "'projection.dt.interval.unit' = 'DAYS'",
		}},
		{"trino", ddl.Options{Dialect: ddl.Trino, Location: "s3://b/p", Layout: layout}, true, []string{
			"partition_projection_values = ARRAY['ap-southeast-6', 'cn-north-1', 'none']",
			"partition_projection_range = ARRAY['2024-03', 'NOW']",
			"'mapping.jobid'", "'jobID'", "format = 'OPENX_JSON'",
		}},
		{"clickhouse over S3", ddl.Options{Dialect: ddl.ClickHouse, Location: "s3://b/p", Layout: layout}, true, []string{
			"s3('https://b.s3.amazonaws.com/p/kind=drs.job/region=*/dt=*/*.jsonl.gz', 'JSONEachRow'", "use_hive_partitioning = 1",
		}},
		{"clickhouse over a moto endpoint", ddl.Options{Dialect: ddl.ClickHouse, Location: "s3://b/p", Endpoint: "http://127.0.0.1:5000/", Layout: layout}, true, []string{
			"s3('http://127.0.0.1:5000/b/p/kind=drs.job/region=*/dt=*/*.jsonl.gz'",
		}},
		{"clickhouse over a directory", ddl.Options{Dialect: ddl.ClickHouse, Location: "/srv/export", Layout: layout}, true, []string{
			"file('/srv/export/kind=drs.job/region=*/dt=*/*.jsonl.gz', 'JSONEachRow'",
		}},
		{"unknown format", ddl.Options{Dialect: ddl.DuckDB, Location: "/srv/export", Format: "csv", Layout: layout}, false, nil},
		{"athena parquet", ddl.Options{Dialect: ddl.Athena, Location: "s3://b/p", Format: ddl.Parquet, Layout: layout}, true, []string{
			"STORED AS PARQUET", "`time` timestamp", "`jobid` string", "`data` string", "'projection.region.values' = 'ap-southeast-6,cn-north-1,none'",
		}},
		{"trino parquet", ddl.Options{Dialect: ddl.Trino, Location: "s3://b/p", Format: ddl.Parquet, Layout: layout}, true, []string{
			"format = 'PARQUET'", "\"time\" timestamp(6)", "partition_projection_range = ARRAY['2024-03', 'NOW']",
		}},
		{"clickhouse parquet", ddl.Options{Dialect: ddl.ClickHouse, Location: "/srv/export", Format: ddl.Parquet, Layout: layout}, true, []string{
			"file('/srv/export/kind=drs.job/region=*/dt=*/*.parquet', 'Parquet')",
		}},
		{"duckdb parquet", ddl.Options{Dialect: ddl.DuckDB, Location: "/srv/export", Format: ddl.Parquet, Layout: layout}, true, []string{
			"read_parquet('/srv/export/kind=drs.job/region=*/dt=*/*.parquet', hive_partitioning = true",
		}},
		{"duckdb", ddl.Options{Dialect: ddl.DuckDB, Location: "/srv/export", Layout: layout}, true, []string{
			"read_json('/srv/export/kind=drs.job/region=*/dt=*/*.jsonl.gz'", "data: 'JSON'", "hive_partitioning = true",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, err := ddl.Statements(tc.o)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok %v", err, tc.ok)
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("statements lack %s:\n%s", w, text)
				}
			}
		})
	}
}
