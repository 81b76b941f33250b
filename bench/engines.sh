#!/usr/bin/env bash
# Measures the partitioned export at 1,000,000 log items in both formats:
# export time and bytes, and the README's failed-launch query in ClickHouse
# (chDB) and DuckDB over each. Needs the engines installed as .ci/run
# installs them (ARCHIVER_ENGINES_DIR) and node.
#
#   bash bench/engines.sh [SCRATCH_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
# Binaries as README builds them: pure Go, statically linked.
export CGO_ENABLED=0
repo=$(pwd)
: "${ARCHIVER_ENGINES_DIR:?set ARCHIVER_ENGINES_DIR to where the engines are installed (see .ci/run)}"
export ARCHIVER_ENGINES_DIR
work=${1:-$(mktemp -d)}
mkdir -p "$work"
go build -o "$work/" ./cmd/... # archiver and archiver-full
go build -o "$work/querybench" ./bench/querybench
cd "$work"
[ -d arch ] || ./querybench -generate arch -jobs 10000 -per-job 100
# The README's query for each engine, as the engine tests read it.
for engine in clickhouse duckdb; do
  awk -v m="<!-- sql: failed-launches $engine -->" '$0 == m {on=1; next} on && /^```sql/ {next} on && /^```/ {exit} on {print}' "$repo/README.md" > "q-$engine.sql"
done
TIMEFORMAT='%R s wall, %U s user, %S s sys'
# The layout before months: a partition per day.
rm -rf out-day
echo "export jsonl --partition day: $( { time ./archiver --archive arch export --out-dir out-day --partition day 2>/dev/null; } 2>&1 ), $(find out-day -name 'part-*' | wc -l) parts"
for format in jsonl parquet; do
  rm -rf "out-$format"
  echo "export $format: $( { time ./archiver --archive arch export --out-dir "out-$format" --format "$format" 2>/dev/null; } 2>&1 ), $(find "out-$format" -name 'part-*' | wc -l) parts, $(find "out-$format" -name 'part-*' -printf '%s\n' | awk '{s+=$1} END {print s}') bytes"
  for engine in clickhouse duckdb; do
    ./archiver --archive arch export --ddl "$engine" --format "$format" --out-dir "out-$format" > "ddl-$engine-$format.sql"
    echo "$engine $format: $(node "$repo/bench/enginebench.cjs" "$engine" "ddl-$engine-$format.sql" "q-$engine.sql" 7)"
  done
done
