# obol card profile "purse-funded": the "purse" card issued with 100.00 yuan (10000 fen)
# in its EP, for demonstrations and scripts that purchase without a load first. The
# rest is exactly purse.profile: a PBOC 2.0 ED/EP purse card (JR/T 0025 part 1) with the
# composite (CAPP) purchase of transit cards. Format: docs/profiles.md.
#
# Keys are dispersed for this card from the TEST master keys of test-keys.profile:
#   purchase index 1 version 01: two levels, Div(Div(TEST-MPK-01, issuer), serial)
#   purchase index 2 version 02: one level,  Div(TEST-MPK-02, serial)
#   load index 1 version 01 and TAC (indexes 1 and 2): one level from TEST-MLK-01/MTK-01
include test-keys

card serial=0000000000000001 issuer=1234567800000000 journal=448

app class=pboc aid=A00000000386980701 fid=1001 purses=ed,ep overdraft=0 max_balance=100000000 mac_fail_limit=3 ed_balance=0 ep_balance=10000 pin_ref=1 capp_max=48 log_records=10
# EF 0015 public application data: issuer id (8) application type (1: 03 ED and EP)
# version (1) application serial number (10, the card serial is its rightmost 8)
# start date (4) expiry date (4) FCI data (2).
ef fid=0015 sfi=15 type=transparent read=always write=never data=${issuer}_03_01_0000${serial}_20260101_20361231_0000
# EF 0017: the composite application (CAPP) records of the transit operator.
ef fid=0017 sfi=17 type=linear reclen=48 nrec=2 blank=2 read=always write=never
pin ref=1 value=123456 max=6 tries=3
key usage=purchase index=1 version=1 master=TEST-MPK-01 disperse=issuer,serial
key usage=purchase index=2 version=2 master=TEST-MPK-02 disperse=serial
key usage=load index=1 version=1 master=TEST-MLK-01 disperse=serial
key usage=tac index=1 version=1 master=TEST-MTK-01 disperse=serial
key usage=tac index=2 version=2 master=TEST-MTK-01 disperse=serial
