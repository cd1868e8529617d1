# obol card profile "multiapp": the personalized multi-application card of one
# cardholder: the issuer security domain (GlobalPlatform card manager), the bank's PBOC
# purse (ED + EP), the transit application and the social security application, each
# in its own ADF behind the card OS's firewall. Format: docs/profiles.md.
#
# Every key is a TEST key (test-keys.profile: the purse; test-keys-apps.profile: transit
# and social security; the ISD key below): published, protecting nothing.
include test-keys
include test-keys-apps

card serial=0000000000000301 issuer=1234567800000000 journal=512

# ---- issuer security domain (GlobalPlatform card manager, cardsim/applets/gp/gp.h) -----------
# The ISD (AID A000000151000000) as gp_isd_create() makes it: the ISD's privileges (9E7C00:
# Security Domain, Card Lock, Card Terminate, Card Reset, CVM; Authorized Management,
# Token, Global Delete, Global Lock, Global Registry), its SELECT response (A5: 73
# security domain management data for SCP03 i=70, 9F65 maximum command length FF), and
# its initial key set KVN FF as install parameter tag 04: algorithm 02 (AES, SCP03) and
# the TEST KEY 404142434445464748494A4B4C4D4E4F (GlobalPlatform's well-known test key).
app class=gp aid=A000000151000000 priv=9E7C00 fci=732306072A864886FC6B01600B06092A864886FC6B020203640B06092A864886FC6B0403709F6501FF params=0411_02_404142434445464748494A4B4C4D4E4F

# ---- the bank's PBOC purse (JR/T 0025; as profiles/purse.profile) ---------------------------
app class=pboc aid=A00000000386980701 fid=1001 purses=ed,ep overdraft=0 max_balance=100000000 mac_fail_limit=3 ed_balance=0 ep_balance=0 pin_ref=1 capp_max=48 log_records=10
ef fid=0015 sfi=15 type=transparent read=always write=never data=${issuer}_03_01_0000${serial}_20260101_20361231_0000
ef fid=0017 sfi=17 type=linear reclen=48 nrec=2 blank=2 read=always write=never
pin ref=1 value=123456 max=6 tries=3
key usage=purchase index=1 version=1 master=TEST-MPK-01 disperse=issuer,serial
key usage=purchase index=2 version=2 master=TEST-MPK-02 disperse=serial
key usage=load index=1 version=1 master=TEST-MLK-01 disperse=serial
key usage=tac index=1 version=1 master=TEST-MTK-01 disperse=serial
key usage=tac index=2 version=2 master=TEST-MTK-01 disperse=serial

# ---- transit (JT/T 978 style; cardsim/applets/transit/transit.h) ---------------------------
include transit-app
# Ordinary card (full fare, 100 %), registered to the cardholder.
ef fid=0015 sfi=15 type=transparent read=always write=never data=${issuer}_02_01_0000${serial}_20260101_20361231_01_64
ef fid=0016 sfi=16 type=transparent read=always write=never data=5A48414E472053414E0000000000000000000000_00_313130313031313938303031303130303158_00000000_00000000_2900_00000001_000000

# ---- social security and health (cardsim/applets/ssc/ssc.h) --------------------------------
include ssc-app
ef fid=0005 sfi=05 type=transparent read=pin1 write=never data=5A48414E472053414E000000000000000000000000000000000000000000_01_01_19800101_313130313031313938303031303130303158_313130313031_00000000
ef fid=0006 sfi=06 type=transparent read=pin1 write=never data=01_01_110100_20260101_20361231_50_000186A0_0000
ef fid=0015 sfi=15 type=transparent read=always write=never data=${issuer}_05_01_0000${serial}_20260101_20361231_0000
pin ref=1 value=654321 max=6 tries=3
