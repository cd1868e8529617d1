# obol test profile: a transit student card (card type 03, 50 % of the full fare), the
# discount valid 2026-09-01 to 2027-08-31, registered to a made-up student. Layout:
# cardsim/applets/transit/transit.h. TEST KEYS (test-keys-apps).
include ../../profiles/test-keys-apps.profile
card serial=0000000000000102 issuer=2900000000000000 journal=512
include ../../profiles/transit-app.profile
ef fid=0015 sfi=15 type=transparent read=always write=never data=${issuer}_02_01_0000${serial}_20260101_20361231_03_32
ef fid=0016 sfi=16 type=transparent read=always write=never data=4C49205349000000000000000000000000000000_01_533230323630303031303030303030303031_20260901_20270831_2900_00000001_000000
