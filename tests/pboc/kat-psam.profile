# obol test profile: a PSAM whose one-level purchase master key is the PROTOCOLS.md
# dispersion example (TEST-MPK-01 = 0123..3210), so that a card serial 1234567890ABCDEF
# gets the published DPK 479EF7C1ECFE64AC 9BB75999A2E5CD53. TEST KEYS. Next TTN 00000010.
masterkey TEST-MPK-01 0123456789ABCDEFFEDCBA9876543210
card serial=0000000000009001
app class=psam aid=F06F626F6C5053414D01 ttn=0x0F
ef fid=0016 sfi=16 type=transparent data=112233445566
key usage=psam_purchase1 version=1 master=TEST-MPK-01 disperse=none
key usage=psam_purchase2 version=2 master=TEST-MPK-01 disperse=none
key usage=psam_tac1 version=1 master=TEST-MPK-01 disperse=none
