# obol test profile: a purse card holding the PROTOCOLS.md vector keys directly
# (DPK = DLK = DTK = 1122..2211, TEST KEYS) and EP balance 1000 (03E8), for the
# known-answer tests of tests/pboc/test_kat.c. Not a product profile.
card serial=0000000000000001 issuer=0000000000000000
app class=pboc aid=A00000000386980701 fid=1001 purses=ed,ep ep_balance=1000 capp_max=16
ef fid=0015 sfi=15 type=transparent data=${issuer}_03_01_0000${serial}_20260101_20361231_0000
ef fid=0017 sfi=17 type=linear reclen=16 nrec=1 blank=1
key usage=purchase index=1 version=1 value=11223344556677888877665544332211
key usage=load index=1 version=1 value=11223344556677888877665544332211
key usage=tac index=1 version=1 value=11223344556677888877665544332211
