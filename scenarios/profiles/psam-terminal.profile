# obol card profile "psam-terminal": the PSAM of a simulated terminal. As
# profiles/psam.profile, but each PSAM's terminal id (EF 0016) is the rightmost six
# bytes of its serial, so every terminal of a scenario has its own id (the world gives
# each PSAM the serial 0x9000000000 + terminal index). Format: docs/profiles.md.
include ../../profiles/test-keys.profile

card serial=0000009000000001 issuer=1234567800000000 journal=256

app class=psam aid=F06F626F6C5053414D01 fid=1001 ttn=0
ef fid=0015 sfi=15 type=transparent read=always write=never data=0000${serial}
ef fid=0016 sfi=16 type=transparent read=always write=never data=${serial:6}
key usage=psam_purchase2 version=1 master=TEST-MPK-01 disperse=none
key usage=psam_purchase1 version=2 master=TEST-MPK-02 disperse=none
key usage=psam_tac1 version=1 master=TEST-MTK-01 disperse=none
key usage=psam_tac1 version=2 master=TEST-MTK-01 disperse=none
