# obol card profile "term-psam": the PSAM of profiles/psam.profile with a terminal id of
# its own: EF 0016 holds the rightmost 6 bytes of the PSAM serial, so the serial
# override of cos_profile_apply() makes one PSAM per terminal (terminal ids must be
# unique at the host: batches and transaction numbers are keyed by them).
include ../../profiles/test-keys.profile

card serial=0000000000009001 issuer=1234567800000000 journal=256

app class=psam aid=F06F626F6C5053414D01 fid=1001 ttn=0
ef fid=0015 sfi=15 type=transparent read=always write=never data=0000${serial}
ef fid=0016 sfi=16 type=transparent read=always write=never data=${serial:6}
key usage=psam_purchase2 version=1 master=TEST-MPK-01 disperse=none
key usage=psam_purchase1 version=2 master=TEST-MPK-02 disperse=none
key usage=psam_tac1 version=1 master=TEST-MTK-01 disperse=none
key usage=psam_tac1 version=2 master=TEST-MTK-01 disperse=none
