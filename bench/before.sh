#!/usr/bin/env bash
# Times this build against earlier ones (revisions), on what the
# speed targets compare with the build before them, alternately, on the
# same machine:
#
#   - 'archiver reindex' of 100,000 log items, each build on an archive its
#     own sync made (an earlier build may not open a newer schema);
#   - 'archiver export' of 1,000,000 log items and the whole-process query
#     questions on the same history, each build on its own archive.
#
# BEFORE_REINDEX and BEFORE_ARCHIVE are the earlier revisions of the two
# parts; either left empty skips its part. ARCHIVE, if set, is the
# 1,000,000-item archive of this build (bench/query.sh's WORK/archive) to
# reuse. Needs git, and about 5 minutes on 2 CPUs; run it on an otherwise
# idle machine. WORK, the scratch directory, is kept when set.
set -euo pipefail
cd "$(dirname "$0")/.."
# Binaries as README builds them: pure Go, statically linked.
export CGO_ENABLED=0
top=$(pwd)
if [ -n "${WORK:-}" ]; then
	work=$WORK
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/archiver-before.XXXXXX")
	trap 'git -C "$top" worktree prune; rm -rf "$work"' EXIT
fi
runs=${RUNS:-5}

# build REV NAME builds the archiver and querybench of revision REV (HEAD:
# this tree) as $work/NAME/archiver (with archiver-full beside it, where
# REV has it) and $work/NAME-querybench.
build() {
	local src=$top
	if [ "$1" != HEAD ]; then
		src=$work/src-$2
		[ -d "$src" ] || git -C "$top" worktree add -q --detach "$src" "$1"
	fi
	(cd "$src" && mkdir -p "$work/$2" && go build -o "$work/$2/" ./cmd/... && go build -o "$work/$2-querybench" ./bench/querybench)
}

timed() { /usr/bin/time -f "%e s wall, %U s user, %S s system, %M KiB peak" "$@"; }

build HEAD now
mkdir -p "$work/empty"
printf 'package main\n\nfunc main() {}\n' >"$work/empty/main.go"
(cd "$work/empty" && go build -o "$work/empty-program" main.go)

if [ -n "${BEFORE_REINDEX:-}" ]; then
	echo "== reindex of 100,000 log items: $BEFORE_REINDEX against this build"
	build "$BEFORE_REINDEX" ri
	for b in ri now; do
		[ -e "$work/reindex-$b/archive.db" ] || "$work/$b-querybench" -generate "$work/reindex-$b" -jobs 1000 -per-job 100 | grep -E '^(history|sync)'
	done
	for round in $(seq "$runs"); do
		for b in ri now; do
			echo -n "reindex $b, round $round: "
			timed "$work/$b/archiver" --archive "$work/reindex-$b" reindex 2>&1 | tail -1
		done
	done
fi

if [ -n "${BEFORE_ARCHIVE:-}" ]; then
	echo "== export and queries at 1,000,000 log items: $BEFORE_ARCHIVE against this build"
	build "$BEFORE_ARCHIVE" pre
	now_archive=${ARCHIVE:-$work/archive-now}
	[ -e "$work/archive-pre/archive.db" ] || "$work/pre-querybench" -generate "$work/archive-pre" -jobs 10000 -per-job 100 | grep -E '^(history|sync|archive.db)'
	[ -e "$now_archive/archive.db" ] || "$work/now-querybench" -generate "$now_archive" -jobs 10000 -per-job 100 | grep -E '^(history|sync|archive.db)'
	for round in $(seq "$runs"); do
		for b in pre now; do
			dir=$work/archive-pre
			[ "$b" = now ] && dir=$now_archive
			echo -n "export $b, round $round: "
			timed "$work/$b/archiver" --archive "$dir" export --out "$work/export-$b.json" 2>&1 | tail -1
			rm -f "$work/export-$b.json"
		done
	done
	for round in 1 2; do
		for b in pre now; do
			dir=$work/archive-pre
			[ "$b" = now ] && dir=$now_archive
			echo "== queries $b, round $round"
			"$work/$b-querybench" -measure "$dir" -per-job 100 -archiver "$work/$b/archiver" -empty "$work/empty-program" -runs 21 -split-runs 1 |
				sed -n '/whole process/,$p'
		done
	done
fi
