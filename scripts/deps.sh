#!/usr/bin/env bash
# Installs the Debian packages obol needs that this machine lacks.
# Usage: scripts/deps.sh [GROUP...]   groups: build test bench firmware interop python
#        (default: all)
# The package lists live in scripts/packages/<group>.txt, one package a line.
# As root it runs apt-get itself; otherwise it uses sudo when that works without a
# password, and else says exactly which command to run and exits 1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(build test bench firmware interop python)

want=()
for g in "${groups[@]}"; do
    f="$here/packages/$g.txt"
    [ -f "$f" ] || { echo "deps.sh: no package list for group '$g' ($f)" >&2; exit 2; }
    while read -r p _; do
        case "$p" in ''|'#'*) continue ;; esac
        want+=("$p")
    done <"$f"
done

missing=()
for p in "${want[@]}"; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$st" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    run=(sudo)
else
    echo "deps.sh: these Debian packages are missing: ${missing[*]}" >&2
    echo "deps.sh: run as root: apt-get install -y ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh image has no package lists yet; refresh them once if a package is unknown.
if ! "${run[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/obol-apt.log 2>&1; then
    "${run[@]}" apt-get update >>/tmp/obol-apt.log 2>&1
    "${run[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/obol-apt.log 2>&1 || {
        tail -20 /tmp/obol-apt.log >&2
        echo "deps.sh: apt-get failed; the log is /tmp/obol-apt.log" >&2
        exit 1
    }
fi
echo "deps.sh: done"
