# obol test profile: the social security card of profiles/ssc.profile with settlements
# on the role alone (debit_pin=0), for the configuration test. TEST KEYS.
include ../../profiles/test-keys-apps.profile
card serial=0000000000000202 issuer=3100000000000000 journal=512
app class=ssc aid=F06F626F6C53534301 fid=1003 debit_pin=0 visit_records=3 rx_records=2
key usage=ssc_role index=1 version=1 master=TEST-SSC-HOSP-ROLE-01 disperse=serial tries=5
key usage=purchase index=1 version=1 master=TEST-SSC-HOSP-MPK-01 disperse=serial
key usage=tac index=1 version=1 master=TEST-SSC-MTK-01 disperse=serial
ef fid=0015 sfi=15 type=transparent read=always write=never data=${issuer}_05_01_0000${serial}_20260101_20361231_0000
pin ref=1 value=123456 max=6 tries=3
key usage=load index=1 version=1 master=TEST-SSC-MLK-01 disperse=serial
