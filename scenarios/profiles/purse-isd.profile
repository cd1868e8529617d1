# obol card profile "purse-isd": the PBOC purse card of profiles/purse.profile with an
# issuer security domain (GlobalPlatform card manager), so a TSM can add applications
# over the air (scenarios/ota_update.xml). The ISD is made as in profiles/multiapp.profile:
# privileges 9E7C00, SCP03 i=70 in its FCI, and the initial key set (tag 04: algorithm
# 02 AES) with GlobalPlatform's well-known TEST KEY 404142..4F — published, protecting
# nothing. Format: docs/profiles.md.
include ../../profiles/test-keys.profile

card serial=0000000000000001 issuer=1234567800000000 journal=512

app class=gp aid=A000000151000000 priv=9E7C00 fci=732306072A864886FC6B01600B06092A864886FC6B020203640B06092A864886FC6B0403709F6501FF params=0411_02_404142434445464748494A4B4C4D4E4F
app class=pboc aid=A00000000386980701 fid=1001 purses=ed,ep overdraft=0 max_balance=100000000 mac_fail_limit=3 ed_balance=0 ep_balance=0 pin_ref=1 capp_max=48 log_records=10
ef fid=0015 sfi=15 type=transparent read=always write=never data=${issuer}_03_01_0000${serial}_20260101_20361231_0000
ef fid=0017 sfi=17 type=linear reclen=48 nrec=2 blank=2 read=always write=never
pin ref=1 value=123456 max=6 tries=3
key usage=purchase index=1 version=1 master=TEST-MPK-01 disperse=issuer,serial
key usage=purchase index=2 version=2 master=TEST-MPK-02 disperse=serial
key usage=load index=1 version=1 master=TEST-MLK-01 disperse=serial
key usage=tac index=1 version=1 master=TEST-MTK-01 disperse=serial
key usage=tac index=2 version=2 master=TEST-MTK-01 disperse=serial
