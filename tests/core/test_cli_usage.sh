#!/usr/bin/env bash
# The obol CLI's usage contract: --help and --version succeed; unknown commands and
# options fail with exit code 2 and a one-line message on stderr.
set -u
obol=$1
fail=0
expect() { # expect CODE LINES -- ARGS...: exit code and number of stderr lines
    local code=$1 lines=$2; shift 3
    local err rc
    err=$("$obol" "$@" 2>&1 >/dev/null); rc=$?
    local n; n=$(printf '%s' "$err" | grep -c '' || true)
    if [ "$rc" -ne "$code" ] || { [ "$lines" != any ] && [ "$n" -ne "$lines" ]; }; then
        echo "FAIL: obol $* -> exit $rc (want $code), $n stderr lines (want $lines): $err"
        fail=1
    else
        echo "ok: obol $* -> $rc"
    fi
}
expect 0 0 -- --help
expect 0 0 -- --version
expect 0 0 -- demo --help
expect 0 0 -- card --help
expect 2 1 -- --bogus
expect 2 1 -- nosuchcommand
expect 2 1 -- demo --bogus
expect 2 1 -- demo --gates 0
expect 2 1 -- demo extra-arg
expect 2 1 -- card exec /nonexistent/script.apdu
expect 2 any --
"$obol" --version | grep -q '^obol [0-9]' || { echo "FAIL: --version output"; fail=1; }
exit $fail
