#!/usr/bin/env bash
# Measures what every archiver command pays before it does any work
# (BENCHMARKS.md, "Start-up: what each library adds"): the start-up of
# 'archiver version' beside a Go program that does nothing and beside
# programs that only link one of the archiver's libraries each (their
# package initialisers run, nothing else), all built statically as README
# builds the archiver, plus the archiver built with cgo (dynamically
# linked). Also times, warm, the Levenshtein automata that bleve's scorch
# package builds in its initialiser. BEFORE, a revision, adds the archiver
# of that build (statically linked too) beside this one. ARCHIVE, an
# archive directory (bench/query.sh's), with JOB_ID, FROM and TO (the
# questions query.sh printed), adds 'archiver query' of that job and that
# stretch of time, and of query.sh's full-text question, each beside
# 'archiver-full query' (the same answer with no hand-over: archiver
# answers the first two itself and hands the third to archiver-full) and
# beside bench/litequery's answers to the first two (a floor: only bbolt,
# zstd, urfave/cli and the archive package). Needs the Go module cache of
# this checkout and git; takes about 2 minutes (5 with ARCHIVE). RUNS is the runs of each program; WORK, the
# scratch directory, is kept when set.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
export CGO_ENABLED=0
if [ -n "${WORK:-}" ]; then
	work=$WORK
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/archiver-startup.XXXXXX")
	trap 'git -C "$top" worktree prune; rm -rf "$work"' EXIT
fi
echo "== machine"
echo "cpus: $(getconf _NPROCESSORS_ONLN), $(go version), load $(cut -d' ' -f1-3 /proc/loadavg)"

go build -o "$work/startbench" ./bench/startbench
go build -o "$work/" ./cmd/... # archiver and archiver-full
mkdir -p "$work/cgo"
CGO_ENABLED=1 go build -o "$work/cgo/" ./cmd/...
before=()
if [ -n "${BEFORE:-}" ]; then
	rm -rf "$work/src-before"
	git worktree add -q --detach "$work/src-before" "$BEFORE"
	mkdir -p "$work/before"
	(cd "$work/src-before" && go build -o "$work/before/" ./cmd/...)
	git worktree remove --force "$work/src-before"
	before=("archiver-version-$BEFORE=$work/before/archiver version")
fi

# program NAME BODY PACKAGES... builds $work/NAME from a main package that
# imports PACKAGES (blank unless BODY uses them) and runs BODY, in a module
# with this checkout's requirements.
program() {
	local name=$1 body=$2
	shift 2
	local dir=$work/src/$name
	mkdir -p "$dir"
	sed 's#^module .*#module startup/'"$name"'#' "$top/go.mod" >"$dir/go.mod"
	cp "$top/go.sum" "$dir/go.sum"
	{
		echo "package main"
		echo "import ("
		for p in "$@"; do
			case $p in
			*=*) echo "	${p%%=*} \"${p#*=}\"" ;;
			*) echo "	_ \"$p\"" ;;
			esac
		done
		echo ")"
		echo "func main() { $body }"
	} >"$dir/main.go"
	(cd "$dir" && GOFLAGS=-mod=mod go build -o "$work/$name" .)
}

program empty ""
program bleve "" github.com/blevesearch/bleve/v2
program sdk "" github.com/aws/aws-sdk-go-v2/config github.com/aws/aws-sdk-go-v2/service/drs \
	github.com/aws/aws-sdk-go-v2/service/snowball github.com/aws/aws-sdk-go-v2/service/organizations \
	github.com/aws/aws-sdk-go-v2/service/s3 github.com/aws/aws-sdk-go-v2/service/sts
program parquet "" github.com/parquet-go/parquet-go
program cli "" github.com/urfave/cli/v2
program bbolt-zstd "" go.etcd.io/bbolt github.com/klauspost/compress/zstd
program all-libraries "" github.com/blevesearch/bleve/v2 github.com/aws/aws-sdk-go-v2/config \
	github.com/aws/aws-sdk-go-v2/service/drs github.com/aws/aws-sdk-go-v2/service/snowball \
	github.com/aws/aws-sdk-go-v2/service/organizations github.com/aws/aws-sdk-go-v2/service/s3 \
	github.com/aws/aws-sdk-go-v2/service/sts github.com/parquet-go/parquet-go github.com/urfave/cli/v2 \
	go.etcd.io/bbolt github.com/klauspost/compress/zstd
program levenshtein '
	var ds []time.Duration
	for range 7 {
		start := time.Now()
		if _, err := lev.NewLevenshteinAutomatonBuilder(1, true); err != nil { panic(err) }
		if _, err := lev.NewLevenshteinAutomatonBuilder(2, true); err != nil { panic(err) }
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	fmt.Printf("the Levenshtein automata of bleve'"'"'s scorch initialiser (edit distances 1 and 2), built warm: median %.1f ms of 7\n", float64(ds[3])/1e6)' \
	fmt=fmt slices=slices time=time lev=github.com/blevesearch/vellum/levenshtein

queries=()
if [ -n "${ARCHIVE:-}" ]; then
	go build -o "$work/litequery" ./bench/litequery
	job=(query --job-id "${JOB_ID:?JOB_ID is needed with ARCHIVE}")
	range=(query --from "${FROM:?FROM is needed with ARCHIVE}" --to "${TO:?TO is needed with ARCHIVE}")
	# Both answer with the same records.
	for q in job range; do
		declare -n args=$q
		a=$("$work/archiver" --archive "$ARCHIVE" "${args[@]}" --output jsonl | wc -l)
		l=$("$work/litequery" --archive "$ARCHIVE" "${args[@]}" | wc -l)
		if [ "$a" != "$l" ]; then
			echo "startup.sh: ${args[*]}: the archiver answers $a records, litequery $l" >&2
			exit 1
		fi
		echo "$q: ${args[*]}: $a records"
	done
	text=(query --text InsufficientInstanceCapacity)
	for q in job range text; do
		declare -n args=$q
		if ! cmp -s <("$work/archiver" --archive "$ARCHIVE" "${args[@]}" --output jsonl) \
			<("$work/archiver-full" --archive "$ARCHIVE" "${args[@]}" --output jsonl); then
			echo "startup.sh: ${args[*]}: archiver and archiver-full answer differently" >&2
			exit 1
		fi
	done
	queries=("archiver-job-ID=$work/archiver --archive $ARCHIVE ${job[*]} --output jsonl"
		"archiver-full-job-ID=$work/archiver-full --archive $ARCHIVE ${job[*]} --output jsonl"
		"litequery-job-ID=$work/litequery --archive $ARCHIVE ${job[*]}"
		"archiver-date-range=$work/archiver --archive $ARCHIVE ${range[*]} --output jsonl"
		"archiver-full-date-range=$work/archiver-full --archive $ARCHIVE ${range[*]} --output jsonl"
		"litequery-date-range=$work/litequery --archive $ARCHIVE ${range[*]}"
		"archiver-full-text=$work/archiver --archive $ARCHIVE ${text[*]} --output jsonl"
		"archiver-full-full-text=$work/archiver-full --archive $ARCHIVE ${text[*]} --output jsonl"
		"litequery-version=$work/litequery version")
fi

echo "== start-up"
"$work/startbench" -runs "${RUNS:-41}" "empty=$work/empty" "bbolt+zstd=$work/bbolt-zstd" "urfave/cli=$work/cli" \
	"parquet-go=$work/parquet" "SDK=$work/sdk" "bleve=$work/bleve" "all-libraries=$work/all-libraries" \
	"archiver-version=$work/archiver version" "archiver-full-version=$work/archiver-full version" \
	"archiver-version-cgo=$work/cgo/archiver version" "${before[@]}" \
	"${queries[@]}"
"$work/levenshtein"
