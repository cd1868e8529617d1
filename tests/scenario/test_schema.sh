#!/usr/bin/env bash
# The schemas are valid XSD, and an independent validator (xmllint) accepts every
# library scenario, every test scenario and every timing profile against them.
set -u
root=$1
fail=0
command -v xmllint >/dev/null || { echo "xmllint not installed"; exit 77; }
for x in "$root"/scenarios/scenario.xsd "$root"/scenarios/profile.xsd; do
    xmllint --noout "$x" && echo "ok: $x is well-formed" || fail=1
done
for f in "$root"/scenarios/*.xml "$root"/tests/scenario/data/*.xml; do
    xmllint --noout --schema "$root/scenarios/scenario.xsd" "$f" 2>&1 | grep -q ' validates$' \
        && echo "ok: $f" || { echo "FAIL: $f"; xmllint --noout --schema "$root/scenarios/scenario.xsd" "$f"; fail=1; }
done
for f in "$root"/scenarios/profiles/*.xml; do
    xmllint --noout --schema "$root/scenarios/profile.xsd" "$f" 2>&1 | grep -q ' validates$' \
        && echo "ok: $f" || { echo "FAIL: $f"; fail=1; }
done
# A schema error the loader reports is one xmllint finds too.
if xmllint --noout --schema "$root/scenarios/scenario.xsd" "$root/tests/scenario/bad/missing_attribute.xml" 2>/dev/null; then
    echo "FAIL: xmllint accepted bad/missing_attribute.xml"; fail=1
else
    echo "ok: xmllint rejects bad/missing_attribute.xml"
fi
exit $fail
