#!/usr/bin/env bash
# obol run / validate / list: usage contract (--help, exit 2 with one line), validation
# errors with file:line (exit 1), a passing run (exit 0, three report files), a failing
# run (exit 1), byte-identical reports for the same scenario and seed, no progress
# output when not on a terminal.
set -u
obol=$1
here=$2
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
expect() { # expect CODE STDERR-LINES ARGS...
    local code=$1 lines=$2; shift 2
    local err rc n
    err=$("$obol" "$@" 2>&1 >/dev/null); rc=$?
    n=$(printf '%s' "$err" | grep -c '' || true)
    if [ "$rc" -ne "$code" ] || { [ "$lines" != any ] && [ "$n" -ne "$lines" ]; }; then
        bad "obol $* -> exit $rc (want $code), $n stderr lines (want $lines): $err"
    else
        ok "obol $* -> $rc"
    fi
}
expect 0 0 run --help
expect 0 0 validate --help
expect 0 0 list --help
expect 2 1 run
expect 2 1 run --bogus x
expect 2 1 run --seed abc "$here/data/small.xml"
expect 2 1 run /nonexistent/scenario.xml
expect 2 1 run no_such_scenario
expect 2 1 validate
expect 2 1 validate /nonexistent.xml
expect 2 1 list extra
expect 0 0 validate "$here/data/small.xml" metro_peak
expect 1 1 validate "$here/bad/missing_attribute.xml"

# Validation errors name file:line.
err=$("$obol" validate "$here/bad/unknown_metric.xml" 2>&1 >/dev/null)
case "$err" in
*"bad/unknown_metric.xml:32: attribute 'metric': unknown metric 'tap_ms.p98'"*) ok "file:line in '$err'" ;;
*) bad "validate message: $err" ;;
esac

# The library lists every scenario with a description.
n=$("$obol" list | wc -l)
[ "$n" -ge 9 ] && ok "list: $n scenarios" || bad "list printed $n lines"
"$obol" list | grep -q '^metro_peak  *Two metro lines' && ok "list describes metro_peak" || bad "list lacks metro_peak"
"$obol" list --metrics | grep -q '^tap_ms.p99 ' && ok "list --metrics" || bad "list --metrics"

# A passing run writes the three reports and exits 0; nothing but lines on stdout.
out=$("$obol" run --report-dir "$tmp/a" "$here/data/small.xml" 2>"$tmp/err"); rc=$?
[ "$rc" -eq 0 ] && ok "small run passes" || bad "small run exit $rc: $out $(cat "$tmp/err")"
for f in junit.xml index.html report.json; do
    [ -s "$tmp/a/$f" ] && ok "wrote $f" || bad "no $tmp/a/$f"
done
case "$out" in *$'\r'*) bad "progress output while not on a terminal" ;; *) ok "no progress output" ;; esac
[ -s "$tmp/err" ] && bad "stderr not empty: $(cat "$tmp/err")" || ok "stderr empty"
echo "$out" | grep -q "report: $tmp/a/index.html" && ok "prints where the report is" || bad "no report line: $out"

# The same scenario and seed give byte-identical reports.
"$obol" run -q --report-dir "$tmp/b" "$here/data/small.xml" >/dev/null 2>&1
for f in junit.xml index.html report.json; do
    cmp -s "$tmp/a/$f" "$tmp/b/$f" && ok "$f byte-identical" || bad "$f differs between runs"
done
"$obol" run -q --seed 5 --report-dir "$tmp/c" "$here/data/small.xml" >/dev/null 2>&1
cmp -s "$tmp/a/report.json" "$tmp/c/report.json" && bad "--seed changed nothing" || ok "--seed changes the run"
grep -q '"seed": 5,' "$tmp/c/report.json" && ok "--seed is reported" || bad "--seed not in report.json"

# Explicit file names.
"$obol" run -q --junit "$tmp/j.xml" --html "$tmp/h.html" --json "$tmp/r.json" --report-dir "$tmp/d" \
    "$here/data/small.xml" >/dev/null 2>&1
[ -s "$tmp/j.xml" ] && [ -s "$tmp/h.html" ] && [ -s "$tmp/r.json" ] && ok "explicit report paths" || bad "explicit report paths"

# A failing check makes the run exit 1 and says which.
out=$("$obol" run --report-dir "$tmp/e" "$here/data/small_slow.xml" 2>&1); rc=$?
[ "$rc" -eq 1 ] && ok "slow chip run exits 1" || bad "slow chip run exit $rc"
echo "$out" | grep -q 'fail TRANSIT-LAT-01' && ok "names the failed check" || bad "no failed check named: $out"
grep -q '<failure message="tap_ms.p99 = ' "$tmp/e/junit.xml" && ok "JUnit failure" || bad "no JUnit failure"

# An invalid scenario in a run: exit 1, reported as an error, the others still run.
out=$("$obol" run -q --report-dir "$tmp/f" "$here/bad/bad_operator.xml" "$here/data/small.xml" 2>&1); rc=$?
[ "$rc" -eq 1 ] && ok "invalid scenario fails the run" || bad "invalid scenario exit $rc"
grep -q 'testsuite name="small"' "$tmp/f/junit.xml" && grep -q '<error message=' "$tmp/f/junit.xml" \
    && ok "invalid scenario reported, others ran" || bad "junit after an invalid scenario"
exit $fail
