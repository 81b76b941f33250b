#!/usr/bin/env bash
# Runs the query benchmark recorded in BENCHMARKS.md ("Queries on 1,000,000
# log items"): generates an archive of a large emulated DRS history with the
# real sync, exports it, loads the same records into SQLite with FTS5, and
# times the same three questions on the archiver, on jq and grep over the
# export, and on SQLite. Needs jq and sqlite3 (with FTS5) on the PATH. Takes
# about 8 minutes on 2 CPUs and 4 GB of scratch disk at its peak; run it on
# an otherwise idle machine.
#
# JOBS and PER_JOB size the history (default 10000 x 100); RUNS, JQ_RUNS and
# SQLITE_RUNS the timed runs; WORK, the scratch directory, is kept when set.
set -euo pipefail
cd "$(dirname "$0")/.."
# Binaries as README builds them: pure Go, statically linked.
export CGO_ENABLED=0
jobs=${JOBS:-10000}
per_job=${PER_JOB:-100}
if [ -n "${WORK:-}" ]; then
	work=$WORK
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/archiver-querybench.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi
archive=$work/archive
export_file=$work/export.json
db=$work/records.db

# elapsed prints the seconds since $1, a date +%s.%N reading.
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

echo "== machine"
echo "cpus: $(getconf _NPROCESSORS_ONLN), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3), $(jq --version), sqlite3 $(sqlite3 --version | cut -d' ' -f1)"

go build -o "$work/" ./cmd/... # archiver and archiver-full
go build -o "$work/querybench" ./bench/querybench
# The floor of any Go process: a program that does nothing.
mkdir -p "$work/empty"
printf 'package main\n\nfunc main() {}\n' >"$work/empty/main.go"
(cd "$work/empty" && go build -o "$work/empty-program" main.go)

echo "== generate: emulator, then sync (fetch, archive, full-text index)"
rm -rf "$archive"
"$work/querybench" -generate "$archive" -jobs "$jobs" -per-job "$per_job" | tee "$work/generate.txt"
raw=$(awk '$1 == "raw-bytes" { print $2 }' "$work/generate.txt")

echo "== export"
start=$(date +%s.%N)
"$work/archiver" --archive "$archive" export --out "$export_file"
echo "export took $(elapsed "$start") s, $(stat -c %s "$export_file") bytes"

echo "== SQLite: records(kind, job_id, time, data) + FTS5 over the indexed text"
start=$(date +%s.%N)
"$work/querybench" -rows "$export_file" >"$work/rows.csv"
rm -f "$db"
sqlite3 "$db" >/dev/null <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE staging(kind TEXT, job_id TEXT, time TEXT, data TEXT, text TEXT);
.import --csv "$work/rows.csv" staging
CREATE TABLE records(kind TEXT, job_id TEXT, time TEXT, data TEXT);
INSERT INTO records(rowid, kind, job_id, time, data) SELECT rowid, kind, job_id, time, data FROM staging;
CREATE VIRTUAL TABLE records_text USING fts5(text, content='');
INSERT INTO records_text(rowid, text) SELECT rowid, text FROM staging;
DROP TABLE staging;
CREATE INDEX records_job_id ON records(job_id);
CREATE INDEX records_time ON records(time);
INSERT INTO records_text(records_text) VALUES ('optimize');
VACUUM;
SQL
rm -f "$work/rows.csv"
echo "SQLite build took $(elapsed "$start") s, $(stat -c %s "$db") bytes"
# The steps above wrote a gigabyte: let it reach the disk before anything is
# timed, or the kernel's writeback runs beside the first measurements (the
# archiver's, which come first) and not beside the later ones.
sync

"$work/querybench" -measure "$archive" -per-job "$per_job" -archiver "$work/archiver" -empty "$work/empty-program" -export "$export_file" -sqlite "$db" -raw-bytes "$raw" \
	-runs "${RUNS:-21}" -jq-runs "${JQ_RUNS:-5}" -sqlite-runs "${SQLITE_RUNS:-11}"
