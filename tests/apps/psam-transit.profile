# obol test profile: the transit operator's PSAM (a gate's or a bus validator's). It holds
# the transit purchase master key itself (TEST-TRANSIT-MPK-01, two-level dispersion,
# version 01) and the TAC master. TEST KEYS. Terminal id 290000000001.
include ../../profiles/test-keys-apps.profile
card serial=0000000000009101 issuer=2900000000000000 journal=256
app class=psam aid=F06F626F6C5053414D01 fid=1001 ttn=0
ef fid=0015 sfi=15 type=transparent read=always write=never data=0000${serial}
ef fid=0016 sfi=16 type=transparent read=always write=never data=290000000001
key usage=psam_purchase2 version=1 master=TEST-TRANSIT-MPK-01 disperse=none
key usage=psam_tac1 version=1 master=TEST-TRANSIT-MTK-01 disperse=none
