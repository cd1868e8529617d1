# obol termsim test profile: the purse's AID as a plain named DF (no applet), with the
# public data a terminal reads and the application maintenance key. The card OS
# itself answers APPLICATION BLOCK here, so a test can check the terminal's block
# (GET CHALLENGE, MAC from the security module, 84 1E) end to end.
include ../../profiles/test-keys.profile
include ../../termsim/profiles/term-keys.profile

card serial=0000000000000001 issuer=1234567800000000 journal=256

df fid=1001 name=A00000000386980701
ef fid=0015 sfi=15 type=transparent read=always write=never data=${issuer}_03_01_0000${serial}_20260101_20361231_0000
ef fid=0016 sfi=16 type=transparent read=always write=never data=00_00
key usage=app_maint version=1 master=TEST-MMK-01 disperse=serial
