#!/usr/bin/env bash
# Runs every benchmark built into BUILD/bench/ (default: build), one after another.
# Each prints its figures as `BENCH <name> <value> <unit>` lines; this script adds
# nothing to them and fails if any benchmark fails.
set -u
build=${1:-build}
status=0
for b in "$build"/bench/bench_*; do
    [ -x "$b" ] || continue
    echo "== $(basename "$b")" >&2
    "$b" || { echo "bench/run.sh: $(basename "$b") failed" >&2; status=1; }
done
exit $status
