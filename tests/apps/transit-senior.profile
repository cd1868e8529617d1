# obol test profile: a transit senior card (card type 02, free: 0 % of the full fare),
# the discount valid from 2026-01-01 to 2099-12-31, registered to a made-up senior.
# Layout: cardsim/applets/transit/transit.h. TEST KEYS (test-keys-apps).
include ../../profiles/test-keys-apps.profile
card serial=0000000000000103 issuer=2900000000000000 journal=512
include ../../profiles/transit-app.profile
ef fid=0015 sfi=15 type=transparent read=always write=never data=${issuer}_02_01_0000${serial}_20260101_20361231_02_00
ef fid=0016 sfi=16 type=transparent read=always write=never data=57414E47205755000000000000000000000000000253454E494F523030303030303030303034322026010120991231290000000001000000
