# obol test profile: a pharmacy's PSAM for social security settlements: the pharmacies'
# purchase master key (TEST-SSC-PHARM-MPK-02, one level, version 02) only. TEST KEYS.
# Terminal id 310000000202.
include ../../profiles/test-keys-apps.profile
card serial=0000000000009202 issuer=3100000000000000 journal=256
app class=psam aid=F06F626F6C5053414D01 fid=1001 ttn=0
ef fid=0015 sfi=15 type=transparent read=always write=never data=0000${serial}
ef fid=0016 sfi=16 type=transparent read=always write=never data=310000000202
key usage=psam_purchase1 version=2 master=TEST-SSC-PHARM-MPK-02 disperse=none
key usage=psam_tac1 version=2 master=TEST-SSC-MTK-01 disperse=none
