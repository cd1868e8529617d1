# obol card profile "transit-card": the PBOC purse of profiles/purse.profile (its trip
# record file EF 0017 included) with what a transit terminal also reads and needs:
# EF 0016 cardholder data whose first byte is the card type (PBOC 2.0 part 1), and
# the application maintenance key for APPLICATION BLOCK of a blacklisted card.
# Card type 0 (adult); transit-student / transit-senior set 1 / 2. Format:
# docs/profiles.md; the card types are the fare tables' (host_fare.h).
include ../../profiles/purse.profile
include term-keys
ef fid=0016 sfi=16 type=transparent read=always write=never data=00_00
key usage=app_maint version=1 master=TEST-MMK-01 disperse=serial
