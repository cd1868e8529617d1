# obol card profile for the interop tests: termsim's transit card (termsim/profiles/
# transit-card.profile: the PBOC purse with the trip record file, the cardholder data
# whose first byte is the card type, the application maintenance key) issued with
# 100.00 yuan in its EP, so a bus validator can take a fare through PC/SC at once.
# TEST KEYS only. Format: docs/profiles.md.
include ../../../profiles/purse-funded.profile
include ../../../termsim/profiles/term-keys.profile
ef fid=0016 sfi=16 type=transparent read=always write=never data=00_00
key usage=app_maint version=1 master=TEST-MMK-01 disperse=serial
