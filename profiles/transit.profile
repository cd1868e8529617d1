# obol card profile "transit": a JT/T 978 style transit card, ordinary card type
# (full fare), anonymous. Format: docs/profiles.md; the application and its file
# layout: cardsim/applets/transit/transit.h. All keys are TEST keys (test-keys-apps).
include test-keys-apps

card serial=0000000000000101 issuer=2900000000000000 journal=512

include transit-app
# EF 0015 public application data: issuer (8) type 02 version 01 application serial (10)
# start 2026-01-01 expiry 2036-12-31, card type 01 ordinary, discount 100 % (0x64).
ef fid=0015 sfi=15 type=transparent read=always write=never data=${issuer}_02_01_0000${serial}_20260101_20361231_01_64
# EF 0016 holder and issuer: anonymous (no name, no id, no discount period), issuing
# city 2900, operator 00000001.
ef fid=0016 sfi=16 type=transparent read=always write=never data=0000000000000000000000000000000000000000_00_000000000000000000000000000000000000_00000000_00000000_2900_00000001_000000
