#!/usr/bin/env bash
# Runs the scale benchmark recorded in BENCHMARKS.md ("Ten million log
# items"): builds two archives of the emulated DRS history with the real
# sync, 1,000,000 and 10,000,000 log items (100 a job), rebuilds each one's
# index as 'archiver reindex' does, and times the same questions on both,
# alternately, beside a Go program that does nothing. The full-text
# question finds ten times the records in the larger archive, so it is also
# asked for its first 2,000 records, an answer of one size in both.
#
# Needs about 17 GB of memory (the emulator holds the whole history), 8 GB
# of scratch disk and about 20 minutes on 2 CPUs; run it on an otherwise idle
# machine. SMALL and LARGE are the jobs of the two histories (default 10000
# and 100000); WORK, the scratch directory, is kept when set; RUNS is the
# timed runs of each question.
set -euo pipefail
cd "$(dirname "$0")/.."
# Binaries as README builds them: pure Go, statically linked.
export CGO_ENABLED=0
small=${SMALL:-10000}
large=${LARGE:-100000}
runs=${RUNS:-21}
if [ -n "${WORK:-}" ]; then
	work=$WORK
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/archiver-scale.XXXXXX")
	trap 'rm -rf "$work"' EXIT
fi

echo "== machine"
echo "cpus: $(getconf _NPROCESSORS_ONLN), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(go version | cut -d' ' -f3), memory $(free -g | awk '/^Mem/ { print $2 }') GiB"

go build -o "$work/" ./cmd/... # archiver and archiver-full
go build -o "$work/querybench" ./bench/querybench
mkdir -p "$work/empty"
printf 'package main\n\nfunc main() {}\n' >"$work/empty/main.go"
(cd "$work/empty" && go build -o "$work/empty-program" main.go)

for jobs in "$small" "$large"; do
	dir=$work/archive-$jobs
	if [ ! -e "$dir/archive.db" ]; then
		echo "== generate $jobs jobs of 100 log items: emulator, then sync (fetch, archive, full-text index)"
		"$work/querybench" -generate "$dir" -jobs "$jobs" -per-job 100 | tee "$work/generate-$jobs.txt"
	fi
	echo "== reindex $jobs jobs"
	/usr/bin/time -f "reindex: %e s wall, %U s user, %S s system, %M KiB peak" \
		"$work/archiver" --archive "$dir" reindex
done

# Alternate the two archives, twice, so that both see the same machine.
for round in 1 2; do
	for jobs in "$small" "$large"; do
		raw=$(awk '$1 == "raw-bytes" { print $2 }' "$work/generate-$jobs.txt")
		echo "== measure $jobs jobs, round $round"
		"$work/querybench" -measure "$work/archive-$jobs" -per-job 100 -archiver "$work/archiver" \
			-empty "$work/empty-program" -raw-bytes "$raw" -runs "$runs" -split-runs 5 -text-max-items 2000
	done
done
