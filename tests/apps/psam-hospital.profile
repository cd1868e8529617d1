# obol test profile: a hospital's PSAM for social security settlements: the hospitals'
# purchase master key (TEST-SSC-HOSP-MPK-01, one level, version 01) only. TEST KEYS.
# Terminal id 310000000101.
include ../../profiles/test-keys-apps.profile
card serial=0000000000009201 issuer=3100000000000000 journal=256
app class=psam aid=F06F626F6C5053414D01 fid=1001 ttn=0
ef fid=0015 sfi=15 type=transparent read=always write=never data=0000${serial}
ef fid=0016 sfi=16 type=transparent read=always write=never data=310000000101
key usage=psam_purchase1 version=1 master=TEST-SSC-HOSP-MPK-01 disperse=none
key usage=psam_tac1 version=1 master=TEST-SSC-MTK-01 disperse=none
