#!/usr/bin/env bash
# Runs every measurement of the speed targets recorded in BENCHMARKS.md
# ("Speed targets"), in one run, each beside its anchor:
#
#   1. sync with its full-text index against fetch-only (the same SDK
#      paginators, storing nothing), 50,000 log items, the emulator in this
#      process and in a process of its own, at 0 and 2 ms per call; and
#      'archiver reindex' throughput;
#   2. queries, start-up and sizes at 1,000,000 log items against SQLite
#      FTS5, jq and grep over the export, and a Go program that does nothing
#      (bench/query.sh);
#   3. queries started during a first sync of 75,000 log items, and on the
#      archive of a sync that built no index (bench/firstsyncbench);
#   4. the same at 10,000,000 log items beside 1,000,000 (bench/scale.sh).
#
# Needs what bench/query.sh and bench/scale.sh need (jq, sqlite3 with FTS5,
# about 17 GB of memory and 10 GB of scratch disk) and about half an hour
# on 2 CPUs; run it on an otherwise idle machine. WORK, the scratch
# directory, is kept when set; RUNS is the runs of each syncbench mode.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
if [ -n "${WORK:-}" ]; then
	work=$WORK
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/archiver-speed.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi
echo "== machine"
echo "cpus: $(getconf _NPROCESSORS_ONLN), $(go version), load $(cut -d' ' -f1-3 /proc/loadavg)"

go build -o "$work/syncbench" ./bench/syncbench
for where in inprocess process; do
	for latency in 0s 2ms; do
		echo "== sync with its index against fetch-only: emulator $where, $latency per call"
		"$work/syncbench" -log-items 50000 -runs "$runs" -latency "$latency" -emulator "$where" -index during
	done
done
echo "== reindex throughput"
"$work/syncbench" -log-items 50000 -runs 1 -reindex 5

echo "== 1,000,000 log items"
WORK=$work/query bash bench/query.sh

echo "== queries during a first sync"
go build -o "$work/firstsyncbench" ./bench/firstsyncbench
"$work/firstsyncbench" -archiver "archiver=$work/query/archiver" -log-items 75000 -runs 5 -unindexed-runs 3

echo "== 10,000,000 log items beside 1,000,000"
mkdir -p "$work/scale"
ln -sfn "$work/query/archive" "$work/scale/archive-10000"
cp "$work/query/generate.txt" "$work/scale/generate-10000.txt"
WORK=$work/scale bash bench/scale.sh
