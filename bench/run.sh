#!/usr/bin/env bash
# Runs the benchmarks recorded in BENCHMARKS.md: the archive writer's Go
# benchmark, then sync against fetch-only at 50,000 log items, at several
# emulated network latencies. Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-15}

echo "== machine"
echo "cpus: $(getconf _NPROCESSORS_ONLN), $(go version)"

echo "== archive writer"
go test -run - -bench PutLogItems -benchtime 5x ./archive/

go build -o "${TMPDIR:-/tmp}/archiver-syncbench" ./bench/syncbench
for latency in 0s 2ms 5ms 10ms 50ms; do
	n=$runs
	[ "$latency" = 10ms ] && n=9
	[ "$latency" = 50ms ] && n=3
	echo "== sync vs fetch-only, emulator latency $latency per call"
	"${TMPDIR:-/tmp}/archiver-syncbench" -log-items 50000 -runs "$n" -latency "$latency"
done

echo "== an organization: 20 accounts x 10 regions, 50 ms per call, at several target concurrencies"
go run ./bench/orgbench -accounts 20 -regions 10 -jobs 50 -log-items 20 -latency 50ms -concurrency 1,4,8,16
