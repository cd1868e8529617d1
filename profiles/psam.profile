# obol card profile "psam": the terminal PSAM for PBOC purse purchases. Format:
# docs/profiles.md. It holds the purchase master keys themselves (disperse=none); the
# usage says how many levels the PSAM disperses with for each card.
include test-keys

card serial=0000000000009001 issuer=1234567800000000 journal=256

app class=psam aid=F06F626F6C5053414D01 fid=1001 ttn=0
# EF 0015 PSAM serial number (10); EF 0016 the terminal id (6), as real PSAMs have it.
ef fid=0015 sfi=15 type=transparent read=always write=never data=0000${serial}
ef fid=0016 sfi=16 type=transparent read=always write=never data=112233445566
key usage=psam_purchase2 version=1 master=TEST-MPK-01 disperse=none
key usage=psam_purchase1 version=2 master=TEST-MPK-02 disperse=none
key usage=psam_tac1 version=1 master=TEST-MTK-01 disperse=none
key usage=psam_tac1 version=2 master=TEST-MTK-01 disperse=none
